import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { OutputMember } from '../../../src/ctl/answer.js'
import { parseShowStat, type Row } from '../../../src/haproxy/parse.js'
import { sendCommand } from '../../../src/haproxy/socket-client.js'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { backendsGreeting } from '../../support/traffic.js'
import { waitFor } from '../../support/wait.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let env: string

const TOKEN = 'ctl-secret-42'

before(async () => {
  topology = await createTopology({ backends: 3, ipv6: true })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  const [be1, be2] = topology.addresses.backends
  const be3 = topology.addresses.backends6[2]
  env = `ports=80\nout1=${be1}\nout2=${be2}\nout3=${be3}\nout5=${be1}\nhealthcheck_interval=1\nctl_token=${TOKEN}\n` + ctlEnv(topology)
  agent = await startAgent(topology, client, { env })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology?.destroy()
})

const AUTH = { authorization: `Bearer ${TOKEN}` }

async function ctl (pathAndQuery: string): Promise<{ httpStatus: number, status: Record<string, unknown> }> {
  return await agent.ctl(pathAndQuery, AUTH)
}

/** Which back ends answer 9 new connections in a row. */
async function backendsInUse (): Promise<Set<string>> {
  return new Set(await backendsGreeting(client, topology.addresses.lbClientSide, 9))
}

async function statusWhenUp (): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const { status } = await ctl('/api/status')
    if (Object.entries(status).every(([name, value]) => !name.startsWith('out') || value === 'up') || Date.now() > deadline) return status
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

test('status lists every connected, enabled output as up', async () => {
  assert.deepEqual(await statusWhenUp(), { code: 0, message: '', out1: 'up', out2: 'up', out3: 'up', out5: 'up' })
})

test('without the token every request is refused with code 100', async () => {
  const refused: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }]
  for (const headers of refused) {
    const { httpStatus, status } = await agent.ctl('/api/disable?channel=out1', headers)
    assert.equal(httpStatus, 401)
    assert.equal(status.code, 100)
    assert.doesNotMatch(String(status.message), new RegExp(TOKEN))
  }
  assert.equal((await ctl('/api/status')).status.out1, 'up', 'a refused request changed nothing')
})

test('disable and enable by channel: 0 when done, 10 when already so, traffic follows at once', async () => {
  assert.deepEqual((await ctl('/api/disable?channel=out2')).status, { code: 0, message: 'out2 disabled' })
  assert.equal((await ctl('/api/disable?channel=out2')).status.code, 10)
  assert.equal((await ctl('/api/status')).status.out2, undefined, 'a disabled output is not in status')
  assert.equal((await backendsInUse()).has('be2'), false)
  assert.deepEqual((await ctl('/api/enable?channel=out2')).status, { code: 0, message: 'out2 enabled' })
  assert.equal((await ctl('/api/enable?channel=out2')).status.code, 10)
  assert.equal((await backendsInUse()).has('be2'), true)
})

test('disable by address matches every output on that address, IPv4 and IPv6 in any spelling', async () => {
  const be1 = topology.addresses.backends[0]
  assert.deepEqual((await ctl(`/api/disable?${be1}`)).status, { code: 0, message: 'out1, out5 disabled' })
  assert.deepEqual(await backendsInUse(), new Set(['be2', 'be3']))
  assert.equal((await ctl(`/api/enable?${be1}`)).status.code, 0)

  const be3 = String(topology.addresses.backends6[2])
  const spelled = encodeURIComponent(`[${be3.replace('::', ':0::').toUpperCase()}]`)
  assert.deepEqual((await ctl(`/api/disable?${spelled}`)).status, { code: 0, message: 'out3 disabled' })
  assert.equal((await ctl(`/api/enable?${be3}`)).status.code, 0)
})

test('nothing matches: code 10; not connected out4: code 10; bad requests: code 100, the agent stays up', async () => {
  assert.equal((await ctl('/api/disable?198.18.99.99')).status.code, 10)
  assert.equal((await ctl('/api/disable?channel=out4')).status.code, 10)
  for (const bad of ['/api/disable?channel=out9', '/api/disable', '/api/enable?channel=', '/api/disable?300.1.1.1', '/api/disable?%E0%A4%A', '/api/nothing', `/api/status?${'x'.repeat(5000)}`]) {
    const { httpStatus, status } = await ctl(bad)
    assert.equal(status.code, 100, bad)
    assert.ok(httpStatus >= 400, `${bad} answered HTTP ${httpStatus}`)
    assert.equal(typeof status.message, 'string')
  }
  const post = await client.http(`http://${topology.addresses.lbClientSide}:8080/api/disable?channel=out1`, { method: 'POST', headers: AUTH })
  assert.equal(JSON.parse(post.body).status.code, 100)
  assert.equal((await statusWhenUp()).out1, 'up')
})

test('a disabled output stays disabled across a reload, a HAProxy crash and an agent restart', async () => {
  assert.equal((await ctl('/api/disable?channel=out2')).status.code, 0)
  const saved = JSON.parse(readFileSync(join(agent.stateDir, 'admin-state.json'), 'utf8'))
  assert.deepEqual(saved.disabled, ['out2'])

  agent.writeEnv(env.replace('healthcheck_interval=1', 'healthcheck_interval=2'))
  assert.match(await agent.reload(), /: reload$/)
  assert.equal((await ctl('/api/status')).status.out2, undefined)
  assert.equal((await backendsInUse()).has('be2'), false)

  // the supervisor brings a killed HAProxy back with the same disabled outputs
  const pid = Number(readFileSync(join(agent.runtimeDir, 'haproxy.pid'), 'utf8').trim())
  process.kill(pid, 'SIGKILL')
  await agent.process.waitForLine(/HAProxy restarted/, 15_000)
  assert.equal((await backendsInUse()).has('be2'), false)

  await agent.stop()
  agent = await agent.restart()
  assert.equal((await ctl('/api/status')).status.out2, undefined)
  assert.equal((await backendsInUse()).has('be2'), false)
  assert.equal((await ctl('/api/enable?channel=out2')).status.code, 0)
  assert.equal((await backendsInUse()).has('be2'), true)
})

/** out1's row in HAProxy's `show stat`, read on the agent's stats socket. */
async function out1Row (): Promise<Row> {
  const row = parseShowStat(await sendCommand(join(agent.runtimeDir, 'haproxy.sock'), 'show stat', 2000)).find((candidate) => candidate.svname === 'out1')
  if (row === undefined) throw new Error('no outputs/out1 row in show stat')
  return row
}

test('right after enable an output is coming back, not failing its checks', async () => {
  // checks every 60 s: a new worker checks out1, the first server, at once, then not for a minute
  agent.writeEnv(env.replace('healthcheck_interval=1', 'healthcheck_interval=60'))
  assert.match(await agent.reload(), /: reload$/)
  await waitFor('out1 checked by the new worker', async () => (await out1Row()).check_status === 'L4OK', 5000)
  assert.equal((await ctl('/api/disable?channel=out1')).status.code, 0)
  assert.equal((await ctl('/api/enable?channel=out1')).status.code, 0)
  // HAProxy 2.6 puts a server leaving maintenance at `UP 1/3` until its next check, the last one passed
  const row = await out1Row()
  assert.deepEqual([row.status, row.check_status], ['UP 1/3', 'L4OK'])
  const answer = await client.http(`http://${topology.addresses.lbClientSide}:8080/api/outputs`, { headers: AUTH })
  const outputs = (JSON.parse(answer.body) as { outputs: OutputMember[] }).outputs
  assert.deepEqual(outputs.filter((output) => output.name === 'out1').map((output) => [output.state, output.reason]), [['up', 'coming back: its next check confirms it']])
  const { table, json } = await agent.cliStatus()
  assert.doesNotMatch(table, /checks failing/)
  assert.match(table, /^out1 is up, coming back: its next check confirms it$/m)
  assert.equal(json.outputs.find((output) => output.name === 'out1')?.reason, 'coming back: its next check confirms it')
})
