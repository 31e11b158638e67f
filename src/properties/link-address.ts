/** Pure: this node's own address on the VRRP link, which keepalived's adverts and conntrackd's sync are sent from. */
import { BlockList, isIPv4 } from 'node:net'
import type { HaSettings } from './model.js'

/** One address of an interface, as os.networkInterfaces() lists it. */
export interface InterfaceAddress {
  readonly address: string
  readonly family: 'IPv4' | 'IPv6'
  /** `address/prefix`; null when unknown. */
  readonly cidr: string | null
  readonly internal?: boolean
}

/**
 * Of `addresses` (those of ha_interface): one of ha_peer's family that does not move (not a
 * virtual address of either side), not link-local, not loopback; on the peer's subnet when
 * one is. Null when there is none. keepalived's default source for IPv6 is the link-local
 * address, and a unicast peer hears only adverts sent to the address it binds, so an
 * IPv6-only pair without this never heard each other (two MASTERs).
 */
export function ownLinkAddress (ha: Pick<HaSettings, 'peer' | 'virtualAddresses' | 'outputVirtualAddresses'>, addresses: readonly InterfaceAddress[]): string | null {
  const family = isIPv4(ha.peer) ? 'IPv4' : 'IPv6'
  const kind = family === 'IPv4' ? 'ipv4' : 'ipv6'
  const moving = new BlockList()
  for (const address of [...ha.virtualAddresses, ...ha.outputVirtualAddresses].filter((candidate) => isIPv4(candidate) === (family === 'IPv4'))) moving.addAddress(address, kind)
  const own = addresses.filter((entry) => entry.family === family && entry.internal !== true && !moving.check(entry.address, kind) && !/^fe[89ab]/i.test(entry.address))
  const onPeerSubnet = own.find((entry) => {
    const [network, prefix] = (entry.cidr ?? '').split('/')
    if (network === undefined || prefix === undefined) return false
    const subnet = new BlockList()
    subnet.addSubnet(network, Number(prefix), kind)
    return subnet.check(ha.peer, kind)
  })
  return (onPeerSubnet ?? own[0])?.address ?? null
}
