/** Pure: the desired state to `iptables-restore --noflush` input (udp_roundrobin), one IP family at a time. */
import { isIPv4, isIPv6 } from 'node:net'
import { canonicalIPv6 } from '../properties/canonical-address.js'
import type { PortRange } from '../properties/model.js'
import { availableOutputs } from '../state/available-outputs.js'
import type { DesiredState } from '../state/desired.js'
import { L3LB_CHAINS, type IpFamily } from './iptables-chains.js'
import { template } from './templates.js'

/** One rule of L3LB-SPREAD: DNAT to `destination`, on every `every`-th flow that reaches it, or on all when null. */
export interface SpreadRule {
  readonly every: number | null
  readonly destination: string
}

/** What templates/iptables.rules.hbs is filled with. */
export interface IptablesRulesView {
  readonly mode: string
  readonly familyName: 'IPv4' | 'IPv6'
  readonly restoreCommand: 'iptables-restore' | 'ip6tables-restore'
  /** `out1 198.18.1.2, out4 198.18.4.2 (backup)`, or `none`. */
  readonly outputsInUse: string
  readonly natChains: readonly string[]
  readonly filterChains: readonly string[]
  /** The match of each L3LB-PREROUTING rule, which jumps to L3LB-SPREAD. */
  readonly prerouting: readonly string[]
  readonly spread: readonly SpreadRule[]
  /** Original destination ports (`5060`, `10000:20000`) of the flows to masquerade; empty when udp_snat is off. */
  readonly masquerade: readonly string[]
  /** (HA) The outputs' side virtual address those flows take as source instead of this node's own, or null. */
  readonly snatTo: string | null
  /** Accept the flows l3lb translated in FORWARD; false when this family is not served. */
  readonly forwardAccept: boolean
}

// The IPv4 dotted tail of an IPv4-mapped IPv6 address: such a packet arrives as IPv4.
const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/

/** The view of the desired state that the template needs, for one IP family. */
export function iptablesRulesView (state: DesiredState, family: IpFamily): IptablesRulesView {
  const { properties: p } = state
  const familyName = family === 4 ? 'IPv4' : 'IPv6'
  const ports = p.ports.map(iptablesPortText)
  const matches = destinationMatches(p.inAddrs, family)
  // No in address of this family: it is not served, and its chains stay declared but empty.
  const served = matches.length > 0
  const outputs = !served
    ? []
    : availableOutputs(state, (output) => inFamily(output.address, family) !== null)
      .map((output) => ({ ...output, address: inFamily(output.address, family) ?? output.address }))
  return {
    mode: p.mode,
    familyName,
    restoreCommand: family === 4 ? 'iptables-restore' : 'ip6tables-restore',
    outputsInUse: !served
      ? `none (in_addr has no ${familyName} address)`
      : outputs.length === 0
        ? 'none'
        : outputs.map((output) => `${output.name} ${output.address}${output.backup ? ' (backup)' : ''}`).join(', '),
    natChains: L3LB_CHAINS.nat,
    filterChains: L3LB_CHAINS.filter,
    prerouting: matches.flatMap((match) => ports.map((port) => `${match} -m udp --dport ${port}`)),
    // Rule i sees the flows rules 0..i-1 let through and takes 1 in (N-i) of them: 1/N each.
    spread: outputs.map((output, i) => ({ every: i < outputs.length - 1 ? outputs.length - i : null, destination: output.address })),
    masquerade: served && p.udpSnat ? ports : [],
    // an address that moves with the pair, so replies of flows carried over by conntrackd reach the active node
    snatTo: p.ha?.outputVirtualAddresses.flatMap((address) => inFamily(address, family) ?? [])[0] ?? null,
    forwardAccept: served
  }
}

/** The `iptables-restore --noflush` input (`ip6tables-restore` for family 6) that declares and fills the chains of l3lb. */
export function renderIptablesRules (state: DesiredState, family: IpFamily): string {
  return template('iptables.rules')(iptablesRulesView(state, family))
}

// `5060` or `10000:20000`, as the udp and conntrack matches read a port range.
function iptablesPortText (range: PortRange): string {
  return range.low === range.high ? String(range.low) : `${range.low}:${range.high}`
}

// The start of each PREROUTING match: an address, or every local address when none is
// given or an unspecified one covers this family (`::` is dual-stack, as HAProxy binds it).
function destinationMatches (inAddrs: readonly string[], family: IpFamily): string[] {
  const everyAddress = '-p udp -m addrtype --dst-type LOCAL'
  if (inAddrs.length === 0) return [everyAddress]
  const unspecified = family === 4 ? ['0.0.0.0', '::'] : ['::']
  if (inAddrs.some((address) => unspecified.includes(canonical(address)))) return [everyAddress]
  const prefix = family === 4 ? 32 : 128
  const addresses = new Set(inAddrs.flatMap((address) => inFamily(address, family) ?? []))
  return [...addresses].map((address) => `-d ${address}/${prefix} -p udp`)
}

// The address as this family's rules write it, or null when it belongs to the other family.
function inFamily (address: string, family: IpFamily): string | null {
  const text = canonical(address)
  const mapped = MAPPED_IPV4.exec(text)?.[1]
  if (family === 4) return isIPv4(text) ? text : mapped ?? null
  return isIPv6(text) && mapped === undefined ? text : null
}

// One spelling per address (RFC 5952 for IPv6), as iptables-save prints it.
function canonical (address: string): string {
  return isIPv6(address) ? canonicalIPv6(address) : address
}
