/**
 * Connections the kernel has accepted for HAProxy's `in` listeners that HAProxy has not
 * taken yet. Past max_connections HAProxy stops accepting and new connections wait there
 * (SPEC §3: "accepted, but wait"), so this is the seed's queue in front of the outputs.
 */
import { open } from 'node:fs/promises'
import type { PortRange } from '../properties/model.js'

/** Where the kernel lists this network namespace's TCP sockets, listeners first. */
export const PROC_NET_TCP: readonly string[] = ['/proc/net/tcp', '/proc/net/tcp6']

/** The state column of a listening socket in /proc/net/tcp (TCP_LISTEN). */
const LISTEN_STATE = '0A'

/**
 * Pure: the summed accept backlog of the listening sockets on `ports`, from the backlog by
 * local port. `ports` are apart from each other, as a service's merged ranges are.
 */
export function listenBacklog (byPort: ReadonlyMap<number, number>, ports: readonly PortRange[]): number {
  let waiting = 0
  for (const range of ports) {
    // a range narrower than the listeners are many is looked up port by port: at 256 services,
    // each on its own port, walking every listener for every service was 65,000 steps a read
    if (range.high - range.low < byPort.size) {
      for (let port = range.low; port <= range.high; port++) waiting += byPort.get(port) ?? 0
    } else {
      for (const [port, backlog] of byPort) if (port >= range.low && port <= range.high) waiting += backlog
    }
  }
  return waiting
}

/**
 * Pure: adds each listener's accept backlog of `lines` of /proc/net/tcp or tcp6 to `byPort`
 * (`sl local_address rem_address st tx_queue:rx_queue …`, hexadecimal; for a listener,
 * rx_queue is the connections waiting to be accepted). The kernel lists every listener
 * before any other socket: true once a line of another state is met, when the rest can go unread.
 */
export function addListeners (lines: readonly string[], byPort: Map<number, number>): boolean {
  for (const line of lines) {
    const [, local, , state, queues] = line.trim().split(/\s+/, 5)
    // the header line, or a blank one
    if (local === undefined || state === undefined || queues === undefined || local === 'local_address') continue
    if (state !== LISTEN_STATE) return true
    const port = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16)
    const waiting = Number.parseInt(queues.slice(queues.indexOf(':') + 1), 16)
    if (Number.isNaN(port)) continue
    byPort.set(port, (byPort.get(port) ?? 0) + (Number.isNaN(waiting) ? 0 : waiting))
  }
  return false
}

/**
 * The accept backlog of this network namespace's listening TCP sockets by local port, IPv4
 * and IPv6. Only the head of /proc/net/tcp is read, up to its last listener: under connection
 * churn the whole file has tens of thousands of TIME_WAIT lines (seconds to read), and running
 * `ss` for the listeners alone cost the agent's event loop a fork of itself every 2 s (~5 ms
 * at 256 services). A file that cannot be read (no IPv6) counts nothing.
 */
export async function readListenBacklog (files: readonly string[] = PROC_NET_TCP): Promise<Map<number, number>> {
  const byPort = new Map<number, number>()
  for (const file of files) await addListenersOf(file, byPort)
  return byPort
}

// reads `file` a chunk at a time (the kernel writes each chunk on demand) until its listeners end
async function addListenersOf (file: string, byPort: Map<number, number>): Promise<void> {
  const handle = await open(file, 'r').catch(() => null)
  if (handle === null) return
  try {
    const buffer = Buffer.alloc(READ_CHUNK_BYTES)
    // a line cut by the chunk's end, completed by the next chunk
    let partial = ''
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) {
        addListeners([partial], byPort)
        return
      }
      const lines = (partial + buffer.toString('latin1', 0, bytesRead)).split('\n')
      partial = lines.pop() ?? ''
      if (addListeners(lines, byPort)) return
    }
  } catch {
    // a read that fails counts what was read before it
  } finally {
    await handle.close()
  }
}

/** About 400 lines of /proc/net/tcp: the listeners of 256 services in one read. */
const READ_CHUNK_BYTES = 64 * 1024
