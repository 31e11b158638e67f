/**
 * (SPEC §14) Checks that see a TCP service, run by HAProxy, for real: an HTTP back end that
 * answers 500 while its port still accepts is taken down by `http` and by `send_expect`
 * (its answer no longer matches), and comes back when it answers 200; the env file's `tcp`
 * connect keeps it up all along. A server added at run time is checked the same way.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RuntimeApi } from '../../../src/haproxy/runtime-api.js'
import { ctlEnv, startAgent, type AgentHandle, writeAgentFiles } from '../../support/agent-driver.js'
import { startBackend } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { waitFor } from '../../support/wait.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let dir: string
let runtime: RuntimeApi

const INTERVAL_S = 1
const FALL = 2
// fall checks a second apart, and a reload's worth of slack
const DOWN_WITHIN_MS = (INTERVAL_S * FALL + 1) * 1000 + 3000

// each back end's status file: what its HTTP answers say
const statusFile = (index: number): string => join(dir, `be${index}.status`)
const answer = (index: number, status: number): void => { writeFileSync(statusFile(index), `${status}\n`) }

async function status (backend: string, server: string): Promise<string> {
  const row = (await runtime.showStat(undefined, null)).find((each) => each.pxname === backend && each.svname === server)
  return (row?.status ?? '').trim()
}

async function waitStatus (backend: string, server: string, wanted: RegExp): Promise<void> {
  await waitFor(`${backend}/${server} ${String(wanted)}`, async () => wanted.test(await status(backend, server)), DOWN_WITHIN_MS, { context: () => agent.process.output().slice(-3000) })
}

async function api (method: string, path: string, body: unknown): Promise<{ status: { code: number, message: string }, applied?: string }> {
  const reply = await client.http(`http://${topology.addresses.lbClientSide}:8080${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: 20_000 })
  assert.equal(reply.status, 200, reply.body)
  return JSON.parse(reply.body)
}

before(async () => {
  topology = await createTopology({ backends: 3 })
  dir = mkdtempSync(join(tmpdir(), 'l3lb-tcp-checks-'))
  for (const index of [1, 2, 3]) await startBackend(topology, index, { ports: '80', httpStatusFile: statusFile(index) })
  client = await startClient(topology)
  const [be1, be2] = topology.addresses.backends
  const checks = `healthcheck_interval=${INTERVAL_S}\nhealthcheck_fall=${FALL}\nhealthcheck_rise=1\nconn_timeout=2\n`
  const env = `mode=tcp_roundrobin\nports=80\nout1=${be1}\nout2=${be2}\n${checks}${ctlEnv(topology)}`
  writeAgentFiles(dir, env, {
    web: `ports=8081\nserver_a=${be1}:80\nserver_b=${be2}:80\n${checks}healthcheck_kind=http\nhealthcheck_http=GET /health 200\n`,
    raw: `ports=8082\nserver_a=${be1}\nserver_b=${be2}\n${checks}healthcheck_port=80\nhealthcheck_kind=send_expect\nhealthcheck_send='GET /raw HTTP/1.0\\r\\n\\r\\n'\nhealthcheck_expect='^HTTP/1\\.[01] 200 '\n`
  })
  agent = await startAgent(topology, client, { env, dir })
  runtime = new RuntimeApi(join(agent.runtimeDir, 'haproxy.sock'))
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  await topology?.destroy()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

test('haproxy.cfg has each service\'s check lines', () => {
  const text = readFileSync(join(agent.runtimeDir, 'haproxy.cfg'), 'utf8')
  assert.match(text, /^backend web\n(?: {2}.*\n)* {2}option httpchk GET \/health\n {2}http-check expect status 200\n/m)
  assert.match(text, /^backend raw\n(?: {2}.*\n)* {2}option tcp-check\n {2}tcp-check send-binary [0-9a-f]+\n {2}tcp-check expect rstring '\^HTTP\/1\\\.\[01\] 200 '\n/m)
})

test('a back end answering 500 while its port accepts: down by http and send_expect, up by tcp; back at 200', async () => {
  for (const [backend, server] of [['web', 'b'], ['raw', 'b'], ['outputs', 'out2']] as const) await waitStatus(backend, server, /^UP/)
  answer(2, 500)
  try {
    await waitStatus('web', 'b', /^DOWN/)
    await waitStatus('raw', 'b', /^DOWN/)
    // its neighbour and the connect check see nothing wrong
    assert.match(await status('web', 'a'), /^UP/)
    assert.match(await status('raw', 'a'), /^UP/)
    assert.match(await status('outputs', 'out2'), /^UP/)
    // the port still accepts: the env file's service still sends sessions there
    const seen = new Set<string>()
    for (let i = 0; i < 6; i++) {
      const reply = await client.http(`http://${topology.addresses.lbClientSide}:80/`, { timeoutMs: 5000 })
      seen.add(reply.body)
    }
    assert.ok(seen.has('be2'), `no session reached be2 through the tcp-checked service: ${[...seen].join(', ')}`)
    // and web sends every request to the one that is up
    for (let i = 0; i < 4; i++) assert.equal((await client.http(`http://${topology.addresses.lbClientSide}:8081/`, { timeoutMs: 5000 })).body, 'be1')
  } finally {
    answer(2, 200)
  }
  await waitStatus('web', 'b', /^UP/)
  await waitStatus('raw', 'b', /^UP/)
})

test('a server added at run time is checked by the backend\'s http check', async () => {
  const be3 = topology.addresses.backends[2] ?? ''
  answer(3, 503)
  try {
    const added = await api('PUT', '/api/services/web/servers/c', { address: be3, port: 80 })
    assert.deepEqual(added, { status: { code: 0, message: 'server c of service web added' }, applied: 'runtime' })
    await waitStatus('web', 'c', /^DOWN/)
    const row = (await runtime.showStat(undefined, null)).find((each) => each.pxname === 'web' && each.svname === 'c')
    assert.match(row?.check_status ?? '', /L7STS/, 'the check that failed is the HTTP one')
  } finally {
    answer(3, 200)
  }
  await waitStatus('web', 'c', /^UP/)
})

test('a change of check kind is a reload, and the new check runs', async () => {
  const be1 = topology.addresses.backends[0] ?? ''
  const be2 = topology.addresses.backends[1] ?? ''
  writeFileSync(join(dir, 'services.d', 'web.env'), `ports=8081\nserver_a=${be1}:80\nserver_b=${be2}:80\nhealthcheck_interval=${INTERVAL_S}\nhealthcheck_fall=${FALL}\nhealthcheck_rise=1\nconn_timeout=2\nhealthcheck_kind=http\nhealthcheck_http=GET /health 204\n`)
  const line = await agent.reload()
  assert.match(line, /properties reloaded/)
  assert.doesNotMatch(line, /: runtime$/)
  // 200 is no longer the status that means up
  await waitStatus('web', 'a', /^DOWN/)
  await waitStatus('web', 'b', /^DOWN/)
})
