/**
 * (SPEC §14) Per-service checks on a host two UDP services share: the host's process for one
 * service stops while the other's still answers. The `udp` check takes the server down in the
 * first service only; that service's flows to the host move at their next datagram, the other
 * service's flows to the same host stay where they are (conntrack entries kept, same server).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ctlEnv, startAgent, type AgentHandle, writeAgentFiles } from '../../support/agent-driver.js'
import { startBackend } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type SpawnedProcess, type Topology } from '../../support/topology.js'
import { waitFor } from '../../support/wait.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let dir: string
let alphaOnShared: SpawnedProcess | undefined

const INTERVAL_S = 1
const FALL = 2
const ALPHA_PORT = 7100
const BETA_PORT = 7200

// the server that answered a datagram from `localPort` to the service on `port`
async function serverOf (port: number, localPort: number): Promise<string> {
  const reply = await client.udp({ host: topology.addresses.lbClientSide, port, payload: 'ping', timeoutMs: 2000, localPort })
  assert.notEqual(reply, null, `no answer on ${port} to a datagram from port ${localPort}`)
  return String(reply).split(' ')[0] ?? ''
}

// `count` client ports whose flows to `port` went to `server`, the first tried from `from`
async function flowsTo (port: number, server: string, count: number, from: number): Promise<number[]> {
  const found: number[] = []
  for (let local = from; local < from + 40 && found.length < count; local++) {
    if (await serverOf(port, local) === server) found.push(local)
  }
  assert.equal(found.length, count, `${count} flows to ${port} did not reach ${server}`)
  return found
}

// the clients' conntrack entries (not the agent's checks) to the service on `port` answered by `address`
async function entries (address: string, port: number): Promise<number> {
  const listing = await topology.exec(topology.names.lb, 'conntrack', ['-L', '-p', 'udp', '--reply-src', address, '--orig-dst', topology.addresses.lbClientSide, '--orig-port-dst', String(port)])
  return listing.stdout.split('\n').filter((line) => line.includes('src=')).length
}

before(async () => {
  topology = await createTopology({ backends: 3 })
  client = await startClient(topology)
  // be1 serves both services, one process each; be2 only alpha, be3 only beta
  alphaOnShared = await startBackend(topology, 1, { ports: String(ALPHA_PORT), udp: true })
  await startBackend(topology, 1, { ports: String(BETA_PORT), udp: true })
  await startBackend(topology, 2, { ports: String(ALPHA_PORT), udp: true })
  await startBackend(topology, 3, { ports: String(BETA_PORT), udp: true })
  const [be1, be2, be3] = topology.addresses.backends
  dir = mkdtempSync(join(tmpdir(), 'l3lb-shared-host-'))
  const checks = `healthcheck_interval=${INTERVAL_S}\nhealthcheck_fall=${FALL}\nhealthcheck_rise=1\nhealthcheck_kind=udp\nhealthcheck_send='ping\\n'\n`
  const env = `mode=tcp_roundrobin\nports=80\n${ctlEnv(topology)}`
  // no in_addr: both on every address, told apart by their ports only (the hardest case to select)
  writeAgentFiles(dir, env, {
    alpha: `mode=udp_roundrobin\nports=${ALPHA_PORT}\nserver_a=${be1}\nserver_b=${be2}\n${checks}`,
    beta: `mode=udp_roundrobin\nports=${BETA_PORT}\nserver_a=${be1}\nserver_b=${be3}\n${checks}`
  })
  agent = await startAgent(topology, client, { env, dir })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  await topology?.destroy()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

test('alpha\'s process on the shared host stops: alpha\'s flows there move, beta\'s flows to the same host stay', async () => {
  await agent.process.waitForLine(/UDP health checks of service alpha's 2 server\(s\) every 1 s/, 5000)
  await agent.process.waitForLine(/UDP health checks of service beta's 2 server\(s\) every 1 s/, 5000)
  const be1 = topology.addresses.backends[0] ?? ''
  const alpha = await flowsTo(ALPHA_PORT, 'be1', 3, 40000)
  const beta = await flowsTo(BETA_PORT, 'be1', 4, 42000)
  assert.equal(await entries(be1, ALPHA_PORT), 3)
  assert.equal(await entries(be1, BETA_PORT), 4)

  await alphaOnShared?.stop()
  await agent.process.waitForLine(/alpha\/a \(.*\) is down after 2 failed checks in a row/, (INTERVAL_S * FALL + 1) * 1000 + 2000)
  await waitFor('alpha/a down in /api/status', async () => (await agent.ctl('/api/status?service=alpha')).status.a === 'down', 2000)
  // beta's server on the same host is still up: its checks go to its own process
  assert.equal((await agent.ctl('/api/status?service=beta')).status.a, 'up')
  await waitFor('alpha\'s flows to be1 forgotten', async () => await entries(be1, ALPHA_PORT) === 0, 2000)
  // before any new datagram: beta's entries are the very ones, not re-made
  assert.equal(await entries(be1, BETA_PORT), 4)
  for (const local of alpha) assert.equal(await serverOf(ALPHA_PORT, local), 'be2', `alpha's flow from ${local} did not move`)
  // forgotten, these would be spread anew in strict rotation, at most half of them to be1
  for (const local of beta) assert.equal(await serverOf(BETA_PORT, local), 'be1', `beta's flow from ${local} moved`)
  assert.equal(await entries(be1, BETA_PORT), 4)
})
