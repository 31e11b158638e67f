/** Pure: the HA properties to keepalived.conf text (templates/keepalived.conf.hbs). */
import { BlockList, isIPv4 } from 'node:net'
import type { HaSettings } from '../properties/model.js'
import { template } from '../render/templates.js'

/** The VRRP instance's name in keepalived.conf and in keepalived's log lines, `(l3lb) Entering MASTER STATE`. */
export const VRRP_INSTANCE = 'l3lb'

/** The vrrp_script that tracks HAProxy. */
export const CHECK_SCRIPT = 'l3lb_haproxy'

/** How keepalived runs the health check: seconds between runs, its time limit, failures and successes in a row. */
export const CHECK_TIMING = Object.freeze({ interval: 1, timeout: 2, fall: 2, rise: 2 })

/** What templates/keepalived.conf.hbs is filled with. */
export interface KeepalivedConfigView {
  readonly routerName: string
  readonly instanceName: string
  readonly checkName: string
  readonly check: { readonly command: string, readonly interval: number, readonly timeout: number, readonly fall: number, readonly rise: number }
  readonly interface: string
  readonly routerId: number
  readonly priority: number
  readonly preempt: boolean
  readonly peer: string
  /** This node's address the adverts come from (`unicast_src_ip`); null leaves keepalived's default. */
  readonly source: string | null
  /** Addresses of the peer's family, with their prefix: VRRP announces these. */
  readonly virtual: readonly string[]
  /** Addresses of the other family: keepalived moves them with the instance. */
  readonly excluded: readonly string[]
}

/** One address of an interface, as os.networkInterfaces() lists it. */
export interface InterfaceAddress {
  readonly address: string
  readonly family: 'IPv4' | 'IPv6'
  /** `address/prefix`; null when unknown. */
  readonly cidr: string | null
}

/**
 * This node's own address on the VRRP link, for `unicast_src_ip`: of ha_peer's family, neither a
 * virtual address nor link-local, on the peer's subnet when one is; null when there is none.
 * keepalived's default for IPv6 is the link-local address, and a unicast peer receives only
 * adverts sent to the address it binds, so an IPv6-only pair never heard each other (two MASTERs).
 */
export function unicastSource (ha: HaSettings, addresses: readonly InterfaceAddress[]): string | null {
  const family = isIPv4(ha.peer) ? 'IPv4' : 'IPv6'
  const kind = family === 'IPv4' ? 'ipv4' : 'ipv6'
  const virtual = new BlockList()
  for (const address of ha.virtualAddresses.filter((candidate) => isIPv4(candidate) === (family === 'IPv4'))) virtual.addAddress(address, kind)
  const own = addresses.filter((entry) => entry.family === family && !virtual.check(entry.address, kind) && !/^fe[89ab]/i.test(entry.address))
  const onPeerSubnet = own.find((entry) => {
    const [network, prefix] = (entry.cidr ?? '').split('/')
    if (network === undefined || prefix === undefined) return false
    const subnet = new BlockList()
    subnet.addSubnet(network, Number(prefix), kind)
    return subnet.check(ha.peer, kind)
  })
  return (onPeerSubnet ?? own[0])?.address ?? null
}

/**
 * The view for `ha`; `checkCommand` is the program and arguments keepalived runs to check HAProxy,
 * `source` this node's address on the link (unicastSource), null for keepalived's default.
 */
export function keepalivedConfigView (ha: HaSettings, checkCommand: readonly string[], source: string | null = null): KeepalivedConfigView {
  const unsafe = checkCommand.find((word) => word === '' || /[\s"'\\]/.test(word))
  // keepalived splits the script line on blanks and has no quoting to rely on
  if (unsafe !== undefined) throw new Error(`the health check command cannot be written into keepalived.conf: ${JSON.stringify(unsafe)} holds a blank, a quote or a backslash`)
  const peerIsIPv4 = isIPv4(ha.peer)
  const withPrefix = (address: string): string => `${address}/${isIPv4(address) ? 32 : 128}`
  return {
    routerName: `l3lb_${ha.routerId}_${ha.priority}`,
    instanceName: VRRP_INSTANCE,
    checkName: CHECK_SCRIPT,
    check: { command: checkCommand.join(' '), ...CHECK_TIMING },
    interface: ha.interface,
    routerId: ha.routerId,
    priority: ha.priority,
    preempt: ha.preempt,
    peer: ha.peer,
    source,
    virtual: ha.virtualAddresses.filter((address) => isIPv4(address) === peerIsIPv4).map(withPrefix),
    excluded: ha.virtualAddresses.filter((address) => isIPv4(address) !== peerIsIPv4).map(withPrefix)
  }
}

/** keepalived.conf for `ha`; `source` as in keepalivedConfigView. */
export function renderKeepalivedConfig (ha: HaSettings, checkCommand: readonly string[], source: string | null = null): string {
  return template('keepalived.conf')(keepalivedConfigView(ha, checkCommand, source))
}
