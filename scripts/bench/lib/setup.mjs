// What the benchmark and the config comparison share: the namespaces' sysctls, the nginx
// back ends, readiness probes, the client-side tools and the wrk cases.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeBackendConfig, nginxArgs } from './nginx.mjs'
import { parseWrk, sumWrk } from './measure.mjs'

export const TOOLS = fileURLToPath(new URL('../tools/', import.meta.url))

/** The TCP cases: what wrk asks for and which of its figures each is judged on. */
export const TCP_CASES = [
  { name: 'keepalive', title: 'requests/s, kept-alive connections, 100 B', path: '/small', connections: 64, close: false, figure: 'requestsPerSecond' },
  { name: 'close', title: 'new connections/s (`Connection: close`), 100 B', path: '/small', connections: 32, close: true, figure: 'requestsPerSecond' },
  { name: 'bulk', title: 'MB/s, 1 MiB objects', path: '/big', connections: 16, close: false, figure: 'bytesPerSecond' }
]

/**
 * Namespace-local sysctls only: many short connections from one client address. Source
 * ports start at 20000, above every port the benchmark listens on (services up to 10999):
 * an outgoing connection's TIME_WAIT on a later group's service port fails HAProxy's bind.
 */
export async function tuneNamespaces (topology) {
  for (const ns of [topology.names.client, topology.names.lb, ...topology.names.backends]) {
    await topology.exec(ns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_local_port_range=20000 65000', 'net.ipv4.tcp_tw_reuse=1', 'net.core.somaxconn=8192'])
  }
}

/** Runs one of tools/ in the client namespace and waits for it. */
export async function runTool (topology, tool, args, timeoutMs) {
  return await topology.exec(topology.names.client, process.execPath, [join(TOOLS, tool), ...args], { timeoutMs })
}

/** Resolves once GET /small through `target` answers 200 (from the client namespace), 15 s at most. */
export async function waitReady (topology, target) {
  const result = await runTool(topology, 'http-probe.mjs', ['--urls', `http://${target}/small`, '--until-ok', '--timeout', '15000'], 20_000)
  const okAt = JSON.parse(result.stdout.trim().split('\n').pop()).okAt
  if (okAt === null) throw new Error(`${target} did not answer GET /small within 15 s`)
  return okAt
}

/** Starts back end `index`'s nginx (its files under `tmp`) and waits until it serves. */
export async function startBackend (topology, tmp, index) {
  const dir = join(tmp, `be${index + 1}`)
  const address = topology.addresses.backends[index]
  topology.spawn(topology.names.backends[index], 'nginx', nginxArgs(dir, writeBackendConfig(dir, address, 80)))
  await waitReady(topology, `${address}:80`)
}

/** wrk against every target side by side (one process each, the connections split evenly); summed. */
export async function wrk (topology, targets, { path, connections, close, duration }) {
  const per = Math.max(1, Math.round(connections / targets.length))
  const outputs = await Promise.all(targets.map((target) => topology.exec(topology.names.client, 'wrk', [
    '-t1', `-c${per}`, `-d${duration}s`, '--timeout', '5s',
    ...(close ? ['-H', 'Connection: close'] : []),
    `http://${target}${path}`
  ], { timeoutMs: (duration + 20) * 1000 })))
  return sumWrk(outputs.map((o) => parseWrk(o.stdout)))
}
