/**
 * File descriptors: the pure parser of /proc/self/limits and the descriptor side of
 * the connection formula. Measured with HAProxy 2.6.12 (docs/limits.md): it needs
 * 2 per connection plus 21 fixed, 3 per thread, 1 per listener, 1 per checked server,
 * 4 for peers and 1 for the master.
 */
import { L3lbError } from '../errors.js'

/** Descriptors a proxied TCP session holds: the client's and the server's. */
export const DESCRIPTORS_PER_CONNECTION = 2
/** Descriptors kept for everything but sessions and listeners; 238 measured at 64 threads, 8 checks, peers, master, 2 logs. */
export const FIXED_DESCRIPTORS = 300
/** Listening sockets the reserve covers without being told; more are added on top. */
export const INCLUDED_LISTENER_SOCKETS = 100
/** Checked servers the fixed reserve covers (the seed's eight outputs); each one more holds a descriptor for its check. */
export const INCLUDED_CHECKED_SERVERS = 8
// RLIM_INFINITY cannot apply to descriptors: the kernel caps them at fs.nr_open (at most 2^30)
const NOFILE_CEILING = 2 ** 30

/** The hard "Max open files" limit of a /proc/self/limits text. */
export function parseNofileHardLimit (limits: string): number {
  const match = /^Max open files\s+(\S+)\s+(\S+)\s+files\s*$/m.exec(limits)
  const hard = match?.[2]
  if (hard === undefined) {
    throw new L3lbError('L3LB_START_FAILED', 'could not determine the file-descriptor limit: /proc/self/limits has no "Max open files <soft> <hard> files" line')
  }
  if (hard === 'unlimited') return NOFILE_CEILING
  if (!/^\d+$/.test(hard) || Number(hard) <= 0) {
    throw new L3lbError('L3LB_START_FAILED', `could not determine the file-descriptor limit: hard "Max open files" is "${hard}", expected a positive number or unlimited`)
  }
  return Number(hard)
}

/** Descriptors HAProxy needs besides its sessions' two each. */
export function descriptorReserve (listenerSockets: number, checkedServers = INCLUDED_CHECKED_SERVERS): number {
  return FIXED_DESCRIPTORS + Math.max(listenerSockets, INCLUDED_LISTENER_SOCKETS) + Math.max(0, checkedServers - INCLUDED_CHECKED_SERVERS)
}

/** Sessions that fit under the descriptor hard limit once the reserve is kept. */
export function connectionsForDescriptors (hardLimit: number, reserve: number): number {
  return Math.max(0, Math.floor((hardLimit - reserve) / DESCRIPTORS_PER_CONNECTION))
}

/** HAProxy's ulimit-n for `maxConnections`: two each plus the reserve, never above the hard limit. */
export function ulimitFor (maxConnections: number, reserve: number, hardLimit: number): number {
  return Math.min(hardLimit, DESCRIPTORS_PER_CONNECTION * maxConnections + reserve)
}
