import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackend, startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type SpawnedProcess, type Topology } from '../../support/topology.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let backends: SpawnedProcess[]

const CONN_TIMEOUT_S = 2
const SERVER_TIMEOUT_S = 2
const INTERVAL_S = 1
const FALL = 2
// the checks test the first port only
const PORTS = '80,81'

function envWith (interval: number): string {
  const outputs = topology.addresses.backends.map((address, i) => `out${i + 1}=${address}`).join('\n')
  return `ports=${PORTS}\n${outputs}\nhealthcheck_interval=${interval}\nhealthcheck_fall=${FALL}\nhealthcheck_rise=1\n` +
    `conn_timeout=${CONN_TIMEOUT_S}\nserver_timeout=${SERVER_TIMEOUT_S}\nclient_timeout=30\n` + ctlEnv(topology)
}

before(async () => {
  topology = await createTopology({ backends: 3 })
  backends = await startBackends(topology, { ports: PORTS })
  client = await startClient(topology)
  agent = await startAgent(topology, client, { env: envWith(INTERVAL_S) })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology?.destroy()
})

async function statusOf (output: string): Promise<unknown> {
  return (await agent.ctl('/api/status')).status[output]
}

async function waitFor (output: string, state: string, timeoutMs: number): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if (await statusOf(output) === state) return Date.now() - started
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.fail(`${output} did not become ${state} within ${timeoutMs} ms`)
}

/** Every one of `count` new connections is served (by some output), each within `limitMs`. */
async function allServed (count: number, limitMs: number, port = 80): Promise<string[]> {
  const seen: string[] = []
  for (let i = 0; i < count; i++) {
    const started = Date.now()
    const connection = await client.connect({ host: topology.addresses.lbClientSide, port, timeoutMs: limitMs })
    assert.equal(connection.pending, false, `connection ${i} was not served within ${limitMs} ms`)
    assert.ok(Date.now() - started <= limitMs)
    seen.push(String(connection.greeting).split(' ')[0] ?? '')
    await client.close(connection.conn)
  }
  return seen
}

async function inBackend (index: number, args: string[]): Promise<void> {
  await topology.exec(topology.names.backends[index - 1]!, 'iptables', args)
}

test('a back end that resets every connection: clients never see it, its checks take it down', async () => {
  await waitFor('out2', 'up', 10_000)
  const rule = ['INPUT', '-p', 'tcp', '--dport', '80', '-j', 'REJECT', '--reject-with', 'tcp-reset']
  await inBackend(2, ['-A', ...rule])
  try {
    assert.ok(!(await allServed(9, 1000)).includes('be2'))
    const took = await waitFor('out2', 'down', (INTERVAL_S * FALL + CONN_TIMEOUT_S) * 1000 + 3000)
    assert.ok(took <= (INTERVAL_S * FALL) * 1000 + 2000, `out2 went down after ${took} ms`)
    // what the operator sees: the state, for how long, and why, from HAProxy's checks or the clients'
    const { table, json } = await agent.cliStatus()
    const out2 = json.outputs.find((output) => output.name === 'out2')
    assert.equal(out2?.state, 'down')
    assert.ok(out2.for_seconds !== null && out2.for_seconds <= 5, `out2 down for ${String(out2.for_seconds)} s`)
    const refused = /Layer4 connection problem: Connection refused|\d clients' connections in a row failed \(L4 unsuccessful connection\)/
    assert.match(out2.reason, refused)
    assert.match(table, /^out2 +\S+ +primary +down +\ds +/m)
    assert.match(table, new RegExp(`^out2 is down: ${refused.source}$`, 'm'))
  } finally {
    await inBackend(2, ['-D', ...rule])
  }
  await waitFor('out2', 'up', 5000)
})

test('a back end slow to accept (SYNs unanswered): conn_timeout applies, the client is served elsewhere, checks take it down', async () => {
  const rule = ['INPUT', '-p', 'tcp', '--dport', '80', '-j', 'DROP']
  await inBackend(2, ['-A', ...rule])
  try {
    // a connection given to out2 waits conn_timeout, then is tried on another output
    const seen = await allServed(6, CONN_TIMEOUT_S * 1000 + 2000)
    assert.ok(!seen.includes('be2'))
    await waitFor('out2', 'down', (INTERVAL_S + CONN_TIMEOUT_S) * FALL * 1000 + 3000)
    const quick = Date.now()
    await allServed(6, 1000)
    assert.ok(Date.now() - quick < 3000, 'once down, out2 no longer delays anyone')
  } finally {
    await inBackend(2, ['-D', ...rule])
  }
  await waitFor('out2', 'up', 5000)
})

test('a back end whose host went silent is taken down by the clients\' failed connections, long before its checks', async (t) => {
  // checks every 10 s: alone they need 2 failed checks, 14 s at the least (a 2 s connect timeout, 10 s apart)
  const slowChecks = 10
  agent.writeEnv(envWith(slowChecks))
  assert.match(await agent.reload(), /properties reloaded .*: reload$/)
  await waitFor('out2', 'up', 5000)
  const rule = ['INPUT', '-p', 'tcp', '--dport', '80', '-j', 'DROP']
  await inBackend(2, ['-A', ...rule])
  const dropped = Date.now()
  try {
    // one at a time, round robin: every third is given out2, waits conn_timeout, and is served elsewhere
    const seen = await allServed(6, CONN_TIMEOUT_S * 1000 + 2000)
    assert.ok(!seen.includes('be2'))
    await waitFor('out2', 'down', 5000)
    const took = Date.now() - dropped
    t.diagnostic(`out2 down ${took} ms after its SYNs were dropped (checks alone: ${(CONN_TIMEOUT_S + slowChecks + CONN_TIMEOUT_S) * 1000} ms at the least)`)
    assert.ok(took < (CONN_TIMEOUT_S + slowChecks) * 1000, `out2 went down after ${took} ms: the checks, not the clients' connections`)
    const quick = Date.now()
    await allServed(6, 1000)
    assert.ok(Date.now() - quick < 3000, 'once down, out2 no longer delays anyone')
  } finally {
    await inBackend(2, ['-D', ...rule])
    agent.writeEnv(envWith(INTERVAL_S))
    await agent.reload()
  }
  await waitFor('out2', 'up', 5000)
})

test('a service dead on a port the checks do not test: its clients\' refused connections take the output down', async () => {
  await waitFor('out2', 'up', 5000)
  const rule = ['INPUT', '-p', 'tcp', '--dport', '81', '-j', 'REJECT', '--reject-with', 'tcp-reset']
  await inBackend(2, ['-A', ...rule])
  const logBefore = agent.process.output().length
  try {
    // port 81 refused on be2, while its checks on port 80 pass: every client is served elsewhere
    assert.ok(!(await allServed(6, 1000, 81)).includes('be2'))
    // down for a moment only, as its checks bring it back: HAProxy's own line (a new one) says it went down and why
    const wentDown = /Server outputs\/out2 is DOWN, reason: Health analyze, info: "Detected 2 consecutive errors, last one was: L4 unsuccessful connection"/
    const deadline = Date.now() + 2000
    while (!wentDown.test(agent.process.output().slice(logBefore)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    assert.match(agent.process.output().slice(logBefore), wentDown)
    // HAProxy prints the event and logs it to the same stderr: the agent's log has it once
    await new Promise((resolve) => setTimeout(resolve, 200))
    const seen = agent.process.output().slice(logBefore).split('\n').filter((line) => wentDown.test(line))
    assert.equal(seen.length, 1, seen.join('\n'))
    assert.match(seen[0]!, /info: haproxy: \[WARNING\]/)
  } finally {
    await inBackend(2, ['-D', ...rule])
  }
  await waitFor('out2', 'up', 5000)
})

test('a back end that accepts and then hangs: server_timeout closes the session', async () => {
  await backends[1]!.stop()
  const hung = topology.spawn(topology.names.backends[1]!, process.execPath, ['-e',
    "require('node:net').createServer(() => {}).listen(80, () => console.log('ready'))"])
  await hung.waitForLine('ready')
  for (const output of ['out1', 'out3']) assert.equal((await agent.ctl(`/api/disable?channel=${output}`)).status.code, 0)
  try {
    const started = Date.now()
    const connection = await client.connect({ host: topology.addresses.lbClientSide, port: 80, timeoutMs: 500 })
    assert.equal(connection.pending, true, 'the hung back end sent something')
    const ended = await client.waitGreeting(connection.conn, (SERVER_TIMEOUT_S + 3) * 1000)
    assert.equal(ended.closed, true, 'the session was not closed')
    const lasted = Date.now() - started
    assert.ok(lasted >= SERVER_TIMEOUT_S * 1000 - 200 && lasted <= (SERVER_TIMEOUT_S + 2) * 1000, `closed after ${lasted} ms`)
    // a TCP-connect check (SPEC §3) cannot tell a hung server from a healthy one
    assert.equal(await statusOf('out2'), 'up')
  } finally {
    for (const output of ['out1', 'out3']) await agent.ctl(`/api/enable?channel=${output}`)
    await hung.stop()
    backends[1] = await startBackend(topology, 2, { ports: PORTS })
  }
})
