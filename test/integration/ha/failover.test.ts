/**
 * Two load balancers with real keepalived, HAProxy and agents: the active node's agent is
 * stopped and its HAProxy killed under a steady client load; the standby takes the virtual
 * address within 3 s, every tcp_source client keeps its output (the stick table was shared
 * through HAProxy's peers), and the failed node comes back as standby. The failover is
 * mailed once, by the node that took over, to a test SMTP receiver.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI_PROGRAM } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createHaTopology, type HaTopology } from '../../support/ha-topology.js'
import { programsInNamespace } from '../../support/namespace-processes.js'
import { startSmtpReceiver, type SmtpReceiver } from '../../support/smtp-driver.js'
import type { SpawnedProcess } from '../../support/topology.js'
import { sendCommand } from '../../../src/haproxy/socket-client.js'
import { waitFor as waitUntil } from '../../support/wait.js'

const CLIENTS = 6
const FAILOVER_LIMIT_MS = 3000
const CONNECT_TIMEOUT_MS = 300
const SMTP_PORT = 2525

let topology: HaTopology
let client: ClientDriver
let smtp: SmtpReceiver
const dirs: string[] = []
const agents = new Map<'lb1' | 'lb2', SpawnedProcess>()

interface Node {
  readonly name: 'lb1' | 'lb2'
  readonly dir: string
}

function envFor (name: 'lb1' | 'lb2'): string {
  const own = topology.addresses[name]
  const peer = topology.addresses[name === 'lb1' ? 'lb2' : 'lb1']
  const [be1, be2, be3] = topology.addresses.backends
  return [
    'mode=tcp_source', 'ports=80', `out1=${be1}`, `out2=${be2}`, `out3=${be3}`,
    // in_addr limited to the node's own address: the virtual one joins it, bound non-locally on the standby
    `in_addr=${own}`, `peer_addr=${own}`,
    // with ha_vip, ctl_addr must be reachable by the peer (the admin state sync)
    `ctl_addr=${own}`, 'ctl_token=failover-t0ken',
    `ha_vip=${topology.addresses.virtual}`, `ha_interface=${topology.lbInterface}`, `ha_peer=${peer}`,
    `ha_priority=${name === 'lb1' ? 150 : 100}`, 'ha_router_id=42',
    'mail_to=ops@example.test', `mail_server=${topology.addresses.client[0]}:${SMTP_PORT}`, ''
  ].join('\n')
}

function nodeFiles (name: 'lb1' | 'lb2'): Node {
  const dir = mkdtempSync(join(tmpdir(), `l3lb-ha-${name}-`))
  dirs.push(dir)
  writeFileSync(join(dir, 'l3lb.env'), envFor(name))
  return { name, dir }
}

/** Starts the agent of `node` and resolves once its ctl service listens (keepalived is up by then). */
async function startNode (node: Node): Promise<SpawnedProcess> {
  const child = topology.spawn(topology.names[node.name], process.execPath, [CLI_PROGRAM, 'start', '--env', join(node.dir, 'l3lb.env')], {
    env: { RUNTIME_DIRECTORY: join(node.dir, 'run'), STATE_DIRECTORY: join(node.dir, 'state') }
  })
  agents.set(node.name, child)
  await child.waitForLine(/keepalived running: /, 30_000)
  return child
}

function waitFor (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  return waitUntil(what, check, timeoutMs, { context: () => `lb1:\n${agents.get('lb1')?.output().slice(-3000) ?? ''}\nlb2:\n${agents.get('lb2')?.output().slice(-3000) ?? ''}` })
}

/** For each client source address, the back end a new connection to the virtual address lands on. */
async function outputsByClient (): Promise<Map<string, string>> {
  const seen = new Map<string, string>()
  for (const localAddress of topology.addresses.client) {
    const connection = await client.connect({ host: topology.addresses.virtual, port: 80, localAddress, timeoutMs: 5000 })
    assert.equal(connection.pending, false, `no greeting for a client at ${localAddress}`)
    seen.set(localAddress, String(connection.greeting).split(' ')[0] ?? '')
    await client.close(connection.conn)
  }
  return seen
}

/** The stick table of the node at `dir`: client address -> output name. */
async function stickTable (dir: string): Promise<Map<string, string>> {
  const text = await sendCommand(join(dir, 'run', 'haproxy.sock'), 'show table outputs', 2000).catch(() => '')
  const rows = [...text.matchAll(/key=(?:::ffff:)?(\S+) .*server_key=(\S+)/g)]
  return new Map(rows.map((row) => [row[1] ?? '', row[2] ?? '']))
}

let lb1: Node
let lb2: Node

before(async () => {
  topology = await createHaTopology({ backends: 3, clientAddresses: CLIENTS })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  smtp = await startSmtpReceiver((ns, file, args, options) => topology.spawn(ns, file, args, options), topology.names.client, topology.addresses.client[0]!, SMTP_PORT)
  lb1 = nodeFiles('lb1')
  lb2 = nodeFiles('lb2')
  await startNode(lb1)
  // alone on the link, lb1 becomes MASTER once no advert came for three intervals
  await waitFor('lb1 holds the virtual address', () => topology.holds(topology.names.lb1, topology.addresses.virtual), 15_000)
  await startNode(lb2)
})

after(async () => {
  for (const child of agents.values()) await child.stop(15_000).catch(() => undefined)
  await topology?.destroy()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

test('the active node fails: the standby answers within 3 s and every client keeps its output', async (t) => {
  assert.equal(await topology.holds(topology.names.lb2, topology.addresses.virtual), false, 'the standby must not hold the virtual address too')
  await agents.get('lb2')?.waitForLine(/keepalived: \(l3lb\) Entering BACKUP STATE/, 5000)
  // lb1 took over at start: that is its own mail
  await smtp.waitFor(1, 10_000)
  assert.match(smtp.mails[0]!.subject, /\(198\.18\.0\.11\): this node is now ACTIVE: it holds the virtual address\(es\) 198\.18\.0\.100 \(was BACKUP\)/)
  const before = await outputsByClient()
  assert.equal(before.size, CLIENTS)
  // the standby learnt every client's output through the peers section, not by chance later
  await waitFor('lb2 has every client in its stick table', async () => {
    const table = await stickTable(lb2.dir)
    return [...before].every(([address, output]) => table.get(address) === `out${output.slice(2)}`)
  }, 10_000)

  // one connection after another, each with a short timeout, until the failover is over
  const attempts: Array<{ at: number, doneAt: number, ok: boolean }> = []
  let killedAt = 0
  const loading = { on: true }
  const load = (async () => {
    for (let i = 0; i < 2000 && loading.on; i++) {
      const at = Date.now()
      const ok = await client.connect({ host: topology.addresses.virtual, port: 80, localAddress: topology.addresses.client[0], timeoutMs: CONNECT_TIMEOUT_MS })
        .then(async (connection) => { await client.close(connection.conn).catch(() => undefined); return !connection.pending }, () => false)
      attempts.push({ at, doneAt: Date.now(), ok })
      await sleep(20)
    }
  })()
  await sleep(1000)
  // the data path dies at once (HAProxy killed) while the agent is asked to stop
  const haproxy = await programsInNamespace(topology.names.lb1, 'haproxy')
  assert.ok(haproxy.length > 0, 'no HAProxy found in lb1')
  killedAt = Date.now()
  for (const pid of haproxy) process.kill(pid, 'SIGKILL')
  const agent1 = agents.get('lb1')
  if (agent1 !== undefined) process.kill(agent1.pid, 'SIGTERM')
  const recovered = await waitFor('a connection through the virtual address succeeds again', async () => attempts.some((attempt) => attempt.at > killedAt && attempt.ok), 10_000)
  await sleep(1500)
  loading.on = false
  await load
  await agent1?.exited

  // one begun before the kill and still in flight at it proves nothing either way
  const beforeKill = attempts.filter((attempt) => attempt.doneAt < killedAt)
  const afterKill = attempts.filter((attempt) => attempt.at >= killedAt)
  const failed = afterKill.filter((attempt) => !attempt.ok)
  const firstOk = afterKill.find((attempt) => attempt.ok)
  const answeredAfter = (firstOk?.at ?? Infinity) - killedAt
  const attemptedIn3s = afterKill.filter((attempt) => attempt.at < killedAt + FAILOVER_LIMIT_MS).length
  t.diagnostic(`failover: first success ${answeredAfter} ms after the kill (seen ${recovered} ms); ${failed.length} of ${afterKill.length} connections failed; ${attemptedIn3s} attempted in the first 3 s; ${beforeKill.length} done before the kill, all ${beforeKill.every((attempt) => attempt.ok) ? 'good' : 'NOT all good'}`)
  assert.ok(beforeKill.every((attempt) => attempt.ok), `connections failed before the kill, begun at ${beforeKill.filter((attempt) => !attempt.ok).map((attempt) => `${attempt.at - killedAt} ms`).join(', ')}:\nlb1:\n${agents.get('lb1')?.output().slice(-4000) ?? ''}\nlb2:\n${agents.get('lb2')?.output().slice(-4000) ?? ''}`)
  assert.ok(answeredAfter <= FAILOVER_LIMIT_MS, `the standby answered ${answeredAfter} ms after the kill`)
  assert.ok(failed.length <= attemptedIn3s, `${failed.length} failed connections, more than the ${attemptedIn3s} attempted in 3 s`)
  assert.ok(failed.every((attempt) => attempt.at < killedAt + FAILOVER_LIMIT_MS), 'a connection failed after the failover was over')

  assert.equal(await topology.holds(topology.names.lb2, topology.addresses.virtual), true, 'lb2 holds the virtual address')
  assert.equal(await topology.holds(topology.names.lb1, topology.addresses.virtual), false, 'lb1 gave the virtual address up')
  assert.deepEqual(await outputsByClient(), before, 'a client changed output across the failover')

  // one mail says who took over (lb1 may also have mailed its FAULT if its check saw HAProxy dead first)
  await waitFor('the failover mail', async () => smtp.mails.some((mail) => /\(198\.18\.0\.12\): this node is now ACTIVE/.test(mail.subject)), 10_000)
  assert.deepEqual(activeMails(), ['198.18.0.11', '198.18.0.12'], smtp.mails.map((mail) => mail.subject).join('\n'))
  assert.match(smtp.mails.find((mail) => mail.subject.includes('(198.18.0.12)'))!.text, /\(was BACKUP\)/)
})

/** Which nodes mailed "now ACTIVE", in order. */
function activeMails (): string[] {
  return smtp.mails.flatMap((mail) => /^l3lb \S+ \(([\d.]+)\): this node is now ACTIVE/.exec(mail.subject)?.[1] ?? [])
}

test('the failed node comes back as standby: the virtual address stays where it is', async () => {
  const before = await outputsByClient()
  const again = await startNode(lb1)
  await again.waitForLine(/keepalived: \(l3lb\) Entering BACKUP STATE/, 5000)
  // longer than VRRP's master-down interval (3 adverts + skew): a preempting lb1 would have taken it by now
  await sleep(5000)
  assert.equal(await topology.holds(topology.names.lb1, topology.addresses.virtual), false, 'lb1 took the virtual address back')
  assert.equal(await topology.holds(topology.names.lb2, topology.addresses.virtual), true, 'lb2 lost the virtual address')
  assert.doesNotMatch(again.output(), /Entering MASTER STATE/)
  assert.deepEqual(await outputsByClient(), before)
  assert.deepEqual(activeMails(), ['198.18.0.11', '198.18.0.12'], 'a mail said the returning node took over')
  // the returning node learnt the table back from lb2, so it is ready for the next failover
  await waitFor('lb1 has every client in its stick table again', async () => {
    const table = await stickTable(lb1.dir)
    return [...before].every(([address, output]) => table.get(address) === `out${output.slice(2)}`)
  }, 15_000)
})

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
