/**
 * Connections the kernel has accepted for HAProxy's `in` listeners that HAProxy has not
 * taken yet. Past max_connections HAProxy stops accepting and new connections wait there
 * (SPEC §3: "accepted, but wait"), so this is the seed's queue in front of the outputs.
 */
import { open } from 'node:fs/promises'
import { isIP } from 'node:net'
import { endianness } from 'node:os'
import { ipv6Groups } from '../properties/canonical-address.js'
import type { PortRange } from '../properties/model.js'

/** Where the kernel lists this network namespace's TCP sockets, listeners first. */
export const PROC_NET_TCP: readonly string[] = ['/proc/net/tcp', '/proc/net/tcp6']

/** The state column of a listening socket in /proc/net/tcp (TCP_LISTEN). */
const LISTEN_STATE = '0A'

/**
 * The accept backlog of the listening sockets by local port, every address summed; read from
 * the kernel, also by listener (its local address as the kernel prints it, and port), so that services that
 * share a port on addresses of their own (virtual services on one VIP each, all on 443) each
 * count only their own waiting connections.
 */
export interface ListenBacklog extends ReadonlyMap<number, number> {
  readonly byListener?: ReadonlyMap<string, number>
}

/**
 * Pure: the summed accept backlog of the listening sockets on `ports`, from the backlog by
 * local port; with `addresses` (a service's in_addr), of those addresses' listeners alone
 * where the backlog has them by listener (`HEXADDRESS:port`, procNetAddress). `ports` are apart from each other, as a service's
 * merged ranges are. A service on every address needs no address: no other service may
 * listen on its ports (properties/configuration.ts).
 */
export function listenBacklog (backlog: ListenBacklog, ports: readonly PortRange[], addresses: readonly string[] = []): number {
  const byListener = backlog.byListener
  if (addresses.length > 0 && byListener !== undefined) return listenersBacklog(byListener, ports, addresses)
  let waiting = 0
  for (const range of ports) {
    // a range narrower than the listeners are many is looked up port by port: at 256 services,
    // each on its own port, walking every listener for every service was 65,000 steps a read
    if (range.high - range.low < backlog.size) {
      for (let port = range.low; port <= range.high; port++) waiting += backlog.get(port) ?? 0
    } else {
      for (const [port, waitingThere] of backlog) if (port >= range.low && port <= range.high) waiting += waitingThere
    }
  }
  return waiting
}

function listenersBacklog (byListener: ReadonlyMap<string, number>, ports: readonly PortRange[], addresses: readonly string[]): number {
  const hexes = new Set(addresses.map((address) => procNetAddress(address)).filter((hex): hex is string => hex !== null))
  let waiting = 0
  for (const range of ports) {
    if ((range.high - range.low + 1) * hexes.size <= byListener.size) {
      for (const hex of hexes) for (let port = range.low; port <= range.high; port++) waiting += byListener.get(`${hex}:${port}`) ?? 0
      continue
    }
    for (const [key, waitingThere] of byListener) {
      const at = key.lastIndexOf(':')
      const port = Number(key.slice(at + 1))
      if (port >= range.low && port <= range.high && hexes.has(key.slice(0, at))) waiting += waitingThere
    }
  }
  return waiting
}

/**
 * Pure: `address` as /proc/net/tcp and tcp6 print a local address: each 32-bit word of it
 * in hexadecimal, upper case, in the host's byte order (the kernel prints the word as stored).
 * null for what is not an IP address.
 */
export function procNetAddress (address: string, littleEndian = endianness() === 'LE'): string | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address
  const plain = bare.includes('%') ? bare.slice(0, bare.indexOf('%')) : bare
  const family = isIP(plain)
  if (family === 0) return null
  const bytes = family === 4
    ? plain.split('.').map(Number)
    : ipv6Groups(plain.toLowerCase()).flatMap((group) => [group >> 8, group & 0xff])
  let hex = ''
  for (let word = 0; word < bytes.length; word += 4) {
    const four = bytes.slice(word, word + 4)
    for (const byte of littleEndian ? four.reverse() : four) hex += byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return hex
}

/**
 * Pure: adds each listener's accept backlog of `lines` of /proc/net/tcp or tcp6 to `byPort`,
 * and when given to `byListener` by `HEXADDRESS:port` (`sl local_address rem_address st
 * tx_queue:rx_queue …`, hexadecimal; for a listener, rx_queue is the connections waiting to be
 * accepted). The kernel lists every listener before any other socket: true once a line of
 * another state is met, when the rest can go unread.
 */
export function addListeners (lines: readonly string[], byPort: Map<number, number>, byListener?: Map<string, number>): boolean {
  for (const line of lines) {
    const [, local, , state, queues] = line.trim().split(/\s+/, 5)
    // the header line, or a blank one
    if (local === undefined || state === undefined || queues === undefined || local === 'local_address') continue
    if (state !== LISTEN_STATE) return true
    const colon = local.lastIndexOf(':')
    const port = Number.parseInt(local.slice(colon + 1), 16)
    const parsed = Number.parseInt(queues.slice(queues.indexOf(':') + 1), 16)
    if (Number.isNaN(port)) continue
    const waiting = Number.isNaN(parsed) ? 0 : parsed
    byPort.set(port, (byPort.get(port) ?? 0) + waiting)
    if (byListener !== undefined) {
      const key = `${local.slice(0, colon)}:${port}`
      byListener.set(key, (byListener.get(key) ?? 0) + waiting)
    }
  }
  return false
}

/**
 * The accept backlog of this network namespace's listening TCP sockets by local port and by
 * listener, IPv4 and IPv6. Only the head of /proc/net/tcp is read, up to its last listener: under connection
 * churn the whole file has tens of thousands of TIME_WAIT lines (seconds to read), and running
 * `ss` for the listeners alone cost the agent's event loop a fork of itself every 2 s (~5 ms
 * at 256 services). A file that cannot be read (no IPv6) counts nothing.
 */
export async function readListenBacklog (files: readonly string[] = PROC_NET_TCP): Promise<Map<number, number> & ListenBacklog> {
  const byListener = new Map<string, number>()
  const byPort = Object.assign(new Map<number, number>(), { byListener })
  for (const file of files) await addListenersOf(file, byPort, byListener)
  return byPort
}

// reads `file` a chunk at a time (the kernel writes each chunk on demand) until its listeners end
async function addListenersOf (file: string, byPort: Map<number, number>, byListener: Map<string, number>): Promise<void> {
  const handle = await open(file, 'r').catch(() => null)
  if (handle === null) return
  try {
    const buffer = Buffer.alloc(READ_CHUNK_BYTES)
    // a line cut by the chunk's end, completed by the next chunk
    let partial = ''
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) {
        addListeners([partial], byPort, byListener)
        return
      }
      const lines = (partial + buffer.toString('latin1', 0, bytesRead)).split('\n')
      partial = lines.pop() ?? ''
      if (addListeners(lines, byPort, byListener)) return
    }
  } catch {
    // a read that fails counts what was read before it
  } finally {
    await handle.close()
  }
}

/** About 400 lines of /proc/net/tcp: the listeners of 256 services in one read. */
const READ_CHUNK_BYTES = 64 * 1024
