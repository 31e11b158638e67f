/**
 * Connections the kernel has accepted for HAProxy's `in` listeners that HAProxy has not
 * taken yet. Past max_connections HAProxy stops accepting and new connections wait there
 * (SPEC §3: "accepted, but wait"), so this is the seed's queue in front of the outputs.
 */
import { execa } from 'execa'
import type { PortRange } from '../properties/model.js'

/**
 * Pure: the summed accept backlog of the listening sockets on `ports`, from `ss -H -l -t -n`
 * (for a listening socket, Recv-Q is the connections waiting to be accepted).
 */
export function listenBacklog (ssListening: string | ReadonlyMap<number, number>, ports: readonly PortRange[]): number {
  const byPort = typeof ssListening === 'string' ? backlogByPort(ssListening) : ssListening
  let waiting = 0
  for (const [port, backlog] of byPort) {
    if (ports.some((range) => port >= range.low && port <= range.high)) waiting += backlog
  }
  return waiting
}

/** Pure: the accept backlog of `ss -H -l -t -n`'s listening sockets by local port, read once for every service's sum. */
export function backlogByPort (ssListening: string): Map<number, number> {
  const byPort = new Map<number, number>()
  for (const line of ssListening.split('\n')) {
    const [state, receiveQueue, , local] = line.trim().split(/\s+/)
    if (state !== 'LISTEN' || receiveQueue === undefined || local === undefined) continue
    const port = Number(local.slice(local.lastIndexOf(':') + 1))
    byPort.set(port, (byPort.get(port) ?? 0) + (Number(receiveQueue) || 0))
  }
  return byPort
}

/**
 * The listening TCP sockets of this network namespace, as `ss` prints them. Not
 * /proc/net/tcp: that lists every socket, and under connection churn its tens of
 * thousands of TIME_WAIT lines took seconds to read; ss asks the kernel for listeners only.
 */
export async function readListeningSockets (): Promise<string> {
  const result = await execa('ss', ['-H', '-l', '-t', '-n'], { reject: false, timeout: 2000 })
  return result.failed ? '' : result.stdout
}
