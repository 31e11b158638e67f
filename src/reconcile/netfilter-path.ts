/**
 * The udp_roundrobin half of the reconciler: makes l3lb's netfilter chains match the
 * desired state (default's and every UDP service file's). Invariants: each family's chains are replaced whole (iptables-restore);
 * a job that fails puts back what the families it had changed held before; flows of a
 * server that stopped getting traffic in a service are forgotten (that service's flows only),
 * so their next packet is spread anew.
 * Called only by the Reconciler, one job at a time.
 */
import { isIPv6 } from 'node:net'
import type { IpFamily } from '../render/iptables-chains.js'
import { renderIptablesRules } from '../render/iptables-rules.js'
import { isUdpMode } from '../properties/service-file.js'
import type { ServiceFlows } from '../netfilter/flow-filters.js'
import type { DesiredState } from '../state/desired.js'
import { flowsToForget } from './flows-to-forget.js'

/** What the path needs of netfilter (src/netfilter/ in the agent; a namespace prefix in tests). */
export interface Netfilter {
  apply (family: IpFamily, text: string): Promise<void>
  remove (family: IpFamily): Promise<void>
  enableForwarding (family: IpFamily): Promise<void>
  /** Forgets the UDP flows whose replies come from `address`; with `only`, just those of that service's server there. */
  forgetFlowsTo (address: string, only?: ServiceFlows): Promise<number>
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

  // conntrack keeps sending a flow where it went first: see flows-to-forget.ts for whose go
  async #forgetFlowsOfLeavers (before: DesiredState, after: DesiredState): Promise<void> {
    for (const flows of flowsToForget(before, after)) {
      // one argument when all of the address's flows go, as the seed's netfilter took it
      await (flows.only === undefined ? this.#netfilter.forgetFlowsTo(flows.address) : this.#netfilter.forgetFlowsTo(flows.address, flows.only))
    }
  }
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
