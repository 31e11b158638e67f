/**
 * Pure: connections the kernel has accepted for HAProxy's `in` listeners that HAProxy has
 * not taken yet. Past max_connections HAProxy stops accepting and new connections wait
 * there (SPEC §3: "accepted, but wait"), so this is the seed's queue in front of the outputs.
 */
import type { PortRange } from '../properties/model.js'

const LISTEN = '0A'

/**
 * The summed accept backlog of the listening sockets on `ports`, from the text of
 * /proc/net/tcp and /proc/net/tcp6 (for a listening socket, rx_queue is that backlog).
 */
export function listenBacklog (procNetTcp: string, ports: readonly PortRange[]): number {
  let waiting = 0
  for (const line of procNetTcp.split('\n')) {
    const fields = line.trim().split(/\s+/)
    const [, local, , state, queues] = fields
    if (state !== LISTEN || local === undefined || queues === undefined) continue
    const port = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16)
    if (!ports.some((range) => port >= range.low && port <= range.high)) continue
    waiting += Number.parseInt(queues.slice(queues.indexOf(':') + 1), 16) || 0
  }
  return waiting
}
