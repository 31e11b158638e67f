/** UDP flows through a pair (ha-topology.ts): which back end answers a flow, and what the standby's conntrackd holds of them. */
import { join } from 'node:path'
import type { ClientDriver } from './client-driver.js'
import type { HaTopology } from './ha-topology.js'

/** The back end that answers a datagram to the virtual address's `port` from client source port `sourcePort` (one flow each), or null. */
export async function backendOfFlow (topology: HaTopology, client: ClientDriver, port: number, sourcePort: number, timeoutMs: number): Promise<string | null> {
  const reply = await client.udp({ host: topology.addresses.virtual, port, payload: `flow${sourcePort}`, localAddress: topology.addresses.client[0], localPort: sourcePort, timeoutMs })
  return reply === null ? null : reply.split(' ')[0] ?? ''
}

/** How many flows to the virtual address's `port` the conntrackd of `node` (its agent's runtime folder `runtimeDir`) holds in its external cache: the other node's flows. */
export async function flowsInExternalCache (topology: HaTopology, node: 'lb1' | 'lb2', runtimeDir: string, port: number): Promise<number> {
  const { stdout } = await topology.exec(topology.names[node], 'conntrackd', ['-C', join(runtimeDir, 'conntrackd.conf'), '-e'], { reject: false })
  return stdout.split('\n').filter((line) => line.includes(`dst=${topology.addresses.virtual} `) && line.includes(`dport=${port} `)).length
}
