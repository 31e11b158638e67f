/**
 * Pure: whose UDP flows an apply forgets, per service (SPEC §11, §14). conntrack keeps sending
 * a flow where it went first: the flows of a server that left a service (down, disabled,
 * removed; not draining, whose flows finish where they are) go, so each moves at its next
 * datagram; in udp_source, so do those of the servers that gave buckets back to a returner,
 * so its clients come back. A server's flows are its service's only: the same address may be
 * an available server of another service (per-service checks), whose flows stay.
 */
import { isIPv6 } from 'node:net'
import type { FlowTarget, ServiceFlows } from '../netfilter/flow-filters.js'
import { canonicalIPv6 } from '../properties/canonical-address.js'
import { isUdpMode } from '../properties/service-file.js'
import { availableOutputs, availableServers } from '../state/available-outputs.js'
import type { DesiredState } from '../state/desired.js'
import { serverKey } from '../state/server-key.js'
import { sourceTable } from '../state/source-buckets.js'

/** Forget the flows to `address`: all of them, or `only` one service's server's when others there keep theirs. */
export interface FlowsToForget {
  readonly address: string
  readonly only?: ServiceFlows
}

// One UDP server of one service in a state: default's outputs in udp_roundrobin, the UDP service files' servers.
interface Served {
  readonly key: string
  readonly target: FlowTarget
  readonly available: boolean
  readonly draining: boolean
}

/** The flows that the change from `before` to `after` forgets, one entry per address or per server at a shared one. */
export function flowsToForget (before: DesiredState, after: DesiredState): FlowsToForget[] {
  const now = new Map(served(after).map((entry) => [identity(entry), entry]))
  const leavers = served(before).filter((entry) => {
    const later = now.get(identity(entry))
    return entry.available && later?.available !== true && later?.draining !== true
  })
  const leaving = new Set(leavers.map(identity))
  const givers = bucketGivers(before, after, now).filter((entry) => !entry.draining && !leaving.has(identity(entry)))
  const forget = [...leavers, ...givers]
  const forgotten = new Set(forget.map(identity))
  // the flows that stay: every other server new flows go to, or that drains
  const keepers = [...now.values()].filter((entry) => (entry.available || entry.draining) && !forgotten.has(identity(entry)))
  const byAddress = new Map<string, Served[]>()
  for (const entry of forget) {
    const address = canonical(entry.target.address)
    byAddress.set(address, [...byAddress.get(address) ?? [], entry])
  }
  return [...byAddress].flatMap(([address, entries]) => {
    const keep = keepers.filter((entry) => canonical(entry.target.address) === address).map((entry) => entry.target)
    // nobody else at the address: one deletion by address, as before services shared hosts
    if (keep.length === 0) return [{ address: entries[0]?.target.address ?? address }]
    return entries.map((entry) => ({ address: entry.target.address, only: { target: entry.target, keep } }))
  })
}

// udp_source: the servers in use both times that lost buckets. Forgetting their flows in their service
// sends each of their clients' next datagram through the hash again: those of the lost buckets move.
function bucketGivers (before: DesiredState, after: DesiredState, now: ReadonlyMap<string, Served>): Served[] {
  const givers = new Map<string, Served>()
  for (const service of after.services.filter((candidate) => candidate.mode === 'udp_source')) {
    const earlier = before.services.find((candidate) => candidate.name === service.name && candidate.mode === 'udp_source')
    if (earlier === undefined) continue
    const was = sourceTable(before, earlier).buckets
    const is = sourceTable(after, service).buckets
    const inUse = new Set(availableServers(after, service).map((server) => server.name))
    was.forEach((server, bucket) => {
      if (server === null || server.name === is[bucket]?.name || !inUse.has(server.name)) return
      const entry = now.get(identity({ key: serverKey(service.name, server.name), target: { address: server.address, port: server.port, inAddrs: [], ports: [] } }))
      if (entry !== undefined) givers.set(identity(entry), entry)
    })
  }
  return [...givers.values()]
}

function served (state: DesiredState): Served[] {
  const { properties } = state
  const outputs = properties.mode !== 'udp_roundrobin'
    ? []
    : (() => {
        // each family's own available outputs (backups stand in per family)
        const available = new Set([4, 6].flatMap((family) => availableOutputs(state, (output) => (isIPv6(output.address) ? 6 : 4) === family)).map((output) => output.name))
        return properties.outputs.map((output) => ({
          key: output.name,
          target: { address: output.address, port: null, inAddrs: properties.inAddrs, ports: properties.ports },
          available: available.has(output.name),
          draining: state.draining.has(output.name)
        }))
      })()
  const servers = state.services.filter((service) => isUdpMode(service.mode)).flatMap((service) => {
    const available = new Set(availableServers(state, service))
    return service.servers.map((server) => ({
      key: serverKey(service.name, server.name),
      target: { address: server.address, port: server.port, inAddrs: service.inAddrs, ports: service.ports },
      available: available.has(server),
      draining: state.draining.has(serverKey(service.name, server.name))
    }))
  })
  return [...outputs, ...servers]
}

// A server of a service where it receives: a server whose address or port changed is another one.
function identity (entry: Pick<Served, 'key' | 'target'>): string {
  return `${entry.key} ${canonical(entry.target.address)} ${entry.target.port ?? ''}`
}

function canonical (address: string): string {
  return isIPv6(address) ? canonicalIPv6(address) : address
}
