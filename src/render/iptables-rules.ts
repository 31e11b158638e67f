/** Pure: the desired state to `iptables-restore --noflush` input (udp_roundrobin), one IP family at a time. */
import { isIPv4, isIPv6 } from 'node:net'
import { canonicalIPv6 } from '../properties/canonical-address.js'
import type { PortRange, Service } from '../properties/model.js'
import { isUdpMode } from '../properties/service-file.js'
import { alignedBlocks, BUCKETS, bucketRanges } from '../properties/udp-buckets.js'
import { weightedCycle } from '../properties/udp-weights.js'
import { availableOutputs, availableServers } from '../state/available-outputs.js'
import type { DesiredState } from '../state/desired.js'
import { sourceTable } from '../state/source-buckets.js'
import { L3LB_CHAINS, serviceChain, type IpFamily } from './iptables-chains.js'
import { template } from './templates.js'

/** One rule of L3LB-SPREAD: DNAT to `destination`, on every `every`-th flow that reaches it, or on all when null. */
export interface SpreadRule {
  readonly every: number | null
  readonly destination: string
}

/** The rules of one UDP service file, in its own chain and in l3lb's shared ones. */
export interface ServiceRulesView {
  readonly name: string
  readonly file: string
  readonly mode: string
  /** Its spread chain: numbered, since a service name can be longer than iptables' 28 characters. */
  readonly chain: string
  /** `a 198.18.5.1:6000 weight 1, c 198.18.5.3 weight 2 (backup)`, or `none`. */
  readonly serversInUse: string
  /** The match of each of its L3LB-PREROUTING rules, which jump to its chain. */
  readonly prerouting: readonly string[]
  /** udp_roundrobin: one rule per flow of its weights' cycle (docs/udp.md); empty in udp_source. */
  readonly spread: readonly SpreadRule[]
  /** udp_source: its chain's rules after `-A CHAIN`, the client address's hash then one DNAT per block of buckets; empty in udp_roundrobin. */
  readonly bySource: readonly string[]
  /** Its L3LB-POSTROUTING rules: match and target, ahead of default's. */
  readonly postrouting: readonly string[]
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
  /** The UDP service files served in this family, in the order of `state.services`. */
  readonly services: readonly ServiceRulesView[]
}

// The IPv4 dotted tail of an IPv4-mapped IPv6 address: such a packet arrives as IPv4.
const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/

/** The view of the desired state that the template needs, for one IP family. */
export function iptablesRulesView (state: DesiredState, family: IpFamily): IptablesRulesView {
  const { properties: p } = state
  const familyName = family === 4 ? 'IPv4' : 'IPv6'
  const ports = p.ports.map(iptablesPortText)
  // default in a TCP mode is HAProxy's: these rules then carry only the UDP service files
  const matches = p.mode === 'udp_roundrobin' ? destinationMatches(p.inAddrs, family) : []
  // an address that moves with the pair, so replies of flows carried over by conntrackd reach the active node
  const snatTo = p.ha?.outputVirtualAddresses.flatMap((address) => inFamily(address, family) ?? [])[0] ?? null
  const services = state.services.filter((service) => isUdpMode(service.mode))
    .flatMap((service, index) => serviceRulesView(state, service, serviceChain(index + 1), family, snatTo) ?? [])
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
    outputsInUse: p.mode !== 'udp_roundrobin'
      ? `none (default is ${p.mode}, served by HAProxy)`
      : !served
          ? `none (in_addr has no ${familyName} address)`
          : outputs.length === 0
            ? 'none'
            : outputs.map((output) => `${output.name} ${output.address}${output.backup ? ' (backup)' : ''}`).join(', '),
    natChains: [...L3LB_CHAINS.nat, ...services.map((service) => service.chain)],
    filterChains: L3LB_CHAINS.filter,
    prerouting: matches.flatMap((match) => ports.map((port) => `${match} -m udp --dport ${port}`)),
    // Rule i sees the flows rules 0..i-1 let through and takes 1 in (N-i) of them: 1/N each.
    spread: outputs.map((output, i) => ({ every: i < outputs.length - 1 ? outputs.length - i : null, destination: output.address })),
    masquerade: served && p.udpSnat ? ports : [],
    snatTo,
    forwardAccept: served || services.length > 0,
    services
  }
}

// A UDP service file's rules in this family, or null when it is not served in it (its
// servers are of the other family, or its in_addr has no address of this one).
function serviceRulesView (state: DesiredState, service: Service, chain: string, family: IpFamily, snatTo: string | null): ServiceRulesView | null {
  const first = service.servers[0]
  if (first === undefined || inFamily(first.address, family) === null) return null
  const matches = destinationMatches(service.inAddrs, family)
  if (matches.length === 0) return null
  const ports = service.ports.map(iptablesPortText)
  const comment = `-m comment --comment "service ${service.name}"`
  const servers = availableServers(state, service).map((server) => ({ ...server, destination: destination(inFamily(server.address, family) ?? server.address, server.port) }))
  const bySource = service.mode === 'udp_source'
  const cycle = bySource ? [] : weightedCycle(servers.map((server) => server.weight)).map((index) => servers[index]?.destination ?? '')
  // replies must come back through l3lb (udp_snat) or are known to (RETURN keeps default's masquerade off them)
  const target = !service.udpSnat ? 'RETURN' : snatTo !== null ? `SNAT --to-source ${snatTo}` : 'MASQUERADE'
  const originals = originalDestinations(service.inAddrs, family)
  return {
    name: service.name,
    file: service.file,
    mode: service.mode,
    chain,
    serversInUse: servers.length === 0
      ? 'none'
      : servers.map((server) => `${server.name} ${server.destination} weight ${server.weight}${server.backup ? ' (backup)' : ''}`).join(', '),
    prerouting: matches.flatMap((match) => ports.map((port) => `${match} -m udp --dport ${port} ${comment}`)),
    // as default's: rule i takes 1 in (T-i) of the flows that reach it, so each of the cycle's T slots gets 1/T
    spread: cycle.map((to, i) => ({ every: i < cycle.length - 1 ? cycle.length - i : null, destination: to })),
    bySource: bySource ? sourceRules(state, service, family) : [],
    postrouting: originals.flatMap((original) => ports.map((port) => `-p udp -m conntrack --ctstate DNAT ${original}--ctorigdstport ${port} ${comment} -j ${target}`))
  }
}

/**
 * The seed of the client address hash: fixed, so both nodes of a pair (and every restart) send a
 * client to the same server. `L3LB` in ASCII.
 */
export const HMARK_SEED = '0x4c334c42'

// udp_source: HMARK writes a hash of the source address, 0..BUCKETS-1, as the packet's mark; each
// run of the bucket table is a few aligned blocks, each one `--mark value/mask` match and a DNAT.
function sourceRules (state: DesiredState, service: Service, family: IpFamily): string[] {
  const table = sourceTable(state, service)
  const index = new Map(table.servers.map((server, position) => [server, position]))
  const ranges = bucketRanges(table.buckets.map((server) => server === null ? null : index.get(server) ?? null))
  if (ranges.length === 0) return []
  const hex = (value: number): string => `0x${value.toString(16)}`
  const dnat = ranges.flatMap((range) => {
    const server = table.servers[range.server]
    if (server === undefined) return []
    const to = destination(inFamily(server.address, family) ?? server.address, server.port)
    return alignedBlocks(range.first, range.last).map((block) => `-p udp -m mark --mark ${hex(block.value)}/${hex(block.mask)} -j DNAT --to-destination ${to}`)
  })
  return [`-j HMARK --hmark-tuple src --hmark-mod ${BUCKETS} --hmark-rnd ${HMARK_SEED}`, ...dnat]
}

// `198.18.5.1`, `198.18.5.1:6000`, `[fd00::5]:6000`: a server's own port replaces the client's.
function destination (address: string, port: number | null): string {
  if (port === null) return address
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`
}

// The `--ctorigdst` part of a service's POSTROUTING rules, one per in address; '' for every address.
function originalDestinations (inAddrs: readonly string[], family: IpFamily): string[] {
  const matches = destinationMatches(inAddrs, family)
  if (matches.some((match) => match.includes('--dst-type LOCAL'))) return ['']
  const prefix = family === 4 ? 32 : 128
  return [...new Set(inAddrs.flatMap((address) => inFamily(address, family) ?? []))].map((address) => `--ctorigdst ${address}/${prefix} `)
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
