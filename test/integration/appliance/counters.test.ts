import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackend, startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver, type ConnectionState } from '../../support/client-driver.js'
import { createTopology, type SpawnedProcess, type Topology } from '../../support/topology.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let backends: SpawnedProcess[]
let env: string

type OutputCounter = 'status' | 'queue' | 'queue_max' | 'sessions' | 'sessions_max' | 'sessions_total' | 'errors'
type CounterName = `out${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8}_${OutputCounter}` | 'queue' | 'queue_max' | 'sessions_active' | 'sessions_max' | 'sessions_total' | 'errors'
type Counters = Readonly<Record<CounterName, number>>

before(async () => {
  topology = await createTopology({ backends: 4 })
  backends = await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  const [be1, be2, be3, be4] = topology.addresses.backends
  env = `ports=80\nout1=${be1}\nout2=${be2}\nout3=${be3}\nout5=${be4}\nmax_connections=4\nhealthcheck_interval=1\nhealthcheck_fall=2\n` + ctlEnv(topology)
  agent = await startAgent(topology, client, { env })
  assert.equal((await agent.ctl('/api/disable?channel=out5')).status.code, 0)
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology?.destroy()
})

async function counters (): Promise<Counters> {
  const answer = await client.http(`http://${topology.addresses.lbClientSide}:8080/api/counters`, { timeoutMs: 5000 })
  assert.equal(answer.status, 200, answer.body)
  const document = JSON.parse(answer.body) as { group: string, counters: Counters }
  assert.equal(document.group, 'L3LB')
  return document.counters
}

async function until (what: string, check: (c: Counters) => boolean, timeoutMs = 10_000): Promise<Counters> {
  const deadline = Date.now() + timeoutMs
  let last: Counters | null = null
  while (Date.now() < deadline) {
    last = await counters()
    if (check(last)) return last
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  assert.fail(`${what} did not happen within ${timeoutMs} ms; counters: ${JSON.stringify(last)}`)
}

async function open (): Promise<ConnectionState> {
  return await client.connect({ host: topology.addresses.lbClientSide, port: 80, timeoutMs: 1500 })
}

test('status: 0 up, 2 disabled, 100 not connected; all counters present and zero at first', async () => {
  const c = await until('every output up', (c) => c.out1_status === 0 && c.out2_status === 0 && c.out3_status === 0)
  assert.deepEqual([c.out4_status, c.out5_status, c.out6_status], [100, 2, 100])
  for (const name of ['sessions_active', 'sessions_total', 'queue', 'errors'] as const) assert.equal(c[name], 0, name)
  assert.equal(Object.keys(c).length, 8 * 7 + 6)
})

test('sessions, queue, maxima and totals equal what was done', async () => {
  // round robin over out1..out3: connections 1-4 go to out1, out2, out3, out1; max_connections is 4
  const held: ConnectionState[] = []
  for (let i = 0; i < 4; i++) held.push(await open())
  let c = await until('4 sessions', (c) => c.sessions_active === 4)
  assert.deepEqual([c.out1_sessions, c.out2_sessions, c.out3_sessions], [2, 1, 1])

  // two more wait in the listen backlog: the queue in front of the outputs
  const waiting = [await open(), await open()]
  for (const connection of waiting) assert.equal(connection.pending, true)
  c = await until('2 queued', (c) => c.queue === 2)
  assert.ok(c.queue_max >= 2)
  assert.equal(c.sessions_active, 4)

  for (const connection of [...held, ...waiting]) {
    await client.waitGreeting(connection.conn, 5000)
    await client.close(connection.conn)
  }
  c = await until('every session completed', (c) => c.sessions_active === 0 && c.sessions_total === 6)
  assert.equal(c.out1_sessions_max, 2)
  assert.equal(c.out1_sessions_total + c.out2_sessions_total + c.out3_sessions_total, 6)
  assert.equal(c.queue, 0)
  assert.ok(c.queue_max >= 2, 'the maximum outlives the queue')
  assert.equal(c.sessions_max, c.out1_sessions_max + c.out2_sessions_max + c.out3_sessions_max + c.out5_sessions_max)
})

test('maxima and totals survive a reload of HAProxy', async () => {
  const before = await counters()
  agent.writeEnv(env.replace('healthcheck_fall=2', 'healthcheck_fall=3'))
  assert.match(await agent.reload(), /: reload$/)
  const after = await counters()
  for (const name of ['out1_sessions_max', 'sessions_max', 'queue_max', 'out1_sessions_total', 'sessions_total'] as const) {
    assert.equal(after[name], before[name], `${name} after the reload`)
  }
  const connection = await open()
  await client.close(connection.conn)
  await until('one more completed session', (c) => c.sessions_total === before.sessions_total + 1)
})

test('a stopped back end: status 1 and failed checks counted', async () => {
  await backends[2]!.stop()
  const c = await until('out3 down', (c) => c.out3_status === 1, 15_000)
  assert.ok(c.out3_errors >= 1, `out3_errors is ${c.out3_errors}`)
  assert.equal(c.errors, c.out1_errors + c.out2_errors + c.out3_errors + c.out5_errors)
  backends[2] = await startBackend(topology, 3, { ports: '80' })
  await until('out3 up again', (c) => c.out3_status === 0, 15_000)
})

test('/metrics is Prometheus text with the same figures', async () => {
  const c = await counters()
  const answer = await client.http(`http://${topology.addresses.lbClientSide}:8080/metrics`, { timeoutMs: 5000 })
  assert.equal(answer.status, 200)
  assert.match(String(answer.headers['content-type']), /^text\/plain/)
  const lines = answer.body.split('\n').filter((line) => line !== '' && !line.startsWith('#'))
  for (const line of lines) assert.match(line, /^l3lb_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$/, line)
  const status = lines.find((line) => line.startsWith('l3lb_output_status{') && line.includes('output="out5"'))
  assert.equal(status?.split(' ')[1], String(c.out5_status))
})

/** A receiver in the client namespace: prints each POST body as a line, or never answers when `hang`. */
function receiver (port: number, hang: boolean): SpawnedProcess {
  const program = `
    const server = require('node:http').createServer((request, response) => {
      let body = ''
      request.on('data', (chunk) => { body += chunk })
      request.on('end', () => {
        if (${String(hang)}) return
        console.log(JSON.stringify({ type: request.headers['content-type'], body }))
        response.end()
      })
    })
    server.listen(${port}, '${topology.addresses.client[0]}', () => console.log('ready'))`
  return topology.spawn(topology.names.client, process.execPath, ['-e', program])
}

test('mon push: the counters arrive at mon_url every mon_interval; a receiver that hangs slows nothing and is logged once', async () => {
  const live = receiver(9000, false)
  const hung = receiver(9001, true)
  await live.waitForLine('ready')
  await hung.waitForLine('ready')
  const bodies: string[] = []
  // mon_url also gets notices (an output going down or up): only the counters documents count here
  live.onLine((line) => { if (line.startsWith('{') && (JSON.parse(line) as { body: string }).body.includes('"counters"')) bodies.push(line) })

  agent.writeEnv(env + `mon_url=http://${topology.addresses.client[0]}:9000/l3lb\nmon_interval=1\n`)
  assert.match(await agent.reload(), /properties reloaded/)
  const deadline = Date.now() + 6000
  while (bodies.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  assert.ok(bodies.length >= 2, `${bodies.length} pushes arrived in 6 s`)
  const first = JSON.parse(bodies[0]!) as { type: string, body: string }
  assert.match(first.type, /^application\/json/)
  const pushed = JSON.parse(first.body) as { group: string, counters: Counters }
  assert.equal(pushed.group, 'L3LB')
  assert.equal(pushed.counters.out4_status, 100)

  const logLinesBefore = agent.process.output().split('\n').length
  agent.writeEnv(env + `mon_url=http://${topology.addresses.client[0]}:9001/l3lb\nmon_interval=1\n`)
  assert.match(await agent.reload(), /properties reloaded/)
  // several ticks against a receiver that never answers: ctl stays fast throughout
  for (let i = 0; i < 8; i++) {
    const started = Date.now()
    assert.equal((await agent.ctl('/api/status')).status.code, 0)
    assert.ok(Date.now() - started < 1000, `ctl took ${Date.now() - started} ms while the push hung`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  const newLines = agent.process.output().split('\n').slice(logLinesBefore - 1)
  assert.equal(newLines.filter((line) => /mon push to .* failed/.test(line)).length, 1, newLines.join('\n'))

  agent.writeEnv(env)
  assert.match(await agent.reload(), /properties reloaded/)
  await live.stop()
  await hung.stop()
})

test('the kept maxima and totals outlive a restart of the agent', async () => {
  const before = await counters()
  assert.ok(before.sessions_total > 0)
  await agent.stop()
  agent = await agent.restart()
  const after = await until('every output up after the restart', (c) => c.out1_status === 0 && c.out2_status === 0)
  for (const name of ['out1_sessions_max', 'sessions_max', 'queue_max', 'out1_sessions_total', 'sessions_total', 'out3_errors'] as const) {
    assert.equal(after[name], before[name], `${name} after the restart`)
  }
})
