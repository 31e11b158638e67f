/**
 * Counters per service and server (SPEC §11) for real: `/api/counters?service=` beside the
 * seed's document, totals kept across a SIGHUP reload and a restart of the agent, `/metrics`
 * labelled service and server, a 404 for an unknown service, and UDP services' flows counted
 * per server, two services sharing a server address apart.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let dir: string
let env: string

type Counters = Readonly<Record<string, number>>

function webFile (fall: number): string {
  const [, be2, be3] = topology.addresses.backends
  return `ports=8081\nserver_w1=${be2}:80\nserver_w2=${be3}:80\nhealthcheck_interval=1\nhealthcheck_fall=${fall}\n`
}

before(async () => {
  topology = await createTopology({ backends: 3 })
  await startBackends(topology, { ports: '80,5060,6000', udp: true })
  client = await startClient(topology)
  const [be1, be2] = topology.addresses.backends
  dir = mkdtempSync(join(tmpdir(), 'l3lb-counters-services-'))
  env = `mode=tcp_roundrobin\nports=80\nout1=${be1}\nhealthcheck_interval=1\n${ctlEnv(topology)}`
  writeFileSync(join(dir, 'l3lb.env'), env)
  mkdirSync(join(dir, 'services.d'))
  writeFileSync(join(dir, 'services.d', 'web.env'), webFile(2))
  writeFileSync(join(dir, 'services.d', 'sip.env'), `mode=udp_roundrobin\nports=5060\nserver_a=${be1}\nserver_b=${be2}\nhealthcheck_interval=0\n`)
  // shares sip/a's address: its flows must not count as sip's
  writeFileSync(join(dir, 'services.d', 'media.env'), `mode=udp_roundrobin\nports=7000\nserver_x=${be1}:6000\nhealthcheck_interval=0\n`)
  agent = await startAgent(topology, client, { env, dir })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  await topology?.destroy()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

async function get (path: string): Promise<{ status: number, body: string }> {
  const answer = await client.http(`http://${topology.addresses.lbClientSide}:8080${path}`, { timeoutMs: 5000 })
  return { status: answer.status, body: answer.body }
}

async function counters (service?: string): Promise<Counters> {
  const answer = await get(service === undefined ? '/api/counters' : `/api/counters?service=${service}`)
  assert.equal(answer.status, 200, answer.body)
  const document = JSON.parse(answer.body) as { group: string, service?: string, counters: Counters }
  assert.equal(document.group, 'L3LB')
  assert.equal(document.service, service)
  return document.counters
}

async function until (service: string, what: string, check: (c: Counters) => boolean, timeoutMs = 10_000): Promise<Counters> {
  const deadline = Date.now() + timeoutMs
  let last: Counters | null = null
  while (Date.now() < deadline) {
    last = await counters(service)
    if (check(last)) return last
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  assert.fail(`${what} did not happen within ${timeoutMs} ms; counters: ${JSON.stringify(last)}`)
}

/** One completed connection to `port`: the back end that greeted it. */
async function connection (port: number): Promise<string> {
  const opened = await client.connect({ host: topology.addresses.lbClientSide, port, timeoutMs: 5000 })
  assert.equal(opened.pending, false, `no greeting on port ${port}`)
  await client.close(opened.conn)
  return String(opened.greeting).split(' ')[0] ?? ''
}

test('a TCP service\'s document: its servers in its file\'s order, sessions_total per server as the connections went', async () => {
  await until('web', 'both servers up', (c) => c.w1_status === 0 && c.w2_status === 0)
  const greeted: Record<string, number> = {}
  for (let i = 0; i < 6; i++) {
    const backend = await connection(8081)
    greeted[backend] = (greeted[backend] ?? 0) + 1
  }
  assert.deepEqual(greeted, { be2: 3, be3: 3 })
  const c = await until('web', '6 completed sessions', (c) => c.sessions_total === 6 && c.sessions_active === 0)
  assert.deepEqual([c.w1_sessions_total, c.w2_sessions_total], [greeted.be2, greeted.be3])
  assert.deepEqual(Object.keys(c), [
    ...['w1', 'w2'].flatMap((server) => ['status', 'queue', 'queue_max', 'sessions', 'sessions_max', 'sessions_total', 'errors'].map((name) => `${server}_${name}`)),
    'queue', 'queue_max', 'sessions_active', 'sessions_max', 'sessions_total', 'errors'
  ])
  assert.equal(c.sessions_max, (c.w1_sessions_max ?? 0) + (c.w2_sessions_max ?? 0))
  // the seed's document is as it was, and named when asked for
  assert.equal(await connection(80), 'be1')
  const seed = await until('default', 'out1\'s session', (c) => c.sessions_total === 1)
  assert.deepEqual([seed.out1_status, seed.out1_sessions_total], [0, 1], 'the web service\'s sessions are not the seed\'s')
  const plain = await counters()
  assert.deepEqual(plain, seed)
  assert.equal(Object.keys(plain).length, 8 * 7 + 6)
})

test('404 for an unknown service, naming those that exist', async () => {
  const answer = await get('/api/counters?service=nope')
  assert.equal(answer.status, 404)
  assert.deepEqual(JSON.parse(answer.body), { status: { code: 100, message: 'unknown service "nope": expected default or one of the service files\' (media, sip, web)' } })
})

test('a service\'s totals are kept across a SIGHUP reload and a restart of the agent', async () => {
  const before = await counters('web')
  writeFileSync(join(dir, 'services.d', 'web.env'), webFile(3))
  assert.match(await agent.reload(), /: reload$/)
  let after = await counters('web')
  for (const name of ['w1_sessions_total', 'w2_sessions_total', 'sessions_total', 'w1_sessions_max']) assert.equal(after[name], before[name], `${name} after the reload`)
  await connection(8081)
  after = await until('web', 'one more session', (c) => c.sessions_total === (before.sessions_total ?? 0) + 1)
  await agent.stop()
  agent = await agent.restart()
  const restarted = await until('web', 'both servers up after the restart', (c) => c.w1_status === 0 && c.w2_status === 0)
  for (const name of ['w1_sessions_total', 'w2_sessions_total', 'sessions_total', 'w2_sessions_max']) assert.equal(restarted[name], after[name], `${name} after the restart`)
})

test('/metrics: every server of every service labelled service and server, beside the seed\'s metrics', async () => {
  const web = await counters('web')
  const answer = await get('/metrics')
  assert.equal(answer.status, 200)
  const value = (line: string): number => Number(answer.body.split('\n').find((candidate) => candidate.startsWith(`${line} `))?.split(' ')[1])
  assert.equal(value('l3lb_server_sessions_total{service="web",server="w1"}'), web.w1_sessions_total)
  assert.equal(value('l3lb_server_sessions_total{service="web",server="w2"}'), web.w2_sessions_total)
  assert.equal(value('l3lb_server_status{service="default",server="out1"}'), 0)
  assert.equal(value('l3lb_service_sessions_total{service="web"}'), web.sessions_total)
  assert.equal(value('l3lb_output_status{output="out1"}'), 0, 'the seed\'s metric is still there')
  assert.equal(value('l3lb_server_status{service="sip",server="a"}'), 0)
  assert.doesNotMatch(answer.body, /l3lb_server_sessions_total\{service="sip"/, 'a UDP service has no totals')
})

test('UDP services: flows counted per server, two services sharing a server address apart', async () => {
  const flows = async (port: number, firstPort: number, count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const reply = await client.udp({ host: topology.addresses.lbClientSide, port, payload: 'ping', timeoutMs: 2000, localPort: firstPort + i })
      assert.notEqual(reply, null, `no answer on port ${port}`)
    }
  }
  await flows(5060, 41000, 4)
  await flows(7000, 42000, 3)
  const sip = await until('sip', '4 flows', (c) => c.sessions_active === 4)
  assert.deepEqual([sip.a_sessions, sip.b_sessions, sip.a_sessions_max], [2, 2, 2])
  for (const absent of ['a_queue', 'a_sessions_total', 'queue', 'sessions_total']) assert.equal(sip[absent], undefined, absent)
  const media = await counters('media')
  assert.deepEqual([media.x_sessions, media.sessions_active], [3, 3])
})
