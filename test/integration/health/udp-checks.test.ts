/**
 * (SPEC §14) Checks that see a UDP service, run by the agent, for real: a service whose
 * process stops while its host still answers ping is taken down by `udp` (the ICMP
 * port-unreachable) and by `sip` (SIPp, a real SIP endpoint, as the server) within
 * interval × fall + 1 s, its flows move, and it comes back when the process does.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ctlEnv, startAgent, type AgentHandle, writeAgentFiles } from '../../support/agent-driver.js'
import { startBackend } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type SpawnedProcess, type Topology } from '../../support/topology.js'
import { waitFor } from '../../support/wait.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let dir: string
const sipp = new Map<number, SpawnedProcess>()
const echo = new Map<number, SpawnedProcess>()

const INTERVAL_S = 1
const FALL = 2
const SIP_PORT = 5060
// not 6000: SIPp takes it for media
const UDP_PORT = 7100
const SCENARIO = fileURLToPath(new URL('../../../../test/support/sipp-options-uas.xml', import.meta.url))

// SIPp answering OPTIONS with 200 in back end `index`
async function startSipp (index: number): Promise<void> {
  const address = topology.addresses.backends[index - 1] ?? ''
  const ns = topology.names.backends[index - 1] ?? ''
  const process = topology.spawn(ns, 'sipp', ['-sf', SCENARIO, '-i', address, '-p', String(SIP_PORT), '-nostdin', '-nd'])
  sipp.set(index, process)
  await waitForUdpListener(ns, SIP_PORT)
}

// the back-end server's UDP echo, `be<index> <port> <payload>`
async function startEcho (index: number): Promise<void> {
  echo.set(index, await startBackend(topology, index, { ports: String(UDP_PORT), udp: true }))
}

async function waitForUdpListener (ns: string, port: number): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const listing = await topology.exec(ns, 'ss', ['-Hlun', `sport = :${port}`])
    if (listing.stdout.trim() !== '') return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`nothing listens on UDP ${port} in ${ns}`)
}

async function flow (localPort: number): Promise<string> {
  const reply = await client.udp({ host: topology.addresses.lbClientSide, port: UDP_PORT, payload: 'ping', timeoutMs: 2000, localPort })
  assert.notEqual(reply, null, `no answer to a datagram from port ${localPort}`)
  return String(reply).split(' ')[0] ?? ''
}

before(async () => {
  topology = await createTopology({ backends: 4 })
  client = await startClient(topology)
  // each service its own hosts: l3lb forgets a leaver's flows by its address (docs/checks.md)
  for (const index of [1, 2]) await startSipp(index)
  for (const index of [3, 4]) await startEcho(index)
  const [be1, be2, be3, be4] = topology.addresses.backends
  dir = mkdtempSync(join(tmpdir(), 'l3lb-udp-checks-'))
  const checks = `healthcheck_interval=${INTERVAL_S}\nhealthcheck_fall=${FALL}\nhealthcheck_rise=1\n`
  const env = `mode=tcp_roundrobin\nports=80\n${ctlEnv(topology)}`
  writeAgentFiles(dir, env, {
    voice: `mode=udp_roundrobin\nports=${SIP_PORT}\nserver_a=${be1}\nserver_b=${be2}\n${checks}healthcheck_kind=sip\n`,
    echo: `mode=udp_roundrobin\nports=${UDP_PORT}\nserver_a=${be3}\nserver_b=${be4}\n${checks}healthcheck_kind=udp\nhealthcheck_send='ping\\n'\nhealthcheck_expect='^be[0-9] ${UDP_PORT} ping'\n`
  })
  agent = await startAgent(topology, client, { env, dir })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  await topology?.destroy()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

test('the agent runs the sip and udp checks, and every server is up against the real endpoints', async () => {
  await agent.process.waitForLine(/SIP health checks of service voice's 2 server\(s\) every 1 s/, 5000)
  await agent.process.waitForLine(/UDP health checks of service echo's 2 server\(s\) every 1 s/, 5000)
  // a couple of rounds, and nothing went down
  await new Promise((resolve) => setTimeout(resolve, (INTERVAL_S * FALL + 1) * 1000))
  assert.doesNotMatch(agent.process.output(), /(voice|echo)\/[ab] \(.*\) is down/)
  assert.deepEqual((await agent.ctl('/api/status?service=voice')).status, { code: 0, message: '', a: 'up', b: 'up' })
})

test('udp: the echo process stops while its host answers ping; down within interval × fall + 1 s, flows move, back with the process', async () => {
  let port = 40000
  while (await flow(port) !== 'be4' && port < 40100) port++
  assert.ok(port < 40100, 'no flow reached be4')
  const be4 = topology.addresses.backends[3] ?? ''
  await echo.get(4)?.stop()
  const stopped = Date.now()
  await agent.process.waitForLine(/echo\/b \(.*\) is down after 2 failed checks in a row/, (INTERVAL_S * FALL + 1) * 1000 + 2000)
  const took = Date.now() - stopped
  assert.ok(took <= (INTERVAL_S * FALL + 1) * 1000, `down after ${took} ms`)
  // its host still answers ping: an ICMP check would have kept it
  await topology.exec(topology.names.lb, 'ping', ['-n', '-c', '1', '-W', '1', be4])
  await new Promise((resolve) => setTimeout(resolve, 300))
  // the same flow (same source port) goes to the server left: its conntrack entry was removed
  assert.equal(await flow(port), 'be3')
  for (let i = 1; i <= 6; i++) assert.equal(await flow(port + i), 'be3')
  await startEcho(4)
  await agent.process.waitForLine(/echo\/b \(.*\) is up after 1 good checks in a row/, (INTERVAL_S + 1) * 1000 + 2000)
  await new Promise((resolve) => setTimeout(resolve, 300))
  const seen = new Set<string>()
  for (let i = 0; i < 8; i++) seen.add(await flow(41000 + i))
  assert.deepEqual([...seen].sort(), ['be3', 'be4'])
})

test('sip: SIPp stops while its host answers ping; down within interval × fall + 1 s, back when SIPp is', async () => {
  await sipp.get(2)?.stop()
  const stopped = Date.now()
  await agent.process.waitForLine(/voice\/b \(.*\) is down after 2 failed checks in a row/, (INTERVAL_S * FALL + 1) * 1000 + 2000)
  const took = Date.now() - stopped
  assert.ok(took <= (INTERVAL_S * FALL + 1) * 1000, `down after ${took} ms`)
  await topology.exec(topology.names.lb, 'ping', ['-n', '-c', '1', '-W', '1', topology.addresses.backends[1] ?? ''])
  // the rules follow the check at once; the status once they are applied
  await waitFor('voice/b down in /api/status', async () => (await agent.ctl('/api/status?service=voice')).status.b === 'down', 2000)
  await startSipp(2)
  await agent.process.waitForLine(/voice\/b \(.*\) is up after 1 good checks in a row/, (INTERVAL_S + 1) * 1000 + 2000)
  await waitFor('voice/b up in /api/status', async () => (await agent.ctl('/api/status?service=voice')).status.b === 'up', 2000)
})
