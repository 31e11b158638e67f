/**
 * Connections the kernel has accepted for HAProxy's `in` listeners that HAProxy has not
 * taken yet. Past max_connections HAProxy stops accepting and new connections wait there
 * (SPEC §3: "accepted, but wait"), so this is the seed's queue in front of the outputs.
 */
import { execa } from 'execa'
import type { PortRange } from '../properties/model.js'

/**
 * Pure: the summed accept backlog of the listening sockets on `ports`, from `ss -H -l -t -n`
 * (for a listening socket, Recv-Q is the connections waiting to be accepted). `ports` are
 * apart from each other, as a service's merged ranges are.
 */
export function listenBacklog (ssListening: string | ReadonlyMap<number, number>, ports: readonly PortRange[]): number {
  const byPort = typeof ssListening === 'string' ? backlogByPort(ssListening) : ssListening
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
