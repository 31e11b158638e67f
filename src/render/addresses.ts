/** How HAProxy wants addresses written. */
import { isIPv6 } from 'node:net'
import type { PortRange } from '../properties/model.js'

/** An address as a HAProxy server or bind address: IPv6 in brackets so its colons are not read as a port. */
export function haproxyAddress (address: string): string {
  return isIPv6(address) ? `[${address}]` : address
}

/** `80` or `90-99`. */
export function portRangeText (range: PortRange): string {
  return range.low === range.high ? String(range.low) : `${range.low}-${range.high}`
}
