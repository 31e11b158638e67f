/**
 * The udp_roundrobin half of the reconciler: makes l3lb's netfilter chains match the
 * desired state (default's and every UDP service file's). Invariants: each family's chains are replaced whole (iptables-restore);
 * a job that fails puts back what the families it had changed held before; flows of an
 * output that stopped getting traffic are forgotten so their next packet is spread anew.
 * Called only by the Reconciler, one job at a time.
 */
import { isIPv6 } from 'node:net'
import type { IpFamily } from '../render/iptables-chains.js'
import { renderIptablesRules } from '../render/iptables-rules.js'
import { isUdpMode } from '../properties/service-file.js'
import { availableOutputs, availableServers } from '../state/available-outputs.js'
import type { DesiredState } from '../state/desired.js'
import { serverKey } from '../state/server-key.js'
import { sourceTable } from '../state/source-buckets.js'

/** What the path needs of netfilter (src/netfilter/ in the agent; a namespace prefix in tests). */
export interface Netfilter {
  apply (family: IpFamily, text: string): Promise<void>
  remove (family: IpFamily): Promise<void>
  enableForwarding (family: IpFamily): Promise<void>
  forgetFlowsTo (address: string): Promise<number>
}

const FAMILIES: readonly IpFamily[] = [4, 6]

interface InForce {
  readonly state: DesiredState
  readonly rules: Readonly<Record<IpFamily, string>>
}

export class NetfilterPath {
  readonly #netfilter: Netfilter
  #inForce: InForce | null = null
  // until a first removal, rules of an earlier run (a crash) may still be in force
  #mayHaveRules = true

  constructor (netfilter: Netfilter) {
    this.#netfilter = netfilter
  }

  /** Whether rules of l3lb may be in force (applied, or left by an earlier run). */
  get active (): boolean {
    return this.#mayHaveRules
  }

  /** Brings the rules to `state`; `none` when the rendered text did not change. */
  async apply (state: DesiredState): Promise<'apply' | 'none'> {
    const rules = { 4: renderIptablesRules(state, 4), 6: renderIptablesRules(state, 6) }
    const before = this.#inForce
    const changed = FAMILIES.filter((family) => before?.rules[family] !== rules[family])
    const done: IpFamily[] = []
    try {
      for (const family of changed) {
        await this.#netfilter.apply(family, rules[family])
        done.push(family)
      }
      for (const family of familiesOf(state)) await this.#netfilter.enableForwarding(family)
    } catch (error) {
      for (const family of done) {
        const previous = before?.rules[family]
        await (previous === undefined ? this.#netfilter.remove(family) : this.#netfilter.apply(family, previous)).catch(() => undefined)
      }
      throw error
    }
    this.#inForce = { state, rules }
    this.#mayHaveRules = true
    if (before !== null) await this.#forgetFlowsOfLeavers(before.state, state)
    return changed.length > 0 ? 'apply' : 'none'
  }

  /** Removes every rule and chain of l3lb. */
  async remove (): Promise<void> {
    for (const family of FAMILIES) await this.#netfilter.remove(family)
    this.#inForce = null
    this.#mayHaveRules = false
  }

  // conntrack keeps sending a flow where it went first: forget the flows of outputs (and servers)
  // that left, but not of those draining, whose flows finish where they are (SPEC §11); and in
  // udp_source, those of servers that gave buckets back to a returner, so its clients come back (SPEC §14)
  async #forgetFlowsOfLeavers (before: DesiredState, after: DesiredState): Promise<void> {
    const draining = new Set(drainingAddresses(after))
    const staying = new Set([...addressesInUse(after), ...draining])
    const leavers = [...addressesInUse(before)].filter((address) => !staying.has(address))
    const givers = bucketGivers(before, after).filter((address) => !draining.has(address) && !leavers.includes(address))
    for (const address of [...leavers, ...givers]) await this.#netfilter.forgetFlowsTo(address)
  }
}

// udp_source: the servers in use both times that lost buckets. Forgetting their flows sends each of
// their clients' next datagram through the hash again: those of the lost buckets move, the rest stay.
function bucketGivers (before: DesiredState, after: DesiredState): string[] {
  const givers = new Set<string>()
  for (const service of after.services.filter((candidate) => candidate.mode === 'udp_source')) {
    const earlier = before.services.find((candidate) => candidate.name === service.name && candidate.mode === 'udp_source')
    if (earlier === undefined) continue
    const was = sourceTable(before, earlier).buckets
    const is = sourceTable(after, service).buckets
    const inUse = new Set(availableServers(after, service).map((server) => server.name))
    was.forEach((server, bucket) => {
      if (server !== null && server.name !== is[bucket]?.name && inUse.has(server.name)) givers.add(server.address)
    })
  }
  return [...givers]
}

// The addresses of the servers draining through ctl, in every service.
function drainingAddresses (state: DesiredState): string[] {
  return [
    ...state.properties.outputs.filter((output) => state.draining.has(output.name)).map((output) => output.address),
    ...state.services.flatMap((service) => service.servers.filter((server) => state.draining.has(serverKey(service.name, server.name))).map((server) => server.address))
  ]
}

// The addresses new flows go to: default's outputs (in udp_roundrobin) and the UDP service files' servers.
function addressesInUse (state: DesiredState): Set<string> {
  const outputs = state.properties.mode !== 'udp_roundrobin'
    ? []
    : FAMILIES.flatMap((family) => availableOutputs(state, (output) => familyOf(output.address) === family))
  const servers = udpServices(state).flatMap((service) => availableServers(state, service))
  return new Set([...outputs, ...servers].map((target) => target.address))
}

function udpServices (state: DesiredState): DesiredState['services'] {
  return state.services.filter((service) => isUdpMode(service.mode))
}

// Forwarding is switched on only for a family that has outputs: IPv6 forwarding changes
// how the host treats router advertisements, so it is not turned on for nothing.
function familiesOf (state: DesiredState): IpFamily[] {
  const outputs = state.properties.mode === 'udp_roundrobin' ? state.properties.outputs : []
  const servers = udpServices(state).flatMap((service) => service.servers)
  const families = new Set<IpFamily>([...outputs, ...servers].map((target) => familyOf(target.address)))
  return FAMILIES.filter((family) => families.has(family))
}

function familyOf (address: string): IpFamily {
  return isIPv6(address) ? 6 : 4
}
