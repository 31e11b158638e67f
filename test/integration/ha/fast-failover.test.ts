/**
 * How fast the standby takes over, measured with real agents, keepalived and HAProxy on a
 * pair configured from its three properties (ha_vip, ha_interface, ha_peer: ctl_addr and
 * peer_addr come from the node's own address on the link). Two failures, each bounded at
 * 1 s from the failure to the first connection the other node serves:
 * - a dead data path on a live node: the agent and HAProxy SIGKILLed, keepalived left alone;
 * - the whole node gone: its link cut and every process of it SIGKILLed, keepalived too.
 * And a busy node keeps its role: both CPUs saturated, no VRRP state changes.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { CLI_PROGRAM } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { HaPair, sleep, type NodeName } from '../../support/ha-pair.js'
import { createHaTopology, type HaTopology } from '../../support/ha-topology.js'
import { programsInNamespace } from '../../support/namespace-processes.js'
import { interfaceName } from '../../support/run-id.js'

const FAILOVER_LIMIT_MS = 1000
// short, so a connection that starts just before the take-over does not hide it for long (the next starts at most this much later)
const CONNECT_TIMEOUT_MS = 300
const PROBE_GAP_MS = 10
const BUSY_SECONDS = 5

let topology: HaTopology
let client: ClientDriver
let pair: HaPair

function envFor (name: NodeName): string {
  const [be1, be2] = topology.addresses.backends
  // what an operator must decide, and nothing more: no ctl_addr, no peer_addr, no in_addr
  return [
    'mode=tcp_source', 'ports=80', `out1=${be1}`, `out2=${be2}`, 'ctl_token=fast-t0ken',
    `ha_vip=${topology.addresses.virtual}`, `ha_interface=${topology.lbInterface}`,
    `ha_peer=${topology.addresses[name === 'lb1' ? 'lb2' : 'lb1']}`, `ha_priority=${name === 'lb1' ? 150 : 100}`, 'ha_router_id=46', ''
  ].join('\n')
}

interface Attempt { readonly at: number, readonly doneAt: number, readonly ok: boolean }

/** Connects to the virtual address again and again until `stop` is set (at most 20 s); each attempt and whether a back end greeted it. */
function probe (): { readonly attempts: Attempt[], stop: () => Promise<void> } {
  const attempts: Attempt[] = []
  const state = { on: true }
  const deadline = Date.now() + 20_000
  const running = (async () => {
    for (let i = 0; i < 5000 && state.on && Date.now() < deadline; i++) {
      const at = Date.now()
      const ok = await client.connect({ host: topology.addresses.virtual, port: 80, timeoutMs: CONNECT_TIMEOUT_MS })
        .then(async (connection) => { await client.close(connection.conn).catch(() => undefined); return !connection.pending }, () => false)
      attempts.push({ at, doneAt: Date.now(), ok })
      await sleep(PROBE_GAP_MS)
    }
  })()
  return { attempts, stop: async () => { state.on = false; await running } }
}

/**
 * Runs `fail` under a steady probe; `fail` calls `failed()` the moment its failure has taken
 * effect (a connection begun before that may still be served by the old node). The first
 * served connection begun after it, in ms, and the probe's record.
 */
async function measure (fail: (failed: () => void) => Promise<void>): Promise<{ servedAfterMs: number, failed: number, attempted: number }> {
  const load = probe()
  await sleep(500)
  // connections begun while the failure is being made prove nothing either way
  const failingAt = Date.now()
  let failedAt = Infinity
  await fail(() => { failedAt = Date.now() })
  await pair.waitFor('a connection to the virtual address is served again', async () => load.attempts.some((attempt) => attempt.at > failedAt && attempt.ok), 10_000)
  await sleep(300)
  await load.stop()
  // done before the failure began: one still in flight then proves nothing either way
  const before = load.attempts.filter((attempt) => attempt.doneAt < failingAt)
  assert.ok(before.length > 0 && before.every((attempt) => attempt.ok), 'connections failed before the failure')
  const afterwards = load.attempts.filter((attempt) => attempt.at >= failedAt)
  const firstOk = afterwards.find((attempt) => attempt.ok)?.at ?? Infinity
  return { servedAfterMs: firstOk - failedAt, failed: afterwards.filter((attempt) => !attempt.ok).length, attempted: afterwards.length }
}

async function killAll (pids: readonly number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone already
    }
  }
}

before(async () => {
  topology = await createHaTopology({ backends: 2 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  pair = new HaPair(topology, envFor)
  await pair.startActiveThenStandby(topology.addresses.virtual)
})

after(async () => {
  await pair?.stop()
  await topology?.destroy()
})

test('three properties make a pair: ctl and the peers listener run on each node\'s own address, and the admin state travels', async () => {
  for (const name of ['lb1', 'lb2'] as const) {
    const own = topology.addresses[name]
    const cfg = readFileSync(join(pair.runtimeDir(name), 'haproxy.cfg'), 'utf8')
    assert.match(cfg, new RegExp(`peer l3lb_${own.replaceAll('.', '_')} ${own.replaceAll('.', '\\.')}:8405`), `${name}'s peers listener is not on ${own}`)
    await pair.agent(name).waitForLine(new RegExp(`ctl service on ${own.replaceAll('.', '\\.')}:8080`), 5000)
  }
  // the command line finds the ctl service where the agent put it, with the token, and the standby follows
  const cli = async (name: NodeName, ...args: string[]): Promise<string> =>
    (await topology.exec(topology.names[name], process.execPath, [CLI_PROGRAM, ...args, '--env', pair.envFile(name)])).stdout
  assert.match(await cli('lb1', 'disable', 'out2'), /out2 disabled/)
  await pair.waitFor('lb2 shows out2 disabled', async () => /out2\s+\S+\s+primary\s+disabled/.test(await cli('lb2', 'status')), 5000)
  assert.match(await cli('lb1', 'enable', 'out2'), /out2 enabled/)
  await pair.waitFor('lb2 shows out2 enabled again', async () => !/disabled/.test(await cli('lb2', 'status')), 5000)
})

test('the VRRP process runs at realtime priority, so a busy node sends its adverts on time', async () => {
  for (const name of ['lb1', 'lb2'] as const) {
    const vrrpPid = readFileSync(join(pair.runtimeDir(name), 'keepalived-vrrp.pid'), 'utf8').trim()
    const { stdout } = await execa('chrt', ['-p', vrrpPid])
    assert.match(stdout, /scheduling policy: SCHED_RR/, `${name}: ${stdout}`)
    assert.match(stdout, /scheduling priority: 50/, `${name}: ${stdout}`)
  }
})

test('a busy node keeps its role: both CPUs saturated for 5 s, no VRRP state changes', async () => {
  const lb1States = pair.watchStates('lb1')
  const lb2States = pair.watchStates('lb2')
  try {
    // one busy loop per CPU and one more, each bounded by timeout(1)
    await Promise.all([1, 2, 3].map(async () => await topology.exec(topology.names.lb1, 'timeout', [String(BUSY_SECONDS), 'sh', '-c', 'while :; do :; done'], { timeoutMs: (BUSY_SECONDS + 5) * 1000 }).catch(() => undefined)))
    await sleep(500)
    assert.deepEqual([lb1States.lines, lb2States.lines], [[], []], 'a node changed VRRP state while the CPUs were busy')
    assert.equal(await topology.holds(topology.names.lb1, topology.addresses.virtual), true, 'lb1 lost the virtual address')
  } finally {
    lb1States.stop()
    lb2States.stop()
  }
})

test('a dead data path on a live node: agent and HAProxy SIGKILLed, keepalived left running; lb2 serves within 1 s', async (t) => {
  const haproxy = await programsInNamespace(topology.names.lb1, 'haproxy')
  assert.ok(haproxy.length >= 2, `expected a HAProxy master and worker in lb1, found ${haproxy.join(', ')}`)
  const keepalived = await programsInNamespace(topology.names.lb1, 'keepalived')
  assert.ok(keepalived.length > 0, 'no keepalived in lb1')
  const figures = await measure(async (failed) => {
    await killAll([pair.agent('lb1').pid, ...haproxy])
    failed()
  })
  t.diagnostic(`dead data path: lb2 served ${figures.servedAfterMs} ms after the kill; ${figures.failed} of ${figures.attempted} connections failed meanwhile`)
  assert.ok(figures.servedAfterMs <= FAILOVER_LIMIT_MS, `lb2 served ${figures.servedAfterMs} ms after the kill`)
  assert.equal(await topology.holds(topology.names.lb2, topology.addresses.virtual), true, 'lb2 does not hold the virtual address')
  // keepalived left on its own, giving the address up, when its agent died
  await pair.waitFor('lb1\'s keepalived is gone', async () => (await programsInNamespace(topology.names.lb1, 'keepalived')).length === 0, 5000)
  assert.equal(await topology.holds(topology.names.lb1, topology.addresses.virtual), false, 'lb1 still holds the virtual address')
})

test('the whole node gone: its link cut and every process killed, keepalived too; the other serves within 1 s', async (t) => {
  // lb1 comes back as standby; lb2, the active node now, is the one to vanish
  const again = await pair.start('lb1')
  await again.waitForLine(/keepalived: \(l3lb\) Entering BACKUP STATE/, 5000)
  const lb2Processes = async (): Promise<number[]> => [
    ...await programsInNamespace(topology.names.lb2, 'node'),
    ...await programsInNamespace(topology.names.lb2, 'haproxy'),
    ...await programsInNamespace(topology.names.lb2, 'keepalived')
  ]
  assert.ok((await programsInNamespace(topology.names.lb2, 'keepalived')).length > 0, 'no keepalived in lb2')
  await sleep(1000)
  assert.deepEqual([await topology.holds(topology.names.lb1, topology.addresses.virtual), await topology.holds(topology.names.lb2, topology.addresses.virtual)], [false, true], `lb2 must be the only one serving before it goes:\n${pair.logs()}`)
  const figures = await measure(async (failed) => {
    // cut first, so not even a last advert leaves the node, then power it off
    await execa('ip', ['-n', topology.names.lan, 'link', 'set', interfaceName('c-lb2'), 'down'])
    failed()
    await killAll(await lb2Processes())
  })
  t.diagnostic(`whole node gone: lb1 served ${figures.servedAfterMs} ms after the cut; ${figures.failed} of ${figures.attempted} connections failed meanwhile`)
  assert.ok(figures.servedAfterMs <= FAILOVER_LIMIT_MS, `lb1 served ${figures.servedAfterMs} ms after the cut`)
  assert.equal(await topology.holds(topology.names.lb1, topology.addresses.virtual), true, 'lb1 does not hold the virtual address')
  assert.deepEqual(await lb2Processes(), [], 'a process of lb2 survived')
})
