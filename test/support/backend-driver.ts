/**
 * Starts backend-server.js in back-end namespaces and waits until each is listening.
 */
import { fileURLToPath } from 'node:url'
import type { SpawnedProcess, Topology, TopologyNames } from './topology.js'

/** What starting back ends needs of a topology (topology.ts and ha-topology.ts both have it). */
export type BackendTopology = Pick<Topology, 'spawn'> & { readonly names: Pick<TopologyNames, 'backends'> }

const BACKEND_PROGRAM = fileURLToPath(new URL('./backend-server.js', import.meta.url))

export interface BackendOptions {
  /** Ports and ranges, as in the `ports` property: '80,81,90-99'. */
  ports: string
  /** Also answer UDP datagrams on every port. Default false. */
  udp?: boolean
  /** Answer HTTP on the TCP ports, each request with the status this file holds then (200 without one). */
  httpStatusFile?: string
}

/** Starts one server in back end `index` (1-based), named `be<index>`; resolves once it printed `ready`. */
export async function startBackend (topology: BackendTopology, index: number, options: BackendOptions): Promise<SpawnedProcess> {
  const ns = topology.names.backends[index - 1]
  if (ns === undefined) throw new Error(`back end must be 1..${topology.names.backends.length}, got ${index}`)
  const args = [BACKEND_PROGRAM, '--name', `be${index}`, '--ports', options.ports, ...(options.udp === true ? ['--udp'] : []), ...(options.httpStatusFile === undefined ? [] : ['--http-status-file', options.httpStatusFile])]
  const server = topology.spawn(ns, process.execPath, args)
  await server.waitForLine('ready', 10_000)
  return server
}

/** Starts a server in every back end (be1..beN) with the same ports. */
export async function startBackends (topology: BackendTopology, options: BackendOptions): Promise<SpawnedProcess[]> {
  return await Promise.all(topology.names.backends.map((_, i) => startBackend(topology, i + 1, options)))
}
