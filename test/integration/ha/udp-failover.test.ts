/**
 * Two load balancers in udp_roundrobin with real keepalived, conntrackd and agents: UDP flows
 * opened through the active node keep their back end after that node fails (agent stopped,
 * then its links taken down, so nothing of it carries a reply), because the standby had their
 * translations from conntrackd and committed them to its kernel on becoming active.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI_PROGRAM } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createHaTopology, type HaTopology } from '../../support/ha-topology.js'
import { isPidAlive } from '../../support/run-id.js'
import type { SpawnedProcess } from '../../support/topology.js'
import { backendOfFlow, flowsInExternalCache } from '../../support/udp-pair.js'
import { waitFor as waitUntil } from '../../support/wait.js'

const FLOWS = 30
const PORT = 5060
// each flow is one client source port; the same port later is the same flow (the same conntrack entry)
const FIRST_SOURCE_PORT = 41000
const REPLY_TIMEOUT_MS = 2000

let topology: HaTopology
let client: ClientDriver
const dirs: string[] = []
const agents = new Map<'lb1' | 'lb2', SpawnedProcess>()

function envFor (name: 'lb1' | 'lb2'): string {
  const own = topology.addresses[name]
  const peer = topology.addresses[name === 'lb1' ? 'lb2' : 'lb1']
  const [be1, be2, be3] = topology.addresses.backends
  return [
    'mode=udp_roundrobin', `ports=${PORT}`, `out1=${be1}`, `out2=${be2}`, `out3=${be3}`,
    `in_addr=${own}`, `ctl_addr=${own}`, 'ctl_token=udp-t0ken',
    `ha_vip=${topology.addresses.virtual}`, `ha_interface=${topology.lbInterface}`, `ha_peer=${peer}`,
    `ha_priority=${name === 'lb1' ? 150 : 100}`, 'ha_router_id=44',
    // the flows' source on the back-end segment moves with the pair, so replies reach the new active node
    `ha_out_vip=${topology.addresses.outputsVirtual}`, `ha_out_interface=${topology.lbOutputsInterface}`, ''
  ].join('\n')
}

function nodeDir (name: 'lb1' | 'lb2'): string {
  const dir = mkdtempSync(join(tmpdir(), `l3lb-ha-udp-${name}-`))
  dirs.push(dir)
  writeFileSync(join(dir, 'l3lb.env'), envFor(name))
  return dir
}

/** Starts the agent of `name` and resolves once keepalived (and conntrackd before it) runs. */
async function startNode (name: 'lb1' | 'lb2', dir: string): Promise<SpawnedProcess> {
  const child = topology.spawn(topology.names[name], process.execPath, [CLI_PROGRAM, 'start', '--env', join(dir, 'l3lb.env')], {
    env: { RUNTIME_DIRECTORY: join(dir, 'run'), STATE_DIRECTORY: join(dir, 'state') }
  })
  agents.set(name, child)
  await child.waitForLine(/keepalived running: /, 30_000)
  return child
}

function logs (): string {
  return `\nlb1:\n${agents.get('lb1')?.output().slice(-4000) ?? ''}\nlb2:\n${agents.get('lb2')?.output().slice(-4000) ?? ''}`
}

function waitFor (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  return waitUntil(what, check, timeoutMs, { context: logs })
}

/** The back end that answers a datagram from client source port `sourcePort` to the virtual address, or null. */
async function answerOn (sourcePort: number): Promise<string | null> {
  return await backendOfFlow(topology, client, PORT, sourcePort, REPLY_TIMEOUT_MS)
}

/** How many flows to the virtual address lb2's conntrackd holds in its external cache (the active node's flows). */
async function flowsLb2Knows (dir: string): Promise<number> {
  return await flowsInExternalCache(topology, 'lb2', join(dir, 'run'), PORT)
}

let lb1Dir: string
let lb2Dir: string
// each flow's back end before the failover, for the tests after it
const firstBackends = new Map<number, string>()

function conntrackdPid (dir: string): number {
  return Number(readFileSync(join(dir, 'run', 'conntrackd.pid'), 'utf8').trim())
}

before(async () => {
  topology = await createHaTopology({ backends: 3 })
  await startBackends(topology, { ports: String(PORT), udp: true })
  client = await startClient(topology)
  lb1Dir = nodeDir('lb1')
  lb2Dir = nodeDir('lb2')
  await startNode('lb1', lb1Dir)
  // alone on the link, lb1 becomes MASTER once no advert came for three intervals
  await waitFor('lb1 holds the virtual address', () => topology.holds(topology.names.lb1, topology.addresses.virtual), 15_000)
  await startNode('lb2', lb2Dir)
})

after(async () => {
  for (const child of agents.values()) await child.stop(15_000).catch(() => undefined)
  await topology?.destroy()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

test('the active node fails: every UDP flow is answered by the back end it had', async (t) => {
  await agents.get('lb2')?.waitForLine(/keepalived: \(l3lb\) Entering BACKUP STATE/, 5000)
  const sourcePorts = Array.from({ length: FLOWS }, (_, i) => FIRST_SOURCE_PORT + i)
  const before = new Map<number, string>()
  for (const sourcePort of sourcePorts) {
    const backend = await answerOn(sourcePort)
    assert.notEqual(backend, null, `no answer on flow ${sourcePort} before the failover${logs()}`)
    before.set(sourcePort, backend ?? '')
  }
  // spread over every back end: a flow spread anew could land elsewhere, so the test can fail
  assert.equal(new Set(before.values()).size, 3, `the flows did not reach all three back ends: ${JSON.stringify([...before])}`)
  const synced = await waitFor(`lb2's conntrackd holds all ${FLOWS} flows`, async () => await flowsLb2Knows(lb2Dir) >= FLOWS, 10_000)

  // the active node fails: its agent stops (keepalived first, so lb2 takes over), then its links go down
  const failedAt = Date.now()
  const agent1 = agents.get('lb1')
  if (agent1 !== undefined) process.kill(agent1.pid, 'SIGTERM')
  const moved = await waitFor('lb2 holds the virtual address', () => topology.holds(topology.names.lb2, topology.addresses.virtual), 10_000)
  const committedLine = await agents.get('lb2')?.waitForLine(/conntrackd: .*Committed \d+ new entries/, 10_000)
  const committed = Date.now() - failedAt
  await agent1?.exited
  for (const link of [topology.lbInterface, topology.lbOutputsInterface]) await topology.exec(topology.names.lb1, 'ip', ['link', 'set', link, 'down'])

  // in reverse order: lb2's round robin, spreading anew, would give most flows another back end
  const afterwards = new Map<number, string | null>()
  for (const sourcePort of [...sourcePorts].reverse()) afterwards.set(sourcePort, await answerOn(sourcePort))
  const kept = sourcePorts.filter((sourcePort) => afterwards.get(sourcePort) === before.get(sourcePort))
  for (const [sourcePort, backend] of before) firstBackends.set(sourcePort, backend)
  const unanswered = sourcePorts.filter((sourcePort) => afterwards.get(sourcePort) === null)
  t.diagnostic(`lb2 had all ${FLOWS} flows ${synced} ms after they were opened; the virtual address moved ${moved} ms and conntrackd committed ("${committedLine?.replace(/^.*conntrackd: /, '') ?? ''}") ${committed} ms after the failure; ${kept.length} of ${FLOWS} flows kept their back end, ${unanswered.length} unanswered`)
  assert.deepEqual(
    sourcePorts.filter((sourcePort) => !kept.includes(sourcePort)).map((sourcePort) => `${sourcePort}: ${before.get(sourcePort) ?? ''} -> ${afterwards.get(sourcePort) ?? 'no answer'}`),
    [], `flows changed back end across the failover${logs()}`)
})

test('a conntrackd that dies is restarted; one left by a killed agent is stopped before the next starts; the flows stay', async () => {
  assert.equal(firstBackends.size, FLOWS, 'the failover test did not record the flows')
  const agent2 = agents.get('lb2')
  const first = conntrackdPid(lb2Dir)
  process.kill(first, 'SIGKILL')
  await agent2?.waitForLine(/conntrackd killed by SIGKILL; restarting it in 250 ms/, 5000)
  await waitFor('a new conntrackd runs', async () => conntrackdPid(lb2Dir) !== first && isPidAlive(conntrackdPid(lb2Dir)), 10_000)

  // the agent is SIGKILLed: its keepalived and conntrackd go on without it
  const left = conntrackdPid(lb2Dir)
  if (agent2 !== undefined) process.kill(agent2.pid, 'SIGKILL')
  await agent2?.exited
  assert.ok(isPidAlive(left), 'the conntrackd of the killed agent should still run')
  const again = await startNode('lb2', lb2Dir)
  await again.waitForLine(`l3lb: info: stopping the conntrackd an earlier agent left running (pid ${left})`, 5000)
  assert.equal(isPidAlive(left), false, 'the leftover conntrackd still runs')
  assert.ok(isPidAlive(conntrackdPid(lb2Dir)), 'no conntrackd runs after the restart')
  // alone on the link (lb1's links are down), lb2 takes the address again after three adverts
  await waitFor('lb2 holds the virtual address again', () => topology.holds(topology.names.lb2, topology.addresses.virtual), 15_000)
  const changed: string[] = []
  for (const [sourcePort, backend] of firstBackends) {
    const now = await answerOn(sourcePort)
    if (now !== backend) changed.push(`${sourcePort}: ${backend} -> ${now ?? 'no answer'}`)
  }
  assert.deepEqual(changed, [], `flows changed back end across the agent's restart${logs()}`)
})
