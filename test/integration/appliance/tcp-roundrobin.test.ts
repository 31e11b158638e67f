import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackend, startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type SpawnedProcess, type Topology } from '../../support/topology.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let backends: SpawnedProcess[]
let env: string

const PORTS = '80,81,90-92 110:111'

before(async () => {
  topology = await createTopology({ backends: 4 })
  backends = await startBackends(topology, { ports: PORTS })
  client = await startClient(topology)
  const [be1, be2, be3, be4] = topology.addresses.backends
  env = `mode=tcp_roundrobin\nports=${PORTS}\nout1=${be1}\nout2=${be2}\nout3=${be3}\nout4=${be4}\nbackup_outputs=out4\n` +
    'healthcheck_interval=1\nhealthcheck_rise=2\nhealthcheck_fall=2\nconn_timeout=2\n' + ctlEnv(topology)
  agent = await startAgent(topology, client, { env })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology?.destroy()
})

/** Opens `count` connections one after another on `port`; the greeting of each (`be2 80`), closed again. */
async function greetings (count: number, port = 80): Promise<string[]> {
  const seen: string[] = []
  for (let i = 0; i < count; i++) {
    const connection = await client.connect({ host: topology.addresses.lbClientSide, port, timeoutMs: 5000 })
    assert.equal(connection.pending, false, `connection ${i} on port ${port} got no greeting`)
    seen.push(String(connection.greeting))
    await client.close(connection.conn)
  }
  return seen
}

function countBy (items: string[], key: (item: string) => string): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1
  return counts
}

const backendOf = (greeting: string): string => greeting.split(' ')[0] ?? ''

async function waitForStatus (expected: Record<string, string>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    const { status } = await agent.ctl('/api/status')
    last = status
    if (Object.entries(expected).every(([name, state]) => status[name] === state)) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  assert.fail(`status did not become ${JSON.stringify(expected)} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`)
}

test('round robin spreads 30 connections evenly over the 3 primary outputs; the backup gets none', async () => {
  await waitForStatus({ out1: 'up', out2: 'up', out3: 'up', out4: 'up' })
  const counts = countBy(await greetings(30), backendOf)
  assert.deepEqual(counts, { be1: 10, be2: 10, be3: 10 })
  // HAProxy's healthy start says nothing at warning or above: an operator filtering on them sees only trouble
  assert.deepEqual(agent.process.output().split('\n').filter((line) => /l3lb: (warning|error): haproxy:/.test(line)), [])
})

test('every port and range of ports forwards, each on the port the client used', async () => {
  for (const port of [80, 81, 90, 91, 92, 110, 111]) {
    const [greeting] = await greetings(1, port)
    assert.match(String(greeting), new RegExp(`^be[123] ${port}$`))
  }
  await assert.rejects(client.connect({ host: topology.addresses.lbClientSide, port: 93, timeoutMs: 2000 }), /ECONNREFUSED/)
})

test('a killed back end is marked down, its traffic moves without a failed connection, and it comes back', async () => {
  await backends[1]!.stop()
  // until the checks notice, connections to be2 fail over through retries and redispatch
  const during = await greetings(12)
  assert.ok(during.every((greeting) => !greeting.startsWith('be2')), `be2 is dead but answered: ${during.join(', ')}`)
  await waitForStatus({ out2: 'down' }, 10_000)
  assert.deepEqual(countBy(await greetings(10), backendOf), { be1: 5, be3: 5 })

  backends[1] = await startBackend(topology, 2, { ports: PORTS })
  await waitForStatus({ out2: 'up' }, 10_000)
  assert.deepEqual(countBy(await greetings(30), backendOf), { be1: 10, be2: 10, be3: 10 })
})

test('backup outputs get traffic only once every primary is unavailable', async () => {
  for (const output of ['out1', 'out2']) assert.equal((await agent.ctl(`/api/disable?channel=${output}`)).status.code, 0)
  assert.deepEqual(countBy(await greetings(6), backendOf), { be3: 6 })
  await backends[2]!.stop()
  await waitForStatus({ out3: 'down' }, 10_000)
  assert.deepEqual(countBy(await greetings(6), backendOf), { be4: 6 })

  backends[2] = await startBackend(topology, 3, { ports: PORTS })
  await waitForStatus({ out3: 'up' }, 10_000)
  assert.deepEqual(countBy(await greetings(6), backendOf), { be3: 6 })
  for (const output of ['out1', 'out2']) assert.equal((await agent.ctl(`/api/enable?channel=${output}`)).status.code, 0)
  assert.deepEqual(countBy(await greetings(9), backendOf), { be1: 3, be2: 3, be3: 3 })
})

test('tcp_splice: 512 kB come back intact through spliced responses, after a SIGHUP to off through the buffers, and with more pipes', async () => {
  // 512 kB, no newline inside: the back end echoes it as one line, far past one 16 kB buffer
  const payload = Array.from({ length: 512 * 1024 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 94))).join('')
  const roundTrip = async (): Promise<void> => {
    const connection = await client.connect({ host: topology.addresses.lbClientSide, port: 80, timeoutMs: 5000 })
    const echo = await client.send(connection.conn, payload, 15_000)
    await client.close(connection.conn)
    assert.equal(echo.length, payload.length)
    assert.ok(echo === payload, 'the echo differs from what was sent')
  }
  const config = (): string => readFileSync(join(agent.runtimeDir, 'haproxy.cfg'), 'utf8')
  assert.match(config(), /^\s*option splice-response$/m)
  await roundTrip()

  agent.writeEnv(env + 'tcp_splice=off\n')
  assert.match(await agent.reload(), /properties reloaded .*: reload$/)
  assert.doesNotMatch(config(), /^\s*(option splice-response|maxpipes)/m)
  await roundTrip()

  agent.writeEnv(env)
  assert.match(await agent.reload(), /properties reloaded .*: reload$/)
  assert.match(config(), /^\s*option splice-response$/m)
  assert.match(config(), /^\s*maxpipes 25$/m)

  // with descriptors to spare, a pipe for every fourth session (docs/limits.md)
  agent.writeEnv(env + 'max_connections=1000\n')
  assert.match(await agent.reload(), /properties reloaded .*: reload$/)
  assert.match(config(), /^\s*maxpipes 250$/m)
  await roundTrip()
})
