/**
 * Two load balancers with real keepalived, HAProxy and agents: the active node's HAProxy is
 * frozen (SIGSTOP, master and workers) while its agent and keepalived live on. Only
 * keepalived's vrrp_script can see it: the agent restarts a HAProxy that exits, not one that
 * hangs. The node goes to FAULT, the standby takes the virtual address and serves; when
 * HAProxy resumes, the node leaves FAULT as standby and the address stays put (nopreempt).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { frontendSessions, HaPair, sleep, type NodeName } from '../../support/ha-pair.js'
import { createHaTopology, type HaTopology } from '../../support/ha-topology.js'
import { programsInNamespace } from '../../support/namespace-processes.js'
import { sendCommand } from '../../../src/haproxy/socket-client.js'

// timers and process starts run late on a loaded two-core machine
const SLACK_MS = 2000
const CONNECT_TIMEOUT_MS = 1000

let topology: HaTopology
let client: ClientDriver
let pair: HaPair
// lb1's HAProxy processes while they are stopped: resumed by the test or, failing that, by after()
let frozen: number[] = []

function envFor (name: NodeName): string {
  const own = topology.addresses[name]
  const [be1, be2] = topology.addresses.backends
  return [
    'mode=tcp_roundrobin', 'ports=80', `out1=${be1}`, `out2=${be2}`, `in_addr=${own}`, `ctl_addr=${own}`, 'ctl_token=health-t0ken',
    `ha_vip=${topology.addresses.virtual}`, `ha_interface=${topology.lbInterface}`,
    `ha_peer=${topology.addresses[name === 'lb1' ? 'lb2' : 'lb1']}`, `ha_priority=${name === 'lb1' ? 150 : 100}`, 'ha_router_id=44', ''
  ].join('\n')
}

/** The check's and VRRP's timers in the keepalived.conf the node runs, in seconds. */
function timersOf (name: NodeName): { interval: number, timeout: number, fall: number, rise: number, advert: number, priority: number } {
  const text = readFileSync(join(pair.runtimeDir(name), 'keepalived.conf'), 'utf8')
  const value = (key: string): number => {
    const found = new RegExp(`^\\s*${key} ([\\d.]+)$`, 'm').exec(text)?.[1]
    if (found === undefined) throw new Error(`no "${key} N" line in ${name}'s keepalived.conf:\n${text}`)
    return Number(found)
  }
  return { interval: value('interval'), timeout: value('timeout'), fall: value('fall'), rise: value('rise'), advert: value('advert_int'), priority: value('priority') }
}

/** Opens one connection to the virtual address; the back end that greeted it, or null when none did. */
async function greetedBy (): Promise<string | null> {
  const connection = await client.connect({ host: topology.addresses.virtual, port: 80, timeoutMs: CONNECT_TIMEOUT_MS }).catch(() => null)
  if (connection === null) return null
  await client.close(connection.conn).catch(() => undefined)
  return connection.pending ? null : String(connection.greeting).split(' ')[0] ?? null
}

/** Opens `count` connections to the virtual address; asserts each is served and that `name`'s HAProxy took them all. */
async function assertServedBy (name: NodeName, count: number): Promise<void> {
  const before = await frontendSessions(pair.runtimeDir(name))
  for (let i = 0; i < count; i++) assert.match(String(await greetedBy()), /^be[12]$/, `connection ${i + 1} to the virtual address was not served`)
  assert.equal(await frontendSessions(pair.runtimeDir(name)) - before, count, `${name}'s HAProxy did not take all ${count} connections`)
}

/** Stops lb1's HAProxy master and workers; the agent sees no exit, so it restarts nothing. */
async function freezeHaproxy (): Promise<void> {
  const pids = await programsInNamespace(topology.names.lb1, 'haproxy')
  assert.ok(pids.length >= 2, `expected a HAProxy master and worker in lb1, found pids ${pids.join(', ')}`)
  frozen = pids
  for (const pid of pids) process.kill(pid, 'SIGSTOP')
}

function thawHaproxy (): void {
  for (const pid of frozen) {
    try {
      process.kill(pid, 'SIGCONT')
    } catch {
      // gone already: cleanup kills what is left
    }
  }
  frozen = []
}

/** The state letter of `pid` in /proc (T: stopped). */
function processState (pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
}

before(async () => {
  topology = await createHaTopology({ backends: 2 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  pair = new HaPair(topology, envFor)
  await pair.startActiveThenStandby(topology.addresses.virtual)
})

after(async () => {
  // a stopped HAProxy would hold its agent's SIGTERM until the kill timeout
  thawHaproxy()
  await pair?.stop()
  await topology?.destroy()
})

test('a node whose HAProxy hangs goes to FAULT and the standby takes the virtual address', async (t) => {
  assert.equal(await topology.holds(topology.names.lb2, topology.addresses.virtual), false, 'the standby must not hold the virtual address too')
  await assertServedBy('lb1', 3)
  const check = timersOf('lb1')
  const standby = timersOf('lb2')
  // each failing run counts at most `timeout` after it starts, the next starts within `interval`;
  // then the standby's master-down interval, in case it missed lb1's priority-0 advert
  const detectMs = check.fall * (check.interval + check.timeout) * 1000
  const masterDownMs = (3 * standby.advert + (256 - standby.priority) / 256 * standby.advert) * 1000
  const boundMs = Math.round(detectMs + masterDownMs + SLACK_MS)
  const lb1States = pair.watchStates('lb1')
  const lb2States = pair.watchStates('lb2')
  try {
    const frozenAt = Date.now()
    await freezeHaproxy()
    await pair.waitFor('lb2 holds the virtual address', () => topology.holds(topology.names.lb2, topology.addresses.virtual), boundMs)
    const tookOver = Date.now() - frozenAt
    await pair.waitFor('a connection to the virtual address is served again', async () => await greetedBy() !== null, 10_000)
    const served = Date.now() - frozenAt
    await pair.waitFor('lb1 logs its FAULT', async () => lb1States.lines.some((line) => line.state === 'FAULT'), 5000)
    const fault = lb1States.lines.find((line) => line.state === 'FAULT')?.at ?? Infinity
    const master = lb2States.lines.find((line) => line.state === 'MASTER')?.at ?? Infinity
    t.diagnostic(`take-over: lb1 FAULT ${fault - frozenAt} ms after the freeze, lb2 MASTER after ${master - frozenAt} ms, holds the address after ${tookOver} ms, first connection served after ${served} ms (bound ${boundMs} ms: fall ${check.fall} x (interval ${check.interval} s + timeout ${check.timeout} s) + master-down ${masterDownMs} ms + slack ${SLACK_MS} ms)`)

    assert.ok(fault <= master, 'lb2 became MASTER before lb1 was in FAULT: the address moved for another reason')
    assert.equal(await topology.holds(topology.names.lb1, topology.addresses.virtual), false, 'lb1 in FAULT still holds the virtual address')
    assert.deepEqual(lb1States.lines.map((line) => line.state), ['FAULT'], 'lb1 went through other states while HAProxy was stopped')
    await assertServedBy('lb2', 5)
    // the data path stayed dead all along: the agent restarted nothing behind the test's back
    assert.deepEqual(frozen.map(processState), frozen.map(() => 'T'), 'a frozen HAProxy process runs again')
    assert.doesNotMatch(pair.agent('lb1').output(), /HAProxy .*restarting it|HAProxy restarted/)
  } finally {
    lb1States.stop()
    lb2States.stop()
  }
})

test('HAProxy resumes: the node leaves FAULT as standby and the address stays put (nopreempt)', async (t) => {
  const check = timersOf('lb1')
  const lb1States = pair.watchStates('lb1')
  const lb2States = pair.watchStates('lb2')
  try {
    const thawedAt = Date.now()
    thawHaproxy()
    // `rise` passing runs in a row, each started within `interval`
    const rejoined = await pair.waitFor('lb1 leaves FAULT', async () => lb1States.lines.some((line) => line.state === 'BACKUP'), check.rise * (check.interval + check.timeout) * 1000 + SLACK_MS)
    t.diagnostic(`lb1 back to BACKUP ${rejoined} ms after HAProxy resumed`)
    const answer = await sendCommand(join(pair.runtimeDir('lb1'), 'haproxy.sock'), 'show info', 2000)
    assert.match(answer, /^Name: HAProxy$/m, 'lb1\'s HAProxy does not answer after SIGCONT')
    // longer than the master-down interval: a preempting lb1 would have taken the address by now
    await sleep(5000)
    assert.deepEqual(lb1States.lines.map((line) => line.state), ['BACKUP'], `lb1 left BACKUP again ${Date.now() - thawedAt} ms after HAProxy resumed`)
    assert.deepEqual(lb2States.lines, [], 'lb2 changed state while lb1 rejoined')
    assert.equal(await topology.holds(topology.names.lb1, topology.addresses.virtual), false, 'lb1 took the virtual address back')
    assert.equal(await topology.holds(topology.names.lb2, topology.addresses.virtual), true, 'lb2 lost the virtual address')
    await assertServedBy('lb2', 3)
  } finally {
    lb1States.stop()
    lb2States.stop()
  }
})
