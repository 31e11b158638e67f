/**
 * Pure: the HA properties to conntrackd.conf text (templates/conntrackd.conf.hbs); the node's
 * own address it sends from is link-address.ts's choice.
 */
import { isIPv4 } from 'node:net'
import type { HaSettings } from '../properties/model.js'
import { canonicalAddress } from '../properties/canonical-address.js'
import { template } from '../render/templates.js'

/** The UDP port conntrackd's sync messages use on the link, conntrackd's own default. */
export const CONNTRACKD_PORT = 3780

/** The files of one conntrackd, all in the agent's runtime folder. */
export interface ConntrackdFiles {
  readonly lockFile: string
  readonly socket: string
}

/** What templates/conntrackd.conf.hbs is filled with. */
export interface ConntrackdConfigView {
  readonly interface: string
  readonly local: string
  readonly peer: string
  readonly addressKey: 'IPv4_address' | 'IPv6_address'
  readonly destinationKey: 'IPv4_Destination_Address' | 'IPv6_Destination_Address'
  readonly port: number
  readonly lockFile: string
  readonly socket: string
  readonly ignoreIPv4: readonly string[]
  readonly ignoreIPv6: readonly string[]
}

/**
 * This node's own address on `ha.interface` in the family of `ha.peer`, from what
 * os.networkInterfaces() reports: not a virtual address, not link-local; null when there is none.
 */
/** The view for `ha`, with `local` this node's own address on the link (ownLinkAddress). */
export function conntrackdConfigView (ha: HaSettings, local: string, files: ConntrackdFiles): ConntrackdConfigView {
  const v4 = isIPv4(ha.peer)
  if (isIPv4(local) !== v4) throw new Error(`conntrackd cannot send from ${local} to ${ha.peer}: the two addresses are of different families`)
  const ignored = [...new Set([local, ha.peer, ...ha.virtualAddresses, ...ha.outputVirtualAddresses].map(canonical))]
  for (const file of [files.lockFile, files.socket]) {
    // conntrackd's parser reads a path as one word
    if (!/^\/[\w@%+=:,./-]+$/.test(file)) throw new Error(`conntrackd.conf cannot name ${JSON.stringify(file)}: an absolute path of letters, digits and _@%+=:,./- is needed`)
  }
  return {
    interface: ha.interface,
    local,
    peer: ha.peer,
    addressKey: v4 ? 'IPv4_address' : 'IPv6_address',
    destinationKey: v4 ? 'IPv4_Destination_Address' : 'IPv6_Destination_Address',
    port: CONNTRACKD_PORT,
    lockFile: files.lockFile,
    socket: files.socket,
    ignoreIPv4: ['127.0.0.1', ...ignored.filter((address) => isIPv4(address))],
    ignoreIPv6: ['::1', ...ignored.filter((address) => !isIPv4(address))]
  }
}

/** conntrackd.conf for `ha`. */
export function renderConntrackdConfig (ha: HaSettings, local: string, files: ConntrackdFiles): string {
  return template('conntrackd.conf')(conntrackdConfigView(ha, local, files))
}

function canonical (address: string): string {
  return canonicalAddress(address) ?? address
}
