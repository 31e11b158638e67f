/**
 * Two load balancers with real keepalived, HAProxy and agents: the service files and the
 * whole admin state follow the active node. A service file added, changed or removed on the
 * active node (and SIGHUP) runs on the standby within 1 s and is in the standby's own
 * services_dir; 300 servers of the longest names disabled on the active node show disabled on the
 * standby (the push is a POST: their keys do not fit a URL); a drain shows draining, and
 * survives the standby's restart; a disable sent to the standby with service= lands on that
 * service's server; a server PUT through the management API on the active node runs on the
 * standby within 1 s, and the standby refuses API changes.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI_PROGRAM, reloadAgent } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createHaTopology, type HaTopology } from '../../support/ha-topology.js'
import type { SpawnedProcess } from '../../support/topology.js'
import { waitFor as waitUntil } from '../../support/wait.js'

type NodeName = 'lb1' | 'lb2'
const TOKEN = 'pair-secret-14'
const SYNC_LIMIT_MS = 1000
// 40 keys of 65 characters: 2.6 kB, more than a ctl URL (2,048) holds. Not 300: HAProxy needs a
// descriptor per server that the agent's limits do not leave it (300 fail to start: a limits bug)
const MANY = 'many-servers-with-very-long-name'
const MANY_SERVERS = 300

let topology: HaTopology
let client: ClientDriver
const dirs = new Map<NodeName, string>()
const agents = new Map<NodeName, SpawnedProcess>()

interface ServiceView { name: string, servers: Array<{ name: string, address: string, admin: string }> }

function envFor (name: NodeName): string {
  const own = topology.addresses[name]
  const peer = topology.addresses[name === 'lb1' ? 'lb2' : 'lb1']
  const [be1, be2] = topology.addresses.backends
  return [
    'mode=tcp_roundrobin', 'ports=80', `out1=${be1}`, `out2=${be2}`, `in_addr=${own}`,
    `ctl_addr=${own}`, 'ctl_port=8080', `ctl_token=${TOKEN}`, `ui_addr=${own}`,
    `ha_vip=${topology.addresses.virtual}`, `ha_interface=${topology.lbInterface}`, `ha_peer=${peer}`,
    `ha_priority=${name === 'lb1' ? 150 : 100}`, 'ha_router_id=44', ''
  ].join('\n')
}

const envFile = (name: NodeName): string => join(dirs.get(name) ?? '', 'l3lb.env')
const servicesDir = (name: NodeName): string => join(dirs.get(name) ?? '', 'services.d')

async function startNode (name: NodeName): Promise<SpawnedProcess> {
  const dir = dirs.get(name) ?? ''
  const child = topology.spawn(topology.names[name], process.execPath, [CLI_PROGRAM, 'start', '--env', envFile(name)], {
    env: { RUNTIME_DIRECTORY: join(dir, 'run'), STATE_DIRECTORY: join(dir, 'state') }
  })
  agents.set(name, child)
  await child.waitForLine(/keepalived running: /, 30_000)
  return child
}

async function stopNode (name: NodeName): Promise<void> {
  await agents.get(name)?.stop(15_000)
  agents.delete(name)
}

async function ctl (name: NodeName, pathAndQuery: string): Promise<{ httpStatus: number, status: Record<string, unknown>, services?: ServiceView[] }> {
  const answer = await client.http(`http://${topology.addresses[name]}:8080${pathAndQuery}`, { headers: { authorization: `Bearer ${TOKEN}` }, timeoutMs: 10_000 })
  return JSON.parse(answer.body) as { status: Record<string, unknown>, services?: ServiceView[] } & { httpStatus: number }
}

async function servicesOn (name: NodeName): Promise<ServiceView[]> {
  return (await ctl(name, '/api/services')).services ?? []
}

async function serviceOn (name: NodeName, service: string): Promise<ServiceView | undefined> {
  return (await servicesOn(name)).find((candidate) => candidate.name === service)
}

function waitFor (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  return waitUntil(what, check, timeoutMs, { intervalMs: 25, context: () => `lb1:\n${agents.get('lb1')?.output().slice(-3000) ?? ''}\nlb2:\n${agents.get('lb2')?.output().slice(-3000) ?? ''}` })
}

/** A service of MANY_SERVERS servers of the longest names (`many-servers-with-very-long-name/a_rather_long_server_name_000001`). */
function manyServersFile (): string {
  const [be1, be2] = topology.addresses.backends
  const lines = Array.from({ length: MANY_SERVERS }, (_, index) => `server_a_rather_long_server_name_${String(index).padStart(6, '0')}=${index % 2 === 0 ? be1 ?? '' : be2 ?? ''}`)
  return `mode=tcp_roundrobin\nports=8090\n${lines.join('\n')}\n`
}

/** Writes a service file on lb1 and reloads it there; resolves with when the reload ended. */
async function changeOnActive (change: () => void): Promise<number> {
  change()
  const child = agents.get('lb1')
  if (child === undefined) throw new Error('lb1 is not running')
  const outcome = await reloadAgent(child)
  assert.match(outcome, /properties reloaded/, child.output().slice(-4000))
  return Date.now()
}

before(async () => {
  topology = await createHaTopology({ backends: 2 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  for (const name of ['lb1', 'lb2'] as const) {
    const dir = mkdtempSync(join(tmpdir(), `l3lb-svcsync-${name}-`))
    dirs.set(name, dir)
    writeFileSync(join(dir, 'l3lb.env'), envFor(name))
    mkdirSync(join(dir, 'services.d'))
    // from the start on both nodes, so that both run it before anything is disabled
    writeFileSync(join(dir, 'services.d', `${MANY}.env`), manyServersFile())
  }
  await startNode('lb1')
  await waitFor('lb1 holds the virtual address', () => topology.holds(topology.names.lb1, topology.addresses.virtual), 15_000)
  const lb2 = await startNode('lb2')
  await lb2.waitForLine(/keepalived: \(l3lb\) Entering BACKUP STATE/, 5000)
})

after(async () => {
  for (const child of agents.values()) await child.stop(15_000).catch(() => undefined)
  await topology?.destroy()
  for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true })
})

test('a new service file on the active node runs on the standby within 1 s and is in the standby\'s folder', async (t) => {
  const [be1, be2] = topology.addresses.backends
  assert.equal(await serviceOn('lb2', 'web'), undefined)
  const reloadedAt = await changeOnActive(() => writeFileSync(join(servicesDir('lb1'), 'web.env'), `# the web service\nmode=tcp_roundrobin\nports=8081\nserver_web1=${be1 ?? ''}\nserver_web2=${be2 ?? ''}\n`))
  await waitFor('lb2 serves web', async () => (await serviceOn('lb2', 'web'))?.servers.length === 2, 5000)
  const took = Date.now() - reloadedAt
  t.diagnostic(`the standby served the new service file ${took} ms after the active node had reloaded`)
  assert.ok(took <= SYNC_LIMIT_MS, `the standby served it after ${took} ms`)
  assert.deepEqual((await serviceOn('lb2', 'web'))?.servers.map((server) => [server.name, server.address]), [['web1', be1], ['web2', be2]])
  await waitFor('lb2\'s folder has web.env', async () => existsSync(join(servicesDir('lb2'), 'web.env')), 2000)
  const written = readFileSync(join(servicesDir('lb2'), 'web.env'), 'utf8')
  assert.match(written, /^mode=tcp_roundrobin$/m)
  assert.match(written, new RegExp(`^server_web2=${(be2 ?? '').replace(/\./g, '\\.')}$`, 'm'))
  // its HAProxy has it, not only its memory
  const config = await topology.exec(topology.names.lb2, 'cat', [join(dirs.get('lb2') ?? '', 'run', 'haproxy.cfg')])
  assert.match(config.stdout, /server web2 /)
  assert.equal((await ctl('lb2', '/api/admin')).status.digest, (await ctl('lb1', '/api/admin')).status.digest)
})

test('a changed service file and a removed one follow within 1 s, in the standby\'s folder too', async (t) => {
  const [be1] = topology.addresses.backends
  const changedAt = await changeOnActive(() => {
    writeFileSync(join(servicesDir('lb1'), 'web.env'), `mode=tcp_roundrobin\nports=8081\nserver_web1=${be1 ?? ''}\nserver_web3=${be1 ?? ''}:8081 weight=3\n`)
    writeFileSync(join(servicesDir('lb1'), 'api.env'), `mode=tcp_leastconn\nports=8082\nserver_api1=${be1 ?? ''}\n`)
  })
  await waitFor('lb2 serves web with web3, and api', async () => {
    const names = (await serviceOn('lb2', 'web'))?.servers.map((server) => server.name).join(',')
    return names === 'web1,web3' && (await serviceOn('lb2', 'api')) !== undefined
  }, 5000)
  t.diagnostic(`changed: ${Date.now() - changedAt} ms`)
  assert.ok(Date.now() - changedAt <= SYNC_LIMIT_MS + 200)
  assert.match(readFileSync(join(servicesDir('lb2'), 'web.env'), 'utf8'), /^server_web3="[0-9.]+:8081 weight=3"$/m)
  const removedAt = await changeOnActive(() => rmSync(join(servicesDir('lb1'), 'api.env')))
  await waitFor('lb2 no longer serves api', async () => (await serviceOn('lb2', 'api')) === undefined, 5000)
  const took = Date.now() - removedAt
  t.diagnostic(`removed: ${took} ms`)
  assert.ok(took <= SYNC_LIMIT_MS, `after ${took} ms`)
  await waitFor('lb2\'s folder has no api.env', async () => !existsSync(join(servicesDir('lb2'), 'api.env')), 2000)
  assert.ok(existsSync(join(servicesDir('lb2'), 'web.env')))
  // the line is logged once the settings are saved too, just after the folder is written: waited for, not read at once
  await waitFor('lb2 logs the removal', async () => /HA sync: runs the active node's settings \(service files: api removed\)/.test(agents.get('lb2')?.output() ?? ''), 2000)
})

test('300 servers of the longest names disabled on the active node show disabled on the standby: the push is a POST', async () => {
  const [be1, be2] = topology.addresses.backends
  assert.equal((await serviceOn('lb2', MANY))?.servers.length, MANY_SERVERS)
  for (const address of [be1, be2]) {
    const answer = await ctl('lb1', `/api/disable?service=${MANY}&address=${address ?? ''}`)
    assert.equal(answer.status.code, 0, JSON.stringify(answer.status).slice(0, 300))
  }
  const disabled = (await ctl('lb1', '/api/admin')).status.disabled as string[]
  assert.equal(disabled.length, MANY_SERVERS)
  assert.ok(`/api/sync?disabled=${disabled.join(',')}`.length > 2048, 'their keys would not fit a URL')
  await waitFor('lb2 has them all disabled', async () => ((await ctl('lb2', '/api/admin')).status.disabled as string[]).length === MANY_SERVERS, 5000)
  assert.deepEqual((await ctl('lb2', '/api/admin')).status.disabled, disabled)
  assert.ok((await serviceOn('lb2', MANY))?.servers.every((server) => server.admin === 'disabled'))
  for (const address of [be1, be2]) assert.equal((await ctl('lb1', `/api/enable?service=${MANY}&address=${address ?? ''}`)).status.code, 0)
  await waitFor('lb2 has them enabled again', async () => ((await ctl('lb2', '/api/admin')).status.disabled as string[]).length === 0, 5000)
})

test('a drain on the active node shows draining on the standby, and survives the standby\'s restart', async () => {
  assert.equal((await ctl('lb1', '/api/drain?service=web&channel=web1')).status.code, 0)
  await waitFor('lb2 drains web/web1', async () => JSON.stringify((await ctl('lb2', '/api/admin')).status.draining) === '["web/web1"]', 5000)
  assert.equal((await serviceOn('lb2', 'web'))?.servers.find((server) => server.name === 'web1')?.admin, 'draining')
  await stopNode('lb2')
  await startNode('lb2')
  assert.equal((await serviceOn('lb2', 'web'))?.servers.find((server) => server.name === 'web1')?.admin, 'draining')
  assert.deepEqual((await servicesOn('lb2')).map((service) => service.name), ['default', MANY, 'web'], 'the restarted standby serves the service files it was given')
  assert.equal((await ctl('lb2', '/api/status')).status.role, 'standby')
})

test('a disable and a drain sent to the standby with service= land on that service\'s server', async () => {
  const disabled = await ctl('lb2', '/api/disable?service=web&channel=web3')
  assert.deepEqual(disabled.status, { code: 0, message: `on the active node http://${topology.addresses.lb1}:8080: web/web3 disabled` })
  assert.deepEqual((await ctl('lb1', '/api/admin')).status.disabled, ['web/web3'])
  assert.deepEqual((await ctl('lb2', '/api/admin')).status.disabled, ['web/web3'])
  // the active node's answer, code and all: web1 drains already
  const again = await ctl('lb2', '/api/drain?service=web&channel=web1')
  assert.equal(again.status.code, 10)
  assert.match(String(again.status.message), /^on the active node .*: nothing changed: web\/web1 already draining or disabled$/)
  assert.equal((await ctl('lb2', '/api/enable?service=web&channel=web1')).status.code, 0)
  assert.equal((await ctl('lb2', '/api/drain?service=web&channel=web1')).status.code, 0)
  assert.deepEqual((await ctl('lb1', '/api/admin')).status.draining, ['web/web1'])
  assert.deepEqual((await ctl('lb2', '/api/admin')).status.draining, ['web/web1'])
})

test('(SPEC §12) a server PUT through the management API on the active node runs on the standby within 1 s; the standby refuses API changes', async (t) => {
  const [, be2] = topology.addresses.backends
  const put = async (name: NodeName, server: string): Promise<{ status: number, body: { status: { code: number, message: string }, applied?: string } }> => {
    const answer = await client.http(`http://${topology.addresses[name]}:8080/api/services/web/servers/${server}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ address: be2, weight: 2 }),
      timeoutMs: 20_000
    })
    return { status: answer.status, body: JSON.parse(answer.body) }
  }
  const answered = await put('lb1', 'web4')
  assert.equal(answered.status, 200, JSON.stringify(answered.body))
  const at = Date.now()
  await waitFor('lb2 serves web4', async () => (await serviceOn('lb2', 'web'))?.servers.some((server) => server.name === 'web4') === true, 5000)
  const took = Date.now() - at
  t.diagnostic(`the standby served the server the API added ${took} ms after the active node answered`)
  assert.ok(took <= SYNC_LIMIT_MS, `after ${took} ms`)
  await waitFor('lb2\'s folder has web4', async () => /^server_web4=/m.test(readFileSync(join(servicesDir('lb2'), 'web.env'), 'utf8')), 2000)
  const refused = await put('lb2', 'web5')
  assert.equal(refused.status, 400)
  assert.match(refused.body.status.message, /standby/)
  assert.doesNotMatch(readFileSync(join(servicesDir('lb1'), 'web.env'), 'utf8'), /server_web5=/)
})

test('a standby that does not answer holds no ctl call on the active node: the push after a SIGHUP runs beside the change queue', async (t) => {
  const standby = agents.get('lb2')
  if (standby === undefined) throw new Error('lb2 is not running')
  // its agent stopped, its ctl port still takes connections: every push to it waits for the sync's timeout (1 s)
  process.kill(standby.pid, 'SIGSTOP')
  let took: number
  try {
    await changeOnActive(() => undefined)
    const started = Date.now()
    const answer = await ctl('lb1', '/api/disable?service=web&channel=web1')
    took = Date.now() - started
    assert.equal(answer.status.code, 0, JSON.stringify(answer.status))
  } finally {
    process.kill(standby.pid, 'SIGCONT')
  }
  t.diagnostic(`a disable right after a SIGHUP, the standby not answering: answered in ${took} ms`)
  assert.ok(took < 500, `the disable waited ${took} ms behind the SIGHUP's push`)
  // the standby catches up once it answers again
  const web1On = async (name: NodeName): Promise<string | undefined> => (await serviceOn(name, 'web'))?.servers.find((server) => server.name === 'web1')?.admin
  await waitFor('lb2 has web1 disabled', async () => await web1On('lb2') === 'disabled', 5000)
  assert.equal((await ctl('lb1', '/api/enable?service=web&channel=web1')).status.code, 0)
  await waitFor('lb2 has web1 enabled again', async () => await web1On('lb2') !== 'disabled', 5000)
})
