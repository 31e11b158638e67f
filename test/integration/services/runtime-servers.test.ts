/**
 * (SPEC §12) A service file's TCP servers changed at SIGHUP without a reload, for real: a
 * server added serves within a second from the same HAProxy worker and survives a later
 * reload with its admin state; a weight change shows in the traffic; a server removed with a
 * session open takes no new one, keeps that one to its end, is listed as removing, then is
 * gone; a change HAProxy cannot make at run time still reloads.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RuntimeApi } from '../../../src/haproxy/runtime-api.js'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { waitFor } from '../../support/wait.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let dir: string
let runtime: RuntimeApi

const PORT = 8081

// the web service's file: its properties, then its servers as `name=target options`
function webFile (servers: Readonly<Record<string, string>>, properties = '', serverTimeout = 60): string {
  return `ports=${PORT}\nhealthcheck_interval=1\nserver_timeout=${serverTimeout}\n${properties}${Object.entries(servers).map(([name, line]) => `server_${name}=${line}\n`).join('')}`
}

async function sighupWith (text: string): Promise<string> {
  writeFileSync(join(dir, 'services.d', 'web.env'), text)
  return await agent.reload()
}

async function workerPid (): Promise<number | null> {
  return (await runtime.statWithWorker()).workerPid
}

async function greetedBy (): Promise<string> {
  const connection = await client.connect({ host: topology.addresses.lbClientSide, port: PORT, timeoutMs: 5000 })
  assert.equal(connection.pending, false, 'no greeting')
  await client.close(connection.conn)
  return String(connection.greeting).split(' ')[0] ?? ''
}

async function webRow (server: string): Promise<Readonly<Record<string, string>> | undefined> {
  return (await runtime.showStat(undefined, null)).find((row) => row.pxname === 'web' && row.svname === server)
}

/** A session held on the server behind greeter `by` (be1, be2, …); bounded: at most 40 tries. */
async function heldOn (by: string): Promise<number> {
  for (let tries = 0; tries < 40; tries++) {
    const connection = await client.connect({ host: topology.addresses.lbClientSide, port: PORT, timeoutMs: 5000 })
    if (String(connection.greeting).startsWith(`${by} `)) return connection.conn
    await client.close(connection.conn)
  }
  assert.fail(`no session reached ${by}`)
}

interface ServicesAnswer { services: Array<{ name: string, servers: Array<{ name: string, admin: string }>, removing?: Array<{ name: string, state: string, sessions: number, address: string, port: number | null }> }> }

async function web (): Promise<ServicesAnswer['services'][number] | undefined> {
  const answer = JSON.parse((await client.http(`http://${topology.addresses.lbClientSide}:8080/api/services`, { timeoutMs: 5000 })).body) as ServicesAnswer
  return answer.services.find((service) => service.name === 'web')
}

before(async () => {
  topology = await createTopology({ backends: 3 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  dir = mkdtempSync(join(tmpdir(), 'l3lb-runtime-servers-'))
  const [be1, be2] = topology.addresses.backends
  const env = `mode=tcp_roundrobin\nports=80\nout1=${be1 ?? ''}\n${ctlEnv(topology)}`
  writeFileSync(join(dir, 'l3lb.env'), env)
  mkdirSync(join(dir, 'services.d'))
  writeFileSync(join(dir, 'services.d', 'web.env'), webFile({ a: `${be1 ?? ''}:80`, b: `${be2 ?? ''}:80` }))
  agent = await startAgent(topology, client, { env, dir })
  runtime = new RuntimeApi(join(agent.runtimeDir, 'haproxy.sock'))
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  await topology?.destroy()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

test('a server added at SIGHUP: no reload, the same worker, connections reach it within a second, the file has it', async () => {
  const [be1, be2, be3] = topology.addresses.backends
  const worker = await workerPid()
  assert.ok(worker !== null)
  const line = await sighupWith(webFile({ a: `${be1 ?? ''}:80`, b: `${be2 ?? ''}:80`, c: `${be3 ?? ''}:80 maxconn=50` }))
  const added = Date.now()
  assert.match(line, /properties reloaded .*: runtime$/)
  let seen = false
  // bounded: a second, and at most 60 connections
  for (let tries = 0; tries < 60 && !seen && Date.now() - added < 1000; tries++) seen = await greetedBy() === 'be3'
  assert.ok(seen, 'no connection reached the new server within a second')
  assert.equal(await workerPid(), worker, 'HAProxy\'s worker changed')
  assert.match(readFileSync(join(agent.runtimeDir, 'haproxy.cfg'), 'utf8'), /^ {2}server c \S+:80 weight 1 maxconn 50$/m)
  const row = await webRow('c')
  assert.equal(row?.slim, '50', 'its maxconn, given at run time')
  assert.equal(row?.chkfail !== undefined && row.check_status !== '', true, 'its checks run')
})

test('a weight changed at SIGHUP: the new proportion shows in the traffic, no new worker', async () => {
  const [be1, be2, be3] = topology.addresses.backends
  const worker = await workerPid()
  assert.match(await sighupWith(webFile({ a: `${be1 ?? ''}:80`, b: `${be2 ?? ''}:80 weight=4`, c: `${be3 ?? ''}:80 maxconn=50` })), /: runtime$/)
  const counts: Record<string, number> = {}
  // bounded: 36 connections, six rounds of 1 + 4 + 1
  for (let round = 0; round < 36; round++) {
    const name = await greetedBy()
    counts[name] = (counts[name] ?? 0) + 1
  }
  assert.deepEqual(counts, { be1: 6, be2: 24, be3: 6 })
  assert.equal((await webRow('b'))?.weight, '4')
  assert.equal(await workerPid(), worker)
})

test('a change HAProxy cannot make at run time reloads; the server added at run time keeps its admin state across it', async () => {
  const [be1, be2, be3] = topology.addresses.backends
  assert.deepEqual((await agent.ctl('/api/disable?service=web&channel=c')).status, { code: 0, message: 'web/c disabled' })
  const worker = await workerPid()
  assert.match(await sighupWith(webFile({ a: `${be1 ?? ''}:80`, b: `${be2 ?? ''}:80 weight=4`, c: `${be3 ?? ''}:80 maxconn=50` }, 'client_timeout=33\n')), /: reload$/)
  assert.notEqual(await workerPid(), worker, 'a reload starts a new worker')
  assert.equal((await webRow('c'))?.status, 'MAINT')
  assert.equal((await webRow('b'))?.weight, '4')
  assert.deepEqual((await agent.ctl('/api/enable?service=web&channel=c')).status, { code: 0, message: 'web/c enabled' })
})

test('a server removed with a session open: no new one at once, the open one works to its end, listed as removing, then gone; no reload', async () => {
  const [be1, be2] = topology.addresses.backends
  // a session on c: bounded, at most 30 tries
  let held: number | null = null
  for (let tries = 0; tries < 30 && held === null; tries++) {
    const connection = await client.connect({ host: topology.addresses.lbClientSide, port: PORT, timeoutMs: 5000 })
    if (String(connection.greeting).startsWith('be3 ')) held = connection.conn
    else await client.close(connection.conn)
  }
  assert.ok(held !== null, 'no session reached c')
  const worker = await workerPid()
  assert.match(await sighupWith(webFile({ a: `${be1 ?? ''}:80`, b: `${be2 ?? ''}:80 weight=4` }, 'client_timeout=33\n')), /: runtime$/)
  assert.doesNotMatch(readFileSync(join(agent.runtimeDir, 'haproxy.cfg'), 'utf8'), /server c /)
  for (let round = 0; round < 10; round++) assert.notEqual(await greetedBy(), 'be3', 'a new connection went to the removed server')
  assert.equal(await client.send(held, 'still here\n'), 'still here')
  const listed = await web()
  assert.deepEqual(listed?.removing?.map(({ name, state, sessions }) => ({ name, state, sessions })), [{ name: 'c', state: 'removing', sessions: 1 }])
  assert.deepEqual(listed?.servers.map((server) => server.name), ['a', 'b'])
  assert.equal((await webRow('c'))?.scur, '1', 'HAProxy still has it, with its session')
  await client.close(held)
  // bounded: 5 s for the 500 ms poll to delete it
  const deadline = Date.now() + 5000
  while (await webRow('c') !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  assert.equal(await webRow('c'), undefined, 'the removed server is still in show stat')
  assert.deepEqual((await web())?.removing, [])
  assert.equal(await workerPid(), worker)
})

test('a server re-added under its name while still removing: a reload, which keeps the old session in the old worker; a re-address is a runtime change', async () => {
  const [be1, be2, be3] = topology.addresses.backends
  const servers = { a: `${be1 ?? ''}:80`, b: `${be2 ?? ''}:80 weight=4` }
  assert.match(await sighupWith(webFile({ ...servers, c: `${be3 ?? ''}:80` }, 'client_timeout=33\n')), /: runtime$/)
  let held: number | null = null
  for (let tries = 0; tries < 30 && held === null; tries++) {
    const connection = await client.connect({ host: topology.addresses.lbClientSide, port: PORT, timeoutMs: 5000 })
    if (String(connection.greeting).startsWith('be3 ')) held = connection.conn
    else await client.close(connection.conn)
  }
  assert.ok(held !== null, 'no session reached c')
  assert.match(await sighupWith(webFile(servers, 'client_timeout=33\n')), /: runtime$/)
  assert.equal((await web())?.removing?.length, 1)
  const worker = await workerPid()
  assert.match(await sighupWith(webFile({ ...servers, c: `${be3 ?? ''}:80` }, 'client_timeout=33\n')), /: reload$/)
  assert.notEqual(await workerPid(), worker)
  assert.deepEqual((await web())?.removing, [])
  assert.equal(await client.send(held, 'old worker\n'), 'old worker')
  await client.close(held)
  // c moves to be1's address: set server addr, the same worker, and its saved state line says the new address
  const moved = await workerPid()
  assert.match(await sighupWith(webFile({ ...servers, c: `${be1 ?? ''}:80` }, 'client_timeout=33\n')), /: runtime$/)
  assert.equal(await workerPid(), moved)
  assert.equal((await webRow('c'))?.addr, `${be1 ?? ''}:80`)
  const saved = readFileSync(join(agent.runtimeDir, 'server-state'), 'utf8').split('\n').find((row) => / web \d+ c /.test(row))
  assert.match(saved ?? '', new RegExp(` c ${(be1 ?? '').replaceAll('.', '\\.')} `))
})

test('servers being removed across a reload: the worker before it keeps their sessions, and /api/services lists them removing with those until they end there', async () => {
  const [be1, be2, be3] = topology.addresses.backends
  // (runtime after the tests before; a reload when this one runs alone)
  assert.match(await sighupWith(webFile({ a: `${be1 ?? ''}:80`, b: `${be2 ?? ''}:80 weight=4`, c: `${be3 ?? ''}:80` }, 'client_timeout=33\n')), /: (runtime|reload)$/)
  // a session on b and one on c
  const held = new Map([['be2', await heldOn('be2')], ['be3', await heldOn('be3')]])
  // c removed at run time: the current worker keeps its session
  assert.match(await sighupWith(webFile({ a: `${be1 ?? ''}:80`, b: `${be2 ?? ''}:80 weight=4` }, 'client_timeout=33\n')), /: runtime$/)
  const worker = await workerPid()
  // then a property that reloads, and b gone with it: both sessions go on in the worker before the reload
  assert.match(await sighupWith(webFile({ a: `${be1 ?? ''}:80` }, 'client_timeout=34\n')), /: reload$/)
  assert.notEqual(await workerPid(), worker, 'a reload starts a new worker')
  const listed = await web()
  assert.deepEqual(listed?.removing?.map(({ name, state, sessions }) => ({ name, state, sessions })).sort((x, y) => x.name.localeCompare(y.name)), [
    { name: 'b', state: 'removing', sessions: 1 },
    { name: 'c', state: 'removing', sessions: 1 }
  ])
  assert.deepEqual(listed?.servers.map((server) => server.name), ['a'])
  for (const [by, conn] of held) assert.equal(await client.send(conn, `${by} still here\n`), `${by} still here`)
  for (let round = 0; round < 5; round++) assert.equal(await greetedBy(), 'be1', 'a new connection went to a removed server')
  // each gone within 5 s of its session's end: the old worker is looked at every 2 s
  const removing = async (): Promise<string> => JSON.stringify((await web())?.removing?.map(({ name, sessions }) => [name, sessions]))
  await client.close(held.get('be3') ?? -1)
  await waitFor('c gone, b still removing', async () => await removing() === '[["b",1]]', 5000, { intervalMs: 100 })
  await client.close(held.get('be2') ?? -1)
  await waitFor('b gone too', async () => await removing() === '[]', 5000, { intervalMs: 100 })
})

test('a server being removed when the agent dies: the agent that adopts HAProxy finds it, lists it removing, and deletes it once its session ends; no reload', async () => {
  const [be1, be2] = topology.addresses.backends
  // (a reload when this one runs alone, or after the test before's client_timeout)
  await sighupWith(webFile({ a: `${be1 ?? ''}:80`, b: `${be2 ?? ''}:80 weight=4` }, 'client_timeout=34\n'))
  const held = await heldOn('be2')
  assert.match(await sighupWith(webFile({ a: `${be1 ?? ''}:80` }, 'client_timeout=34\n')), /: runtime$/)
  const worker = await workerPid()
  process.kill(agent.process.pid, 'SIGKILL')
  await agent.process.exited
  agent = await agent.restart()
  assert.match(agent.process.output(), /adopted/)
  assert.equal(await workerPid(), worker, 'the adopting agent reloaded')
  assert.deepEqual((await web())?.removing?.map(({ name, sessions }) => [name, sessions]), [['b', 1]])
  assert.equal((await webRow('b'))?.status, 'MAINT')
  for (let round = 0; round < 5; round++) assert.equal(await greetedBy(), 'be1', 'a new connection went to the removed server')
  assert.equal(await client.send(held, 'still here\n'), 'still here')
  await client.close(held)
  await waitFor('b deleted from HAProxy (the 500 ms poll)', async () => await webRow('b') === undefined, 5000, { intervalMs: 100 })
  assert.deepEqual((await web())?.removing, [])
  assert.equal(await workerPid(), worker)
})

test('servers handed to the worker before a reload when the agent dies: the agent that adopts HAProxy finds them there, lists them removing, and shuts their sessions at server_timeout counted from then', async () => {
  const [be1, be2] = topology.addresses.backends
  await sighupWith(webFile({ a: `${be1 ?? ''}:80`, b: `${be2 ?? ''}:80 weight=4` }, 'client_timeout=35\n', 4))
  const held = await heldOn('be2')
  // kept busy from here on (HAProxy's own server_timeout counts idle time only); bounded: it stops with the session or the test
  const done = new AbortController()
  const keptBusy = (async () => {
    while (!done.signal.aborted && await client.send(held, 'busy\n', 2000).then(() => true, () => false)) await new Promise((resolve) => setTimeout(resolve, 250))
  })()
  try {
    // b out with a property that reloads: its session goes on in the worker before the reload
    assert.match(await sighupWith(webFile({ a: `${be1 ?? ''}:80` }, 'client_timeout=36\n', 4)), /: reload$/)
    const worker = await workerPid()
    process.kill(agent.process.pid, 'SIGKILL')
    await agent.process.exited
    agent = await agent.restart()
    const adoptedAt = Date.now()
    assert.match(agent.process.output(), /adopted/)
    assert.equal(await workerPid(), worker, 'the adopting agent reloaded')
    assert.deepEqual((await web())?.removing?.map(({ name, sessions, address, port }) => [name, sessions, address, port]), [['b', 1, be2, 80]])
    for (let round = 0; round < 5; round++) assert.equal(await greetedBy(), 'be1', 'a new connection went to the removed server')
    // shut once the deadline is seen (the old worker is looked at every 2 s); bounded: 10 s
    let endedAt: number | null = null
    while (endedAt === null && Date.now() - adoptedAt < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      endedAt = await client.send(held, 'still\n', 2000).then(() => null, () => Date.now())
    }
    assert.ok(endedAt !== null, 'the session outlived its server_timeout after the adoption by 6 s')
    assert.ok(endedAt - adoptedAt >= 2500, `the session ended ${endedAt - adoptedAt} ms after the adoption, before its server_timeout`)
    await waitFor('b no longer listed', async () => JSON.stringify((await web())?.removing) === '[]', 5000, { intervalMs: 100 })
  } finally {
    done.abort()
    await keptBusy
    await client.close(held).catch(() => undefined)
  }
})
