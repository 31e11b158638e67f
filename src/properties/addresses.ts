import { isIPv4, isIPv6 } from 'node:net'
import { canonicalAddress } from './canonical-address.js'

/** An address, or what is accepted when the text is not one. */
export type AddressResult =
  | { readonly ok: true, readonly address: string }
  | { readonly ok: false, readonly reason: string }

/** Addresses, or every reason the list is not accepted. */
export type AddressListResult =
  | { readonly ok: true, readonly addresses: readonly string[] }
  | { readonly ok: false, readonly reasons: readonly string[] }

const SEPARATORS = /[\s,]+/
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/
const NUMERIC = /^[0-9]+$/
// `host:port` and `[v6]:port`, told apart so the message can say that ports do not belong here.
const WITH_PORT = /^(?:[^:[\]]+|\[[^\]]*\]):\d+$/
const UNSPECIFIED = new Set(['0.0.0.0', '::'])

const IP_ACCEPTED = 'an IPv4 address or an IPv6 address (brackets optional)'
const OUTPUT_ACCEPTED = 'an IPv4 address, an IPv6 address (brackets optional) or a host name, without a port'

/** An IPv4 or IPv6 address (IPv6 with or without brackets, no zone), given back without brackets; null when it is not one. */
export function parseIpAddress (text: string): string | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  if (bare !== text && !isIPv6(bare)) return null
  // A zone (`%eth0`) names a host's interface: not portable, and HAProxy binds by address.
  if (bare.includes('%')) return null
  return isIPv4(bare) || isIPv6(bare) ? bare : null
}

/** True for an RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, the last not all digits. */
export function isHostName (text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text
  const labels = name.split('.')
  const last = labels.at(-1) ?? ''
  return name.length > 0 && name.length <= 253 && labels.every((label) => LABEL.test(label)) && !NUMERIC.test(last)
}

/** The address of one back end (`outN`): an IP address or a host name, never a port nor an unspecified address. */
export function parseOutputAddress (text: string): AddressResult {
  const ip = parseIpAddress(text)
  if (ip !== null && UNSPECIFIED.has(comparableAddress(ip))) {
    return { ok: false, reason: `${JSON.stringify(text)} is not accepted: an unspecified address is not a back end; give ${OUTPUT_ACCEPTED}` }
  }
  if (ip !== null) return { ok: true, address: ip }
  if (isHostName(text)) return { ok: true, address: text }
  if (WITH_PORT.test(text)) {
    return { ok: false, reason: `${JSON.stringify(text)} is not accepted: give ${OUTPUT_ACCEPTED}; a back end receives traffic on the port the client used` }
  }
  return { ok: false, reason: `${JSON.stringify(text)} is not accepted: give ${OUTPUT_ACCEPTED}` }
}

/** One address to listen on: an IP address, `0.0.0.0` or `::` for every address. */
export function parseListenAddress (text: string): AddressResult {
  const ip = parseIpAddress(text)
  if (ip !== null) return { ok: true, address: ip }
  return { ok: false, reason: `${JSON.stringify(text)} is not accepted: give ${IP_ACCEPTED}; 0.0.0.0 or :: listens on every address` }
}

/** Addresses to listen on, separated by spaces or commas; an empty list means every address. Repeats are dropped. */
export function parseListenAddresses (text: string): AddressListResult {
  const addresses: string[] = []
  const seen = new Set<string>()
  const reasons: string[] = []
  for (const token of text.split(SEPARATORS).filter((part) => part !== '')) {
    const address = parseIpAddress(token)
    if (address === null) {
      reasons.push(`${JSON.stringify(token)} is not accepted: give IPv4 or IPv6 addresses (brackets optional) separated by spaces or commas; empty listens on every address`)
    } else if (!seen.has(comparableAddress(address))) {
      seen.add(comparableAddress(address))
      addresses.push(address)
    }
  }
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, addresses }
}

/**
 * True when two listen addresses can collide on one port: equal, or one of them covers the
 * other. `null` is every address; `::` is dual-stack (every address) as HAProxy binds it;
 * `0.0.0.0` covers every IPv4 address.
 */
export function listenAddressesOverlap (a: string | null, b: string | null): boolean {
  if (a === null || b === null) return true
  const left = comparableAddress(a)
  const right = comparableAddress(b)
  if (left === right || left === '::' || right === '::') return true
  return (left === '0.0.0.0' && isIPv4(right)) || (right === '0.0.0.0' && isIPv4(left))
}

// One spelling per address, IPv4-mapped IPv6 as IPv4, so equal addresses compare equal.
function comparableAddress (address: string): string {
  const canonical = canonicalAddress(address) ?? address
  return canonical.startsWith('::ffff:') && canonical.includes('.') ? canonical.slice('::ffff:'.length) : canonical
}
