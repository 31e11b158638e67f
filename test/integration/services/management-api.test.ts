/**
 * The management API (SPEC §12) for real: services and servers created, changed and removed
 * over HTTP on a running agent, written to the service files, applied at once, kept across
 * a SIGHUP and a restart; refused changes leave the file's bytes and what runs as they were;
 * concurrent calls all land.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { waitFor } from '../../support/wait.js'
import { RuntimeApi } from '../../../src/haproxy/runtime-api.js'

const TOKEN = 'api-token'
const AUTH = { authorization: `Bearer ${TOKEN}` }
const WEB_FILE = (be1: string, be2: string): string => `# the web tier: kept by hand\nports=8081\nserver_a=${be1}:80\nserver_b=${be2}:80\n`

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let dir: string
let webFile: string

/** The pid of HAProxy's worker now, read on the agent's stats socket (a new pid is a reload). */
async function workerPid (): Promise<number | null> {
  return (await new RuntimeApi(join(agent.runtimeDir, 'haproxy.sock')).statWithWorker()).workerPid
}

before(async () => {
  topology = await createTopology({ backends: 3 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  const [be1, be2] = topology.addresses.backends as [string, string, string]
  dir = mkdtempSync(join(tmpdir(), 'l3lb-api-'))
  const env = `mode=tcp_roundrobin\nports=80\nout1=${be1}\nctl_token=${TOKEN}\n${ctlEnv(topology)}`
  writeFileSync(join(dir, 'l3lb.env'), env)
  mkdirSync(join(dir, 'services.d'))
  webFile = join(dir, 'services.d', 'web.env')
  writeFileSync(webFile, WEB_FILE(be1, be2))
  agent = await startAgent(topology, client, { env, dir })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  await client?.stop().catch(() => undefined)
  await topology?.destroy()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

interface ApiAnswer {
  readonly httpStatus: number
  readonly allow: string | undefined
  readonly body: { status: { code: number, message: string }, applied?: string, service?: Record<string, unknown>, state?: { servers: Array<{ name: string, admin: string }> } }
}

async function api (method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH): Promise<ApiAnswer> {
  const answer = await client.http(`http://${topology.addresses.lbClientSide}:8080${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    timeoutMs: 30_000
  })
  const allow = answer.headers.allow
  return { httpStatus: answer.status, allow: Array.isArray(allow) ? allow.join(', ') : allow, body: JSON.parse(answer.body) as ApiAnswer['body'] }
}

/** The back end that greets a new connection to `port`, or null when none answers. */
async function greetedBy (port: number): Promise<string | null> {
  const connection = await client.connect({ host: topology.addresses.lbClientSide, port, timeoutMs: 3000 }).catch(() => null)
  if (connection === null || connection.pending) return null
  await client.close(connection.conn)
  return String(connection.greeting).split(' ')[0] ?? ''
}

async function greeters (port: number, count: number): Promise<Set<string | null>> {
  const seen = new Set<string | null>()
  for (let n = 0; n < count; n++) seen.add(await greetedBy(port))
  return seen
}

test('PUT of a server: it serves within a second, the file has it with its comment kept, and it stays across a SIGHUP and a restart', async () => {
  const be3 = topology.addresses.backends[2]!
  const worker = await workerPid()
  const put = await api('PUT', '/api/services/web/servers/c', { address: be3, port: 80, weight: 2 })
  assert.equal(put.httpStatus, 200, JSON.stringify(put.body))
  assert.deepEqual(put.body.status, { code: 0, message: 'server c of service web added' })
  assert.equal(put.body.applied, 'runtime')
  await waitFor('be3 greets through web', async () => (await greeters(8081, 4)).has('be3'), 1000, { intervalMs: 10 })
  assert.equal(await workerPid(), worker, 'HAProxy\'s worker changed: a reload')
  const text = readFileSync(webFile, 'utf8')
  assert.match(text, /^# the web tier: kept by hand$/m)
  assert.match(text, new RegExp(`^server_c=${be3.replaceAll('.', '\\.')}:80 weight=2$`, 'm'))
  // the same again: nothing to do
  const again = await api('PUT', '/api/services/web/servers/c', { address: be3, port: 80, weight: 2 })
  assert.equal(again.body.status.code, 10, again.body.status.message)
  assert.equal(again.body.applied, 'none')

  assert.match(await agent.reload(), /nothing changed/)
  assert.ok((await greeters(8081, 4)).has('be3'))
  await agent.stop()
  agent = await agent.restart()
  assert.ok((await greeters(8081, 4)).has('be3'))
})

test('a refused body: code 100 naming the field, HTTP 400, and the file\'s bytes and what runs unchanged', async () => {
  const bytes = readFileSync(webFile)
  const cases: Array<[unknown, RegExp]> = [
    [{ address: '198.18.9.9', weight: '3' }, /^weight: "3" is not accepted: give a JSON number/],
    [{ address: '198.18.9.9', weight: 300 }, /^servers\.d: "weight=300" is not accepted: weight is a whole number from 0 to 256/],
    [{ address: '198.18.9.9', colour: 'blue' }, /^colour: is not accepted: the members accepted are address, port, weight, maxconn, backup/],
    [{ port: 80 }, /^address: is missing/],
    ['{"address": ', /JSON/]
  ]
  for (const [body, message] of cases) {
    const refused = await api('PUT', '/api/services/web/servers/d', body)
    assert.equal(refused.httpStatus, 400, JSON.stringify(body))
    assert.equal(refused.body.status.code, 100)
    assert.match(refused.body.status.message, message)
  }
  const badService = await api('PUT', '/api/services/web', { ports: '8081-8080', servers: { a: { address: topology.addresses.backends[0] } } })
  assert.equal(badService.httpStatus, 400)
  assert.match(badService.body.status.message, /^ports: "8081-8080"/)
  // another service's port: both named
  const overlap = await api('PUT', '/api/services/clash', { ports: '8081', servers: { a: { address: topology.addresses.backends[0] } } })
  assert.equal(overlap.httpStatus, 400)
  assert.match(overlap.body.status.message, /service (web|clash) .* and service (clash|web) .* both listen on TCP port 8081/)
  assert.match(overlap.body.status.message, /service clash/)
  assert.match(overlap.body.status.message, /service web/)
  assert.equal(existsSync(join(dir, 'services.d', 'clash.env')), false)
  assert.deepEqual(readFileSync(webFile), bytes)
  assert.equal(await greetedBy(8081) !== null, true)
})

test('unknown service or server: 404; default is the env file\'s; no token: 401; a wrong method: 405 with Allow', async () => {
  assert.equal((await api('PUT', '/api/services/nosuch/servers/a', { address: '198.18.9.9' })).httpStatus, 404)
  assert.equal((await api('DELETE', '/api/services/web/servers/nosuch')).httpStatus, 404)
  assert.equal((await api('DELETE', '/api/services/nosuch')).httpStatus, 404)
  assert.equal((await api('GET', '/api/services/nosuch')).httpStatus, 404)
  const fixed = await api('PUT', '/api/services/default/servers/out2', { address: '198.18.9.9' })
  assert.equal(fixed.httpStatus, 400)
  assert.match(fixed.body.status.message, /service default is the env file's/)
  const unnamed = await api('PUT', '/api/services/..%2Fl3lb', { servers: {} })
  assert.equal(unnamed.httpStatus, 400)
  assert.match(unnamed.body.status.message, /^name: "\.\.\/l3lb" is not accepted as a service name/)
  const noToken = await api('PUT', '/api/services/web/servers/d', { address: '198.18.9.9' }, {})
  assert.equal(noToken.httpStatus, 401)
  const patch = await api('PATCH', '/api/services/web', { ports: '1' })
  assert.equal(patch.httpStatus, 405)
  assert.equal(patch.allow, 'GET, PUT, DELETE')
  assert.doesNotMatch(readFileSync(webFile, 'utf8'), /server_d=/)
})

test('a whole service: PUT creates it and it serves, GET gives back what PUT takes, DELETE removes it and its file', async () => {
  const [be1, be2] = topology.addresses.backends as [string, string, string]
  const body = { mode: 'tcp_leastconn', ports: '8090', healthcheck_interval: 1, servers: { x: { address: be1, port: 80 }, y: { address: be2, port: 80, weight: 3, maxconn: 50, backup: false } } }
  const created = await api('PUT', '/api/services/shop', body)
  assert.equal(created.httpStatus, 200, created.body.status.message)
  assert.equal(created.body.status.message, 'service shop created')
  await waitFor('shop serves', async () => (await greetedBy(8090)) !== null, 2000)
  const got = await api('GET', '/api/services/shop')
  assert.equal(got.httpStatus, 200)
  assert.deepEqual(got.body.service, {
    mode: 'tcp_leastconn',
    ports: '8090',
    healthcheck_interval: 1,
    servers: { x: { address: be1, port: 80, weight: 1, maxconn: null, backup: false }, y: { address: be2, port: 80, weight: 3, maxconn: 50, backup: false } }
  })
  assert.deepEqual(got.body.state?.servers.map((server) => [server.name, server.admin]), [['x', 'enabled'], ['y', 'enabled']])
  // what GET gave, PUT back: nothing changes
  const same = await api('PUT', '/api/services/shop', got.body.service)
  assert.equal(same.body.status.code, 10, same.body.status.message)

  const removed = await api('DELETE', '/api/services/shop')
  assert.deepEqual(removed.body.status, { code: 0, message: 'service shop removed' })
  assert.equal(existsSync(join(dir, 'services.d', 'shop.env')), false)
  await waitFor('shop no longer serves', async () => (await greetedBy(8090)) === null, 3000)
  assert.equal((await api('GET', '/api/services/shop')).httpStatus, 404)
})

test('DELETE of a server with a session open: new connections avoid it at once, the session works to its end, then the server is gone; no reload', async () => {
  let held: number | null = null
  for (let tries = 0; tries < 30 && held === null; tries++) {
    const connection = await client.connect({ host: topology.addresses.lbClientSide, port: 8081, timeoutMs: 3000 })
    if (String(connection.greeting).startsWith('be3 ')) held = connection.conn
    else await client.close(connection.conn)
  }
  assert.ok(held !== null, 'no session reached c')
  const worker = await workerPid()
  const removed = await api('DELETE', '/api/services/web/servers/c')
  assert.deepEqual(removed.body, { status: { code: 0, message: 'server c of service web removed' }, applied: 'runtime' })
  assert.doesNotMatch(readFileSync(webFile, 'utf8'), /server_c=/)
  assert.equal((await greeters(8081, 8)).has('be3'), false, 'a new connection went to the removed server')
  assert.equal(await client.send(held, 'still here\n'), 'still here')
  const listed = await api('GET', '/api/services/web')
  assert.deepEqual((listed.body.state as { removing?: Array<{ name: string, sessions: number }> }).removing?.map(({ name, sessions }) => [name, sessions]), [['c', 1]])
  await client.close(held)
  await waitFor('c is gone', async () => ((await api('GET', '/api/services/web')).body.state as { removing?: unknown[] }).removing?.length === 0, 5000)
  assert.equal(await workerPid(), worker, 'HAProxy\'s worker changed: a reload')
})

test('20 concurrent PUTs of servers all land, in the file and in what runs', async () => {
  const be3 = topology.addresses.backends[2]!
  const names = Array.from({ length: 20 }, (_, index) => `n${index}`)
  const answers = await Promise.all(names.map((name) => api('PUT', `/api/services/web/servers/${name}`, { address: be3, port: 80 })))
  assert.deepEqual(answers.map((answer) => answer.body.status.code), names.map(() => 0), answers.map((answer) => answer.body.status.message).join('; '))
  const text = readFileSync(webFile, 'utf8')
  for (const name of names) assert.match(text, new RegExp(`^server_${name}=`, 'm'))
  const got = await api('GET', '/api/services/web')
  assert.deepEqual(Object.keys(got.body.service?.servers as object).sort(), ['a', 'b', ...names].sort())
  assert.ok((await greeters(8081, 10)).has('be3'))
})

test('DELETE of a service with a session open: the session goes on in the worker before the reload, and ends at the service\'s server_timeout, not at hard-stop-after', async () => {
  const [be1] = topology.addresses.backends as [string, string, string]
  const created = await api('PUT', '/api/services/brief', { ports: '8093', server_timeout: 3, servers: { x: { address: be1, port: 80 } } })
  assert.equal(created.httpStatus, 200, created.body.status.message)
  await waitFor('brief serves', async () => (await greetedBy(8093)) !== null, 2000)
  const held = await client.connect({ host: topology.addresses.lbClientSide, port: 8093, timeoutMs: 3000 })
  assert.equal(held.pending, false, 'no greeting')
  const removedAt = Date.now()
  assert.deepEqual((await api('DELETE', '/api/services/brief')).body.status, { code: 0, message: 'service brief removed' })
  assert.equal(await greetedBy(8093), null, 'brief still takes new connections')
  // kept busy (HAProxy's own server_timeout counts idle time only): alive at once, shut once the deadline is seen (the old worker is looked at every 2 s); bounded: 10 s
  assert.equal(await client.send(held.conn, 'on after the DELETE\n', 2000), 'on after the DELETE')
  let endedAt: number | null = null
  while (endedAt === null && Date.now() - removedAt < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    endedAt = await client.send(held.conn, 'still\n', 2000).then(() => null, () => Date.now())
  }
  await client.close(held.conn).catch(() => undefined)
  assert.ok(endedAt !== null, 'the session outlived the service\'s server_timeout by 7 s')
  assert.ok(endedAt - removedAt >= 2500, `the session ended ${endedAt - removedAt} ms after the DELETE, before its server_timeout`)
})
