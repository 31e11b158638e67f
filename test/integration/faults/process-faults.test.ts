import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { programsInNamespace } from '../../support/namespace-processes.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { processGone } from '../../../src/process/process-state.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle

before(async () => {
  topology = await createTopology({ backends: 3 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  const outputs = topology.addresses.backends.map((address, i) => `out${i + 1}=${address}`).join('\n')
  agent = await startAgent(topology, client, { env: `ports=80\n${outputs}\nhealthcheck_interval=1\n` + ctlEnv(topology) })
  assert.equal((await agent.ctl('/api/disable?channel=out3')).status.code, 0)
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology?.destroy()
})

async function serve (count: number): Promise<string[]> {
  const seen: string[] = []
  for (let i = 0; i < count; i++) {
    const connection = await client.connect({ host: topology.addresses.lbClientSide, port: 80, timeoutMs: 2000 })
    assert.equal(connection.pending, false)
    seen.push(String(connection.greeting).split(' ')[0] ?? '')
    await client.close(connection.conn)
  }
  return seen
}

async function counters (): Promise<Record<string, number>> {
  const answer = await client.http(`http://${topology.addresses.lbClientSide}:8080/api/counters`, { timeoutMs: 5000 })
  return (JSON.parse(answer.body) as { counters: Record<string, number> }).counters
}

/** Milliseconds until a new connection is served again, polling every 50 ms, at most `limitMs`. */
async function timeUntilServed (limitMs: number): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < limitMs) {
    const served = await client.connect({ host: topology.addresses.lbClientSide, port: 80, timeoutMs: 300 }).catch(() => null)
    if (served !== null && served.pending === false && served.greeting !== null) {
      await client.close(served.conn)
      return Date.now() - started
    }
    if (served !== null) await client.close(served.conn).catch(() => undefined)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return Infinity
}

/**
 * Kills `pid` with SIGKILL; milliseconds from then until a new connection is served by a
 * HAProxy started since. The old worker can still accept a connection or two before it
 * sees its master gone and exits: those do not count, or a test would pass on them and
 * then find the port closed while the new HAProxy starts.
 */
async function killAndTimeRecovery (pid: number, limitMs: number): Promise<number> {
  const old = await haproxyPids()
  const started = Date.now()
  process.kill(pid, 'SIGKILL')
  while (!old.every(processGone) && Date.now() - started < limitMs) await new Promise((resolve) => setTimeout(resolve, 20))
  if (!old.every(processGone)) return Infinity
  return Date.now() - started + await timeUntilServed(limitMs - (Date.now() - started))
}

/** Runs a test's body; a failure carries the agent's last log lines, which say what it saw (a CI failure is read once). */
async function withAgentLog (body: () => Promise<void>): Promise<void> {
  try {
    await body()
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- the agent's log, last lines ---\n${agent.process.output().slice(-4000)}`, { cause: error })
  }
}

function haproxyPids (): Promise<number[]> {
  return programsInNamespace(topology.names.lb, 'haproxy')
}

function masterPid (): number {
  return Number(readFileSync(join(agent.runtimeDir, 'haproxy.pid'), 'utf8').trim())
}

async function workerPid (): Promise<number> {
  return Number((await topology.exec(topology.names.lb, 'pgrep', ['-P', String(masterPid()), '-x', 'haproxy'])).stdout.split('\n')[0])
}

/** The agent's log line of HAProxy's master telling that worker `pid` exited. */
async function workerExitLine (pid: number): Promise<string> {
  return await agent.process.waitForLine(new RegExp(`haproxy: \\[ALERT\\] +\\(\\d+\\) : Current worker \\(${pid}\\) exited`), 5000)
}

for (const victim of ['master', 'worker'] as const) {
  test(`HAProxy's ${victim} killed with SIGKILL: back within 2 s, same disabled outputs, counters kept`, () => withAgentLog(async () => {
    await serve(6)
    // the agent samples every 2 s; let it see the figures before the crash
    await new Promise((resolve) => setTimeout(resolve, 2500))
    const before = await counters()
    const pid = victim === 'master' ? masterPid() : await workerPid()
    const took = await killAndTimeRecovery(pid, 5000)
    assert.ok(took <= 2000, `no connection served for ${took} ms after the ${victim} was killed`)
    if (victim === 'worker') assert.match(await workerExitLine(pid), /^l3lb: error: haproxy: \[ALERT\] .* exited with code 137 \(Killed\)$/)
    assert.ok(!(await serve(6)).includes('be3'), 'out3 came back enabled')
    const after = await counters()
    assert.equal(after.out3_status, 2)
    for (const name of ['sessions_total', 'out1_sessions_total', 'sessions_max', 'out1_sessions_max']) {
      assert.ok((after[name] ?? 0) >= (before[name] ?? 0), `${name} went from ${before[name]} to ${after[name]}`)
    }
  }))
}

test('HAProxy\'s worker ended with SIGTERM while the agent runs: an error, though a stop ends it the same way; HAProxy back', () => withAgentLog(async () => {
  const pid = await workerPid()
  process.kill(pid, 'SIGTERM')
  const line = await workerExitLine(pid)
  assert.ok(await timeUntilServed(10_000) < Infinity, 'HAProxy did not come back')
  // the master prints what it prints when the agent stops HAProxy, but nobody asked for this one
  assert.match(line, /^l3lb: error: haproxy: \[ALERT\] .* exited with code 143 \(Terminated\)$/)
}))

test('the agent killed with SIGKILL: HAProxy keeps forwarding; a new agent adopts it without dropping a connection', () => withAgentLog(async () => {
  const held = await client.connect({ host: topology.addresses.lbClientSide, port: 80, timeoutMs: 2000 })
  const pidsBefore = await haproxyPids()
  process.kill(agent.process.pid, 'SIGKILL')
  await agent.process.exited
  // the data plane does not depend on the control plane
  assert.equal((await serve(4)).length, 4)
  assert.equal(await client.send(held.conn, 'while no agent runs'), 'while no agent runs')

  agent = await agent.restart()
  assert.match(agent.process.output(), /adopted/)
  assert.deepEqual(await haproxyPids(), pidsBefore, 'a second HAProxy was started')
  assert.equal(await client.send(held.conn, 'after the new agent took over'), 'after the new agent took over')
  assert.ok(!(await serve(6)).includes('be3'))
  assert.equal((await agent.ctl('/api/enable?channel=out3')).status.code, 0)
  assert.ok((await serve(6)).includes('be3'))
  await client.close(held.conn)

  // the adopted HAProxy is watched too: killed, it comes back
  const took = await killAndTimeRecovery(masterPid(), 5000)
  assert.ok(took <= 2000, `no connection served for ${took} ms after the adopted master was killed`)
}))

test('a drain made just before HAProxy\'s master dies is in the HAProxy started again (the server-state file is written before a restart)', () => withAgentLog(async () => {
  assert.equal((await agent.ctl('/api/drain?channel=out2')).status.code, 0)
  // at once: a drain is only in the server-state file, which the agent writes once admin changes pause, or before a restart
  const took = await killAndTimeRecovery(masterPid(), 5000)
  assert.ok(took < Infinity, 'HAProxy did not come back')
  assert.ok(!(await serve(6)).includes('be2'), 'out2 came back out of its drain')
  assert.match(readFileSync(join(agent.runtimeDir, 'server-state'), 'utf8'), /^\S+ outputs \S+ out2 \S+ \S+ 8 /m)
  assert.equal((await agent.ctl('/api/enable?channel=out2')).status.code, 0)
  assert.ok((await serve(6)).includes('be2'))
}))
