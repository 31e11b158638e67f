/**
 * Two load balancers with real keepalived, HAProxy and agents: the ctl admin state follows
 * the active node. A change on the active node shows on the standby within 1 s; a change
 * sent to the standby is forwarded to the active node; the standby keeps the state across
 * a restart of its agent, and catches up with a change made while it was down. A new env
 * file reloaded on the active node runs on the standby within 1 s, survives the standby's
 * restart, and the standby's own file cannot change what the pair shares. A standby that
 * takes over warns when its own file differs from the pair's settings; a SIGHUP there keeps
 * them while the file is older than they are, and applies the file once it is edited.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI_PROGRAM, reloadAgent } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createHaTopology, type HaTopology } from '../../support/ha-topology.js'
import type { SpawnedProcess } from '../../support/topology.js'
import { waitFor as waitUntil } from '../../support/wait.js'

type NodeName = 'lb1' | 'lb2'
const TOKEN = 'pair-secret-7'
const SYNC_LIMIT_MS = 1000

let topology: HaTopology
let client: ClientDriver
const dirs = new Map<NodeName, string>()
const agents = new Map<NodeName, SpawnedProcess>()

function envFor (name: NodeName, extra: readonly string[] = []): string {
  const own = topology.addresses[name]
  const peer = topology.addresses[name === 'lb1' ? 'lb2' : 'lb1']
  const [be1, be2] = topology.addresses.backends
  return [
    ...extra,
    'mode=tcp_roundrobin', 'ports=80', `out1=${be1}`, `out2=${be2}`, `out3=${be1}`, `in_addr=${own}`,
    `ctl_addr=${own}`, 'ctl_port=8080', `ctl_token=${TOKEN}`, `ui_addr=${own}`,
    `ha_vip=${topology.addresses.virtual}`, `ha_interface=${topology.lbInterface}`, `ha_peer=${peer}`,
    `ha_priority=${name === 'lb1' ? 150 : 100}`, 'ha_router_id=43', ''
  ].join('\n')
}

function envFile (name: NodeName): string {
  return join(dirs.get(name) ?? '', 'l3lb.env')
}

/** Starts the agent of `name` on its files and resolves once keepalived runs (ctl listens by then). */
async function startNode (name: NodeName): Promise<SpawnedProcess> {
  const dir = dirs.get(name) ?? ''
  const child = topology.spawn(topology.names[name], process.execPath, [CLI_PROGRAM, 'start', '--env', envFile(name)], {
    env: { RUNTIME_DIRECTORY: join(dir, 'run'), STATE_DIRECTORY: join(dir, 'state') }
  })
  agents.set(name, child)
  await child.waitForLine(/keepalived running: /, 30_000)
  return child
}

async function stopNode (name: NodeName): Promise<void> {
  await agents.get(name)?.stop(15_000)
  agents.delete(name)
}

/** GET on a node's ctl service from the client namespace; the answer's `status`. */
async function ctl (name: NodeName, pathAndQuery: string): Promise<{ httpStatus: number, status: Record<string, unknown> }> {
  const answer = await client.http(`http://${topology.addresses[name]}:8080${pathAndQuery}`, { headers: { authorization: `Bearer ${TOKEN}` }, timeoutMs: 10_000 })
  return { httpStatus: answer.status, status: (JSON.parse(answer.body) as { status: Record<string, unknown> }).status }
}

async function disabledOn (name: NodeName): Promise<unknown> {
  return (await ctl(name, '/api/admin')).status.disabled
}

function waitFor (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  return waitUntil(what, check, timeoutMs, { intervalMs: 25, context: () => `lb1:\n${agents.get('lb1')?.output().slice(-3000) ?? ''}\nlb2:\n${agents.get('lb2')?.output().slice(-3000) ?? ''}` })
}

before(async () => {
  topology = await createHaTopology({ backends: 2 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  for (const name of ['lb1', 'lb2'] as const) {
    const dir = mkdtempSync(join(tmpdir(), `l3lb-sync-${name}-`))
    dirs.set(name, dir)
    writeFileSync(join(dir, 'l3lb.env'), envFor(name))
  }
  await startNode('lb1')
  await waitFor('lb1 holds the virtual address', () => topology.holds(topology.names.lb1, topology.addresses.virtual), 15_000)
  const lb2 = await startNode('lb2')
  await lb2.waitForLine(/keepalived: \(l3lb\) Entering BACKUP STATE/, 5000)
})

after(async () => {
  for (const child of agents.values()) await child.stop(15_000).catch(() => undefined)
  await topology?.destroy()
  for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true })
})

test('each node shows its role in /api/status and l3lb status', async () => {
  assert.equal((await ctl('lb1', '/api/status')).status.role, 'active')
  assert.equal((await ctl('lb2', '/api/status')).status.role, 'standby')
  const shown = await topology.exec(topology.names.lb2, process.execPath, [CLI_PROGRAM, 'status', '--env', envFile('lb2')])
  assert.match(shown.stdout, /^node: standby\nOUTPUT +ADDRESS/)
})

test('an output disabled on the active node is disabled on the standby within 1 s', async (t) => {
  assert.deepEqual(await disabledOn('lb2'), [])
  const started = Date.now()
  assert.deepEqual((await ctl('lb1', '/api/disable?channel=out1')).status, { code: 0, message: 'out1 disabled' })
  await waitFor('lb2 has out1 disabled', async () => JSON.stringify(await disabledOn('lb2')) === '["out1"]', 5000)
  const took = Date.now() - started
  t.diagnostic(`the standby showed the change ${took} ms after the request was sent`)
  assert.ok(took <= SYNC_LIMIT_MS, `the standby showed it after ${took} ms`)
  // applied on the standby, not only stored: its HAProxy no longer reports out1 as enabled
  const status = (await ctl('lb2', '/api/status')).status
  assert.equal(status.out1, undefined)
  assert.equal(status.out2, 'up')
})

test('an enable or disable sent to the standby is forwarded to the active node; the pair stays equal', async () => {
  const disabled = await ctl('lb2', '/api/disable?channel=out2')
  assert.deepEqual(disabled, { httpStatus: 200, status: { code: 0, message: `on the active node http://${topology.addresses.lb1}:8080: out2 disabled` } })
  assert.deepEqual(await disabledOn('lb1'), ['out1', 'out2'])
  // the standby answers once it has the active node's state
  assert.deepEqual(await disabledOn('lb2'), ['out1', 'out2'])
  assert.equal((await ctl('lb2', '/api/enable?channel=out2')).status.code, 0)
  assert.deepEqual(await disabledOn('lb1'), ['out1'])
  assert.deepEqual(await disabledOn('lb2'), ['out1'])
  // the peer's state is not taken by the active node
  const refused = await ctl('lb1', '/api/sync?disabled=')
  assert.equal(refused.status.code, 100)
  assert.deepEqual(await disabledOn('lb1'), ['out1'])
})

test('the standby keeps the state across a restart of its agent', async () => {
  await stopNode('lb2')
  await startNode('lb2')
  assert.deepEqual(await disabledOn('lb2'), ['out1'])
  assert.equal((await ctl('lb2', '/api/status')).status.role, 'standby')
})

test('a change made while the standby was down reaches it when it comes back', async () => {
  // only this outage counts: an earlier test restarted lb2 too; wait until lb1 has seen it
  // answer again, or this outage would be the same one, rightly not logged twice
  await waitFor('lb1 reaching lb2 again', async () => {
    const syncLines = (agents.get('lb1')?.output() ?? '').split('\n').filter((line) => /HA sync: (the admin state was not sent|the peer at .* answers again)/.test(line))
    return syncLines.length === 0 || /answers again/.test(syncLines[syncLines.length - 1] ?? '')
  }, 8000)
  const warnings: string[] = []
  const unsubscribe = agents.get('lb1')?.onLine((line) => { if (line.includes('HA sync: the admin state was not sent')) warnings.push(line) })
  await stopNode('lb2')
  assert.equal((await ctl('lb1', '/api/disable?channel=out3')).status.code, 0)
  assert.equal((await ctl('lb1', '/api/enable?channel=out1')).status.code, 0)
  // the active node logs the outage once, not on every round
  await sleep(4500)
  unsubscribe?.()
  assert.equal(warnings.length, 1, warnings.join('\n'))
  await startNode('lb2')
  await waitFor('lb2 has out3 disabled and out1 enabled', async () => JSON.stringify(await disabledOn('lb2')) === '["out3"]', 5000)
  assert.match(agents.get('lb1')?.output() ?? '', /HA sync: the peer at http:\/\/198\.18\.0\.12:8080 answers again/)
})

/** SIGHUP to a node's agent; resolves with the line that says how the reload ended. */
async function reload (name: NodeName): Promise<string> {
  const child = agents.get(name)
  if (child === undefined) throw new Error(`${name} is not running`)
  return await reloadAgent(child)
}

async function digestOn (name: NodeName): Promise<unknown> {
  return (await ctl(name, '/api/admin')).status.digest
}

test('a new env file reloaded on the active node runs on the standby within 1 s', async (t) => {
  const be2 = topology.addresses.backends[1]
  writeFileSync(envFile('lb1'), envFor('lb1', [`out4=${be2}`, 'healthcheck_interval=5']))
  const outcome = await reload('lb1')
  const reloadedAt = Date.now()
  assert.match(outcome, /properties reloaded/)
  assert.equal((await ctl('lb1', '/api/status')).status.out4, 'up')
  await waitFor('lb2 serves with out4', async () => (await ctl('lb2', '/api/status')).status.out4 === 'up', 5000)
  const took = Date.now() - reloadedAt
  t.diagnostic(`the standby ran the active node's new file ${took} ms after the active node had reloaded it`)
  assert.ok(took <= SYNC_LIMIT_MS, `the standby ran it after ${took} ms`)
  // the digest moves once every part took the settings (keepalived last), a moment after HAProxy serves them
  const active = await digestOn('lb1')
  await waitFor('lb2 runs the active node\'s settings digest', async () => await digestOn('lb2') === active, 2000)
  // the standby logs it once the new settings are saved, which may be just after its status shows them
  const ran = `HA sync: runs the active node's settings (healthcheck_interval "20" -> "5", out4 "" -> "${be2 ?? ''}")`
  await agents.get('lb2')!.waitForLine(new RegExp(ran.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 5000)
  // the standby's HAProxy has it, not only its memory
  const config = await topology.exec(topology.names.lb2, 'cat', [join(dirs.get('lb2') ?? '', 'run', 'haproxy.cfg')])
  assert.match(config.stdout, /server out4 /)
  assert.match(config.stdout, /inter 5s/)
})

test('the standby restarted runs the pair\'s settings, not its older file', async () => {
  await stopNode('lb2')
  const lb2 = await startNode('lb2')
  assert.match(lb2.output(), /the pair's settings this node last ran are newer than .* and run: healthcheck_interval "20" -> "5", out4/)
  assert.equal((await ctl('lb2', '/api/status')).status.out4, 'up')
  assert.equal(await digestOn('lb2'), await digestOn('lb1'))
})

test('the standby\'s own file cannot change what the pair shares: warned, kept as the active node has it', async () => {
  writeFileSync(envFile('lb2'), envFor('lb2', ['healthcheck_interval=9']))
  assert.match(await reload('lb2'), /properties reloaded/)
  assert.match(agents.get('lb2')?.output() ?? '', /differs from the pair's settings, which the active node decides; kept as the active node has them \(change them there\): healthcheck_interval "9" -> "5", out4 "" -> /)
  assert.equal(await digestOn('lb2'), await digestOn('lb1'))
  assert.equal((await ctl('lb2', '/api/status')).status.out4, 'up')
})

test('a standby that takes over says when its own file would undo the pair\'s settings, and keeps running them', async () => {
  // lb2's file still has healthcheck_interval=9 and no out4 (the test before); the pair runs 5 and out4
  const lb2 = agents.get('lb2')!
  await stopNode('lb1')
  await lb2.waitForLine(/keepalived: \(l3lb\) Entering MASTER STATE/, 15_000)
  await lb2.waitForLine(/now the active node, which decides the pair's settings: .* differs from the settings the pair runs, and it was edited after them, and a SIGHUP here would apply the file as it is; bring it up to date \(the settings in force: \/api\/admin\): healthcheck_interval "9" -> "5", out4 "" -> /, 5000)
  assert.equal((await ctl('lb2', '/api/status')).status.out4, 'up')
})

test('after a failover a SIGHUP keeps the pair\'s settings while the file is older than them; the file edited wins', async () => {
  const lb2 = agents.get('lb2')!
  const lb2Config = async (): Promise<string> => (await topology.exec(topology.names.lb2, 'cat', [join(dirs.get('lb2') ?? '', 'run', 'haproxy.cfg')])).stdout
  // the file as it was before the pair's settings came: no out4, checks every 20 s (the default)
  writeFileSync(envFile('lb2'), envFor('lb2'))
  const anHourAgo = new Date(Date.now() - 3_600_000)
  utimesSync(envFile('lb2'), anHourAgo, anHourAgo)
  assert.match(await reload('lb2'), /properties reloaded .*: nothing changed$/)
  assert.match(lb2.output(), /was not edited since this node ran the pair's settings, which stay \(edit the file, or touch it, to change them\): healthcheck_interval "20" -> "5", out4 "" -> /)
  assert.equal((await ctl('lb2', '/api/status')).status.out4, 'up')
  assert.match(await lb2Config(), /server out4 /)

  // touched, as an edit would: now the file is the newer, and it runs
  const now = new Date()
  utimesSync(envFile('lb2'), now, now)
  assert.match(await reload('lb2'), /properties reloaded .*: reload$/)
  assert.equal((await ctl('lb2', '/api/status')).status.out4, undefined)
  assert.doesNotMatch(await lb2Config(), /server out4 /)
})

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
