/**
 * Pure: which conntrack selections take exactly the UDP flows of one server of one service
 * (SPEC §14), leaving the flows of the other servers that share its address. A flow is a
 * service's by where the client sent it (no two services listen on the same address, port
 * and protocol) and a server's by where its replies come from (after DNAT: the server's
 * address, and its own port or the client's destination port).
 */
import { isIP, isIPv4, isIPv6 } from 'node:net'
import { canonicalIPv6 } from '../properties/canonical-address.js'
import type { PortRange } from '../properties/model.js'
import type { UdpFlow } from './conntrack.js'

/** One server of one UDP service, as conntrack sees its flows. */
export interface FlowTarget {
  /** The server's IP literal. */
  readonly address: string
  /** The port it receives on; null: the client's destination port. */
  readonly port: number | null
  /** Its service's in addresses (empty, or an unspecified one: every address of the host) and ports. */
  readonly inAddrs: readonly string[]
  readonly ports: readonly PortRange[]
}

/** The flows of `target` to forget; `keep`: the other servers at its address, whose flows stay. */
export interface ServiceFlows {
  readonly target: FlowTarget
  readonly keep: readonly FlowTarget[]
}

/** One conntrack selection: UDP replies from `address` (and `replyPort`), sent to `to` (and `toPort`); null: any. */
export interface FlowFilter {
  readonly address: string
  readonly replyPort: number | null
  readonly to: string | null
  readonly toPort: number | null
}

/** conntrack's arguments for `filter`, after the command (`-D`, `-L`). */
export function filterArgs (filter: FlowFilter): string[] {
  return [
    ...(isIPv6(filter.address) ? ['-f', 'ipv6'] : []),
    '-p', 'udp', '--reply-src', filter.address,
    ...(filter.replyPort === null ? [] : ['--reply-port-src', String(filter.replyPort)]),
    ...(filter.to === null ? [] : ['--orig-dst', filter.to]),
    ...(filter.toPort === null ? [] : ['--orig-port-dst', String(filter.toPort)])
  ]
}

/**
 * The fewest selections known from the services alone (each one walk of the table): all the
 * server's flows when no other server shares its address in a way a selection could not tell,
 * else one per in address of its service. Null when only the ports tell them apart (two
 * services on one in address, or on every address): then list the flows (`filtersOfFlows`).
 */
export function staticFilters ({ target, keep }: ServiceFlows): FlowFilter[] | null {
  const base: FlowFilter = { address: target.address, replyPort: target.port, to: null, toPort: null }
  if (!keep.some((other) => mayMatch(base, other))) return [base]
  const destinations = destinationsOf(target)
  if (destinations === null || destinations.length === 0) return null
  const byDestination = destinations.map((to) => ({ ...base, to }))
  return byDestination.some((filter) => keep.some((other) => mayMatch(filter, other))) ? null : byDestination
}

/**
 * One selection per destination (address and port) that the target's listed flows were sent
 * to: as many walks of the table as ports in use, not as ports in its ranges. A destination
 * that could also be another server's is left out (validation makes that impossible).
 */
export function filtersOfFlows ({ target, keep }: ServiceFlows, flows: readonly UdpFlow[]): FlowFilter[] {
  const filters = new Map<string, FlowFilter>()
  for (const flow of flows.filter((candidate) => flowFits(target, candidate))) {
    const filter: FlowFilter = { address: target.address, replyPort: target.port, to: canonical(flow.to), toPort: flow.toPort }
    if (!keep.some((other) => mayMatch(filter, other))) filters.set(`${filter.to} ${filter.toPort}`, filter)
  }
  return [...filters.values()]
}

/** Whether `flow` is one of `target`'s: sent to its service, replies from the server's address and port. */
export function flowFits (target: FlowTarget, flow: UdpFlow): boolean {
  const to = canonical(flow.to)
  if (canonical(flow.replyFrom) !== canonical(target.address) || canonical(flow.replyFrom) === to) return false
  if (!target.ports.some((range) => inRange(flow.toPort, range))) return false
  const destinations = destinationsOf(target)
  if (destinations !== null && !destinations.includes(to)) return false
  return flow.replyFromPort === (target.port ?? flow.toPort)
}

// Whether some flow of `other` could be selected by `filter`.
function mayMatch (filter: FlowFilter, other: FlowTarget): boolean {
  if (canonical(other.address) !== canonical(filter.address)) return false
  const destinations = destinationsOf(other)
  if (filter.to !== null && destinations !== null && !destinations.includes(filter.to)) return false
  return other.ports.some((range) => {
    if (filter.toPort !== null && !inRange(filter.toPort, range)) return false
    if (filter.replyPort === null) return true
    if (other.port !== null) return other.port === filter.replyPort
    // the reply comes from the client's destination port: one that both selections allow
    return inRange(filter.replyPort, range) && (filter.toPort === null || filter.toPort === filter.replyPort)
  })
}

// The in addresses of the server's family as conntrack prints them; null: every address of the host.
function destinationsOf (target: FlowTarget): string[] | null {
  const family = isIP(target.address)
  if (target.inAddrs.length === 0) return null
  const addresses = target.inAddrs.map(canonical)
  if (addresses.includes('::') || (family === 4 && addresses.includes('0.0.0.0'))) return null
  return [...new Set(addresses.flatMap((address) => {
    const mapped = MAPPED_IPV4.exec(address)?.[1]
    if (family === 4) return isIPv4(address) ? [address] : mapped === undefined ? [] : [mapped]
    return isIPv6(address) && mapped === undefined ? [address] : []
  }))]
}

// An IPv4-mapped IPv6 address: such a packet arrives, and is tracked, as IPv4.
const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/

function inRange (port: number, range: PortRange): boolean {
  return port >= range.low && port <= range.high
}

function canonical (address: string): string {
  return isIPv6(address) ? canonicalIPv6(address) : address
}
