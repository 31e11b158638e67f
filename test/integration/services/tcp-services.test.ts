/**
 * Virtual services (SPEC §11) for real: the agent serves the env file's service (`default`)
 * and TCP service files beside it, each with its own frontend and backend in one HAProxy.
 * Weights spread connections in their proportions; tcp_leastconn gives a new connection to
 * the server with fewer open sessions; tcp_source keeps each client on its server; a service
 * translates IPv4 clients to IPv6 servers and the other way round; a bad service file at
 * SIGHUP keeps every service running and the log names the file.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI_PROGRAM, ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let dir: string

function serviceFiles (): Record<string, string> {
  const [be1, be2, be3, be4] = topology.addresses.backends
  const [six1, six2] = topology.addresses.backends6
  return {
    // weights 1:1:2, every server on port 80 whatever port the client used
    web: `ports=8081\nserver_a=${be1}:80\nserver_b=${be2}:80\nserver_c=${be3}:80 weight=2\nhealthcheck_interval=1\n`,
    least: `mode=tcp_leastconn\nports=8082\nserver_a=${be1}:80\nserver_b=${be2}:80\n`,
    sticky: `mode=tcp_source\nports=8083\nserver_c=${be3}:80\nserver_d=${be4}:80\n`,
    // the LoadMaster seed's 4-to-6: IPv4 clients, IPv6 servers, and the other way round
    'four-to-six': `ports=8084\nin_addr=${topology.addresses.lbClientSide}\nserver_a=[${six1}]:80\nserver_b=[${six2}]:80\n`,
    'six-to-four': `ports=8085\nin_addr=${topology.addresses.lbClientSide6 ?? ''}\nserver_a=${be1}:80\nserver_b=${be2}:80\n`
  }
}

before(async () => {
  topology = await createTopology({ backends: 4, ipv6: true, clientAddresses: 6 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  const [be1, be2] = topology.addresses.backends
  dir = mkdtempSync(join(tmpdir(), 'l3lb-services-'))
  const env = `mode=tcp_roundrobin\nports=80\nout1=${be1}\nout2=${be2}\n${ctlEnv(topology)}`
  writeFileSync(join(dir, 'l3lb.env'), env)
  mkdirSync(join(dir, 'services.d'))
  for (const [name, text] of Object.entries(serviceFiles())) writeFileSync(join(dir, 'services.d', `${name}.env`), text)
  // not service files: an editor's backup and a package manager's leftover
  writeFileSync(join(dir, 'services.d', 'web.env~'), 'this is not read\n')
  writeFileSync(join(dir, 'services.d', 'web.env.dpkg-old'), 'nor this\n')
  agent = await startAgent(topology, client, { env, dir })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  await topology?.destroy()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** The back end that greets a new connection to `port` (from `localAddress`, over `host`). */
async function greetedBy (port: number, options: { host?: string, localAddress?: string } = {}): Promise<string> {
  const connection = await client.connect({ host: options.host ?? topology.addresses.lbClientSide, port, localAddress: options.localAddress, timeoutMs: 5000 })
  assert.equal(connection.pending, false, `no greeting on port ${port}`)
  await client.close(connection.conn)
  return String(connection.greeting).split(' ')[0] ?? ''
}

function countOf (names: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1
  return counts
}

test('every service and the env file\'s own serve side by side; l3lb check lists the files it read', async () => {
  assert.match(agent.process.output(), /service files: four-to-six \(tcp_roundrobin, 2 servers\), least \(tcp_leastconn, 2 servers\), six-to-four \(tcp_roundrobin, 2 servers\), sticky \(tcp_source, 2 servers\), web \(tcp_roundrobin, 3 servers\)/)
  assert.deepEqual(countOf([await greetedBy(80), await greetedBy(80)]), { be1: 1, be2: 1 })
  for (const port of [8081, 8082, 8083, 8084]) assert.match(await greetedBy(port), /^be[1-4]$/, `port ${port}`)
  const { stdout } = await topology.exec(topology.names.lb, process.execPath, [CLI_PROGRAM, 'check', '--env', join(dir, 'l3lb.env')])
  assert.match(stdout, /services\.d\/web\.env: valid \(service web, mode tcp_roundrobin, 3 server\(s\)\)/)
  assert.doesNotMatch(stdout, /dpkg-old|env~/)
})

test('weights 1:1:2 spread 400 connections within 10 % of 100:100:200', async () => {
  const seen: string[] = []
  for (let i = 0; i < 400; i++) seen.push(await greetedBy(8081))
  const counts = countOf(seen)
  for (const [backend, expected] of [['be1', 100], ['be2', 100], ['be3', 200]] as const) {
    const got = counts[backend] ?? 0
    assert.ok(Math.abs(got - expected) <= expected * 0.1, `${backend} got ${got} of 400, expected ${expected} ± 10 %: ${JSON.stringify(counts)}`)
  }
})

test('tcp_leastconn: a new connection goes to the server with fewer open sessions', async () => {
  const held = await Promise.all([0, 1, 2, 3].map(async () => await client.connect({ host: topology.addresses.lbClientSide, port: 8082, timeoutMs: 5000 })))
  const on = (backend: string): number[] => held.filter((connection) => String(connection.greeting).startsWith(`${backend} `)).map((connection) => connection.conn)
  assert.deepEqual([on('be1').length, on('be2').length], [2, 2], 'four held connections are spread evenly')
  // be1's sessions end: it has none and be2 two, so the next two both go to be1 (round robin would alternate)
  for (const conn of on('be1')) await client.close(conn)
  await new Promise((resolve) => setTimeout(resolve, 300))
  const next = await Promise.all([0, 1].map(async () => await client.connect({ host: topology.addresses.lbClientSide, port: 8082, timeoutMs: 5000 })))
  assert.deepEqual(next.map((connection) => String(connection.greeting).split(' ')[0]), ['be1', 'be1'])
  for (const conn of [...on('be2'), ...next.map((connection) => connection.conn)]) await client.close(conn)
})

test('tcp_source per service: each client address keeps its server, and the clients use both', async () => {
  const first = new Map<string, string>()
  for (const address of topology.addresses.client) first.set(address, await greetedBy(8083, { localAddress: address }))
  for (const address of topology.addresses.client) {
    for (let i = 0; i < 3; i++) assert.equal(await greetedBy(8083, { localAddress: address }), first.get(address), `client ${address} changed server`)
  }
  assert.deepEqual(new Set(first.values()), new Set(['be3', 'be4']), `six clients all on one server: ${JSON.stringify([...first])}`)
})

test('IPv4 clients to IPv6 servers, and IPv6 clients to IPv4 servers', async () => {
  assert.deepEqual(new Set([await greetedBy(8084), await greetedBy(8084)]), new Set(['be1', 'be2']))
  const six = topology.addresses.lbClientSide6 ?? ''
  const local6 = topology.addresses.client6[0]
  assert.deepEqual(new Set([await greetedBy(8085, { host: six, localAddress: local6 }), await greetedBy(8085, { host: six, localAddress: local6 })]), new Set(['be1', 'be2']))
  // each listens where its in_addr says only
  await assert.rejects(client.connect({ host: six, port: 8084, localAddress: local6, timeoutMs: 2000 }), /ECONNREFUSED/)
})

test('ctl per service: a channel of one service, an address in every service or in one, status per service; kept across a SIGHUP', async () => {
  const be2 = topology.addresses.backends[1]
  const spread = async (port: number): Promise<Set<string>> => {
    const seen = new Set<string>()
    for (let i = 0; i < 8; i++) seen.add(await greetedBy(port))
    return seen
  }
  assert.deepEqual((await agent.ctl('/api/disable?service=web&channel=a')).status, { code: 0, message: 'web/a disabled' })
  assert.deepEqual(await spread(8081), new Set(['be2', 'be3']), 'web/a still gets connections')
  assert.deepEqual(await spread(80), new Set(['be1', 'be2']), 'the env file\'s out1 has the same address, and must not follow')
  assert.deepEqual((await agent.ctl('/api/status?service=web')).status, { code: 0, message: '', b: 'up', c: 'up' })
  // /api/services: every service, its servers with their admin state and health; a disabled one keeps its last verdict
  const answer = JSON.parse((await client.http(`http://${topology.addresses.lbClientSide}:8080/api/services`, { timeoutMs: 5000 })).body) as { services: Array<{ name: string, mode: string, ports: string, servers: Array<Record<string, unknown>> }> }
  assert.deepEqual(answer.services.map((service) => [service.name, service.mode, service.ports]), [
    ['default', 'tcp_roundrobin', '80'], ['four-to-six', 'tcp_roundrobin', '8084'], ['least', 'tcp_leastconn', '8082'],
    ['six-to-four', 'tcp_roundrobin', '8085'], ['sticky', 'tcp_source', '8083'], ['web', 'tcp_roundrobin', '8081']
  ])
  const web = answer.services.find((service) => service.name === 'web')
  assert.deepEqual(web?.servers.map(({ name, port, weight, role, admin, health }) => ({ name, port, weight, role, admin, health })), [
    { name: 'a', port: 80, weight: 1, role: 'primary', admin: 'disabled', health: 'up' },
    { name: 'b', port: 80, weight: 1, role: 'primary', admin: 'enabled', health: 'up' },
    { name: 'c', port: 80, weight: 2, role: 'primary', admin: 'enabled', health: 'up' }
  ])
  assert.ok(web?.servers.every((server) => typeof server.sessions === 'number'))
  assert.deepEqual((await agent.ctl('/api/disable?service=web&channel=a')).status, { code: 10, message: 'nothing changed: web/a already disabled' })
  assert.deepEqual((await agent.ctl('/api/disable?service=web&channel=z')).status, { code: 10, message: 'nothing changed: service web has no server z' })
  assert.deepEqual((await agent.ctl('/api/status?service=nope')).httpStatus, 404)
  // a machine gone bad: its address, taken out of every service at once
  assert.deepEqual((await agent.ctl(`/api/disable?${be2 ?? ''}`)).status, { code: 0, message: 'out2, least/b, six-to-four/b, web/b disabled' })
  assert.deepEqual(await spread(80), new Set(['be1']))
  assert.deepEqual(await spread(8081), new Set(['be3']))
  // one service only
  assert.deepEqual((await agent.ctl(`/api/enable?service=web&address=${be2 ?? ''}`)).status, { code: 0, message: 'web/b enabled' })
  assert.deepEqual(await spread(8081), new Set(['be2', 'be3']))
  assert.deepEqual(await spread(80), new Set(['be1']), 'out2 stays disabled')
  // kept across a SIGHUP (the file and the server state carry it)
  assert.match(await agent.reload(), /properties reloaded .*: nothing changed/)
  assert.deepEqual(await spread(8081), new Set(['be2', 'be3']))
  assert.deepEqual((await agent.ctl(`/api/enable?${be2 ?? ''}`)).status, { code: 0, message: 'out2, least/b, six-to-four/b enabled' })
  assert.deepEqual((await agent.ctl('/api/enable?service=web&channel=a')).status, { code: 0, message: 'web/a enabled' })
  assert.deepEqual(await spread(8081), new Set(['be1', 'be2', 'be3']))
  // the command line: --service on disable and status; status shows every service after the outputs
  const cli = async (...args: string[]): Promise<string> => (await topology.exec(topology.names.lb, process.execPath, [CLI_PROGRAM, ...args, '--env', join(dir, 'l3lb.env')])).stdout
  assert.equal(await cli('disable', 'a', '--service', 'web'), '0 web/a disabled')
  assert.match(await cli('status', '--service', 'web'), /^service web: tcp_roundrobin, ports 8081, every address\nSERVER +ADDRESS +WEIGHT +ROLE +ADMIN +HEALTH +SESSIONS\na +198\.18\.1\.2:80 +1 +primary +disabled +up +\d+\n/)
  const all = await cli('status')
  assert.match(all, /^OUTPUT +ADDRESS/)
  assert.match(all, /\nservice sticky: tcp_source, ports 8083, every address\n/)
  assert.equal(await cli('enable', 'a', '--service', 'web'), '0 web/a enabled')
})

test('drain: sessions on the server finish, new ones avoid it, tcp_source clients stuck to it included; enable ends it', async () => {
  // a session held on web/b (be2)
  const held: number[] = []
  let onB: number | undefined
  for (let i = 0; i < 8 && onB === undefined; i++) {
    const connection = await client.connect({ host: topology.addresses.lbClientSide, port: 8081, timeoutMs: 5000 })
    if (String(connection.greeting).startsWith('be2 ')) onB = connection.conn
    else held.push(connection.conn)
  }
  for (const conn of held) await client.close(conn)
  assert.ok(onB !== undefined, 'no connection landed on web/b')
  assert.deepEqual((await agent.ctl('/api/drain?service=web&channel=b')).status, { code: 0, message: 'web/b draining' })
  assert.deepEqual((await agent.ctl('/api/drain?service=web&channel=b')).status, { code: 10, message: 'nothing changed: web/b already draining or disabled' })
  const fresh = new Set<string>()
  for (let i = 0; i < 8; i++) fresh.add(await greetedBy(8081))
  assert.deepEqual(fresh, new Set(['be1', 'be3']), 'a new session went to the draining server')
  assert.equal(await client.send(onB, 'still here'), 'still here', 'the draining server\'s session was cut')
  await client.close(onB)
  assert.deepEqual((await agent.ctl('/api/status?service=web')).status, { code: 0, message: '', a: 'up', c: 'up' })
  const services = JSON.parse((await client.http(`http://${topology.addresses.lbClientSide}:8080/api/services`, { timeoutMs: 5000 })).body) as { services: Array<{ name: string, servers: Array<{ name: string, admin: string }> }> }
  assert.equal(services.services.find((service) => service.name === 'web')?.servers.find((server) => server.name === 'b')?.admin, 'draining')
  assert.deepEqual((await agent.ctl('/api/enable?service=web&channel=b')).status, { code: 0, message: 'web/b enabled' })
  const back = new Set<string>()
  for (let i = 0; i < 8; i++) back.add(await greetedBy(8081))
  assert.deepEqual(back, new Set(['be1', 'be2', 'be3']))

  // tcp_source: the clients stuck to a draining server go elsewhere at their next connection
  const stuck = new Map<string, string>()
  for (const address of topology.addresses.client) stuck.set(address, await greetedBy(8083, { localAddress: address }))
  const onC = [...stuck].filter(([, backend]) => backend === 'be3').map(([address]) => address)
  assert.ok(onC.length > 0, `no client stuck to sticky/c: ${JSON.stringify([...stuck])}`)
  assert.deepEqual((await agent.ctl('/api/drain?service=sticky&channel=c')).status, { code: 0, message: 'sticky/c draining' })
  for (const address of onC) assert.equal(await greetedBy(8083, { localAddress: address }), 'be4', `client ${address} stayed on the draining server`)
  assert.deepEqual((await agent.ctl('/api/enable?service=sticky&channel=c')).status, { code: 0, message: 'sticky/c enabled' })
  // the command line's drain
  const cli = async (...args: string[]): Promise<string> => (await topology.exec(topology.names.lb, process.execPath, [CLI_PROGRAM, ...args, '--env', join(dir, 'l3lb.env')])).stdout
  assert.equal(await cli('drain', 'c', '--service', 'sticky'), '0 sticky/c draining')
  assert.match(await cli('status', '--service', 'sticky'), /\nc +\S+ +1 +primary +draining /)
  assert.equal(await cli('enable', 'c', '--service', 'sticky'), '0 sticky/c enabled')
})

test('a bad service file at SIGHUP keeps every service running, and the log names the file', async () => {
  const before = agent.process.output().length
  writeFileSync(join(dir, 'services.d', 'broken.env'), 'ports=8086\nserver_a=198.18.1.2 weight=9000\nctl_port=1\n')
  const line = await agent.reload()
  assert.match(line, /reload refused/)
  const log = agent.process.output().slice(before)
  assert.match(log, /services\.d\/broken\.env: server_a: "weight=9000" is not accepted/)
  assert.match(log, /services\.d\/broken\.env: ctl_port: "ctl_port" is a node property: it belongs in the env file/)
  for (const port of [80, 8081, 8082, 8083, 8084]) assert.match(await greetedBy(port), /^be[1-4]$/, `port ${port} stopped serving`)
  await assert.rejects(client.connect({ host: topology.addresses.lbClientSide, port: 8086, timeoutMs: 2000 }), /ECONNREFUSED/)
  // mended, it is served at the next SIGHUP, and a removed file's service stops
  writeFileSync(join(dir, 'services.d', 'broken.env'), `ports=8086\nserver_a=${topology.addresses.backends[3] ?? ''}:80\n`)
  rmSync(join(dir, 'services.d', 'least.env'))
  // a server that moves: HAProxy's saved server state must not keep its old address
  const [be1, be2, be3, be4] = topology.addresses.backends
  writeFileSync(join(dir, 'services.d', 'web.env'), `ports=8081\nserver_a=${be4 ?? ''}:80\nserver_b=${be2 ?? ''}:80\nserver_c=${be3 ?? ''}:80 weight=2\nhealthcheck_interval=1\n`)
  assert.match(await agent.reload(), /properties reloaded .*: reload/)
  assert.equal(await greetedBy(8086), 'be4')
  const web: string[] = []
  for (let i = 0; i < 8; i++) web.push(await greetedBy(8081))
  assert.deepEqual(new Set(web), new Set(['be2', 'be3', 'be4']), `server_a did not move from ${be1 ?? ''} to ${be4 ?? ''}: ${web.join(' ')}`)
  await assert.rejects(client.connect({ host: topology.addresses.lbClientSide, port: 8082, timeoutMs: 2000 }), /ECONNREFUSED/)
})
