/**
 * The HAProxy path's files after an admin change (haproxy-path.ts): haproxy.cfg in the change,
 * the server-state file once the changes pause, and before a dead HAProxy is started again.
 * A fake supervisor and runtime API stand in for HAProxy; `true` stands in for `haproxy -c`.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import type { RuntimeApi } from '../../../src/haproxy/runtime-api.js'
import type { HaproxySupervisor } from '../../../src/haproxy/supervisor.js'
import { HaproxyPath, STATE_FILE_LATEST_MS, STATE_FILE_QUIET_MS } from '../../../src/reconcile/haproxy-path.js'
import { desiredState, withDraining, withEnabled, type DesiredState } from '../../../src/state/desired.js'
import { stateFrom, stateWithServices, propertiesFrom } from '../../support/fixtures.js'

const HEADER = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state'
const ADMIN_CODE = { ready: 0, maint: 1, drain: 8 } as const
const roots: string[] = []

after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

/** A path on a fake HAProxy whose servers' admin state the runtime API keeps; `reloads` may be made to fail. */
function fakePath (): { path: HaproxyPath, restart: () => void, failReloads: () => void } {
  const admin = new Map<string, keyof typeof ADMIN_CODE>([['out1', 'ready'], ['out2', 'ready']])
  const stateText = (): string => `${HEADER}\n${[...admin].map(([server, level], i) => `2 outputs ${i + 1} ${server} 198.18.${i + 1}.2 2 ${ADMIN_CODE[level]}`).join('\n')}\n`
  let prepareRestart = (): void => undefined
  let reloadFails = false
  const supervisor = {
    master: { running: false, reload: async () => { if (reloadFails) throw new Error('reload refused (test)') } },
    adopt: async () => false,
    start: async () => { supervisor.master.running = true },
    stop: async () => { supervisor.master.running = false },
    beforeRestart: (prepare: () => void) => { prepareRestart = prepare }
  }
  const runtime = {
    setServerState: async (_backend: string, server: string, level: keyof typeof ADMIN_CODE) => { admin.set(server, level) },
    setServerStateAndShow: async (_backend: string, server: string, level: keyof typeof ADMIN_CODE) => { admin.set(server, level); return stateText() },
    serversStateText: async () => stateText()
  }
  const path = new HaproxyPath({
    supervisor: supervisor as unknown as HaproxySupervisor,
    runtime: runtime as unknown as RuntimeApi,
    log: { info: () => undefined, error: () => undefined },
    binary: 'true'
  })
  return { path, restart: () => { prepareRestart() }, failReloads: () => { reloadFails = true } }
}

/** A seed state with two outputs, its folders made. */
function seedState (): DesiredState {
  const state = stateFrom('out1=198.18.1.2\nout2=198.18.2.2\n')
  for (const file of [state.paths.configFile, state.paths.lastGoodConfigFile]) mkdirSync(dirname(file), { recursive: true })
  roots.push(dirname(dirname(state.paths.configFile)))
  return state
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
const read = (file: string): string => readFileSync(file, 'utf8')
const disabledLine = /^\s*server out2 \S+ .*\bdisabled\b/m

/** A started path with out2 disabled, its server-state file written whole (the first admin change has nothing to build on). */
async function startedWithOut2Disabled (): Promise<{ path: HaproxyPath, restart: () => void, failReloads: () => void, state: DesiredState }> {
  const fake = fakePath()
  const started = seedState()
  assert.equal(await fake.path.apply(started), 'start')
  const state = withEnabled(started, ['out2'], false)
  assert.equal(await fake.path.apply(state), 'runtime')
  // the config file in the call: a change that cannot be written is refused (faults/config-faults)
  assert.match(read(state.paths.configFile), disabledLine)
  assert.match(read(state.paths.serverStateFile), / out2 198\.18\.2\.2 2 1$/m)
  return { ...fake, state }
}

test('after an admin change the server-state file is held in memory, and written once the changes pause', async () => {
  const { path, state } = await startedWithOut2Disabled()
  const stateBefore = read(state.paths.serverStateFile)
  assert.equal(await path.apply(withDraining(state, ['out1'])), 'runtime')
  assert.equal(read(state.paths.serverStateFile), stateBefore, 'the server-state file was written in the ctl call')
  await sleep(STATE_FILE_QUIET_MS + 150)
  assert.match(read(state.paths.serverStateFile), / out1 198\.18\.1\.2 2 8$/m)
})

test('admin changes that keep coming: the server-state file is written at the latest STATE_FILE_LATEST_MS after the first', async () => {
  const { path, state: disabled } = await startedWithOut2Disabled()
  let state = disabled
  // each write renames a new file over the old one: a new inode
  const inode = (): number => statSync(state.paths.serverStateFile).ino
  const before = inode()
  const first = Date.now()
  let writtenAt = Infinity
  // a change every 40 ms never leaves STATE_FILE_QUIET_MS of quiet
  while (Date.now() - first < STATE_FILE_LATEST_MS * 3 && writtenAt === Infinity) {
    state = withDraining(state, state.draining.has('out1') ? [] : ['out1'])
    await path.apply(state)
    if (inode() !== before) writtenAt = Date.now()
    await sleep(40)
  }
  assert.ok(writtenAt - first < STATE_FILE_LATEST_MS + 1000, `the server-state file not written ${writtenAt - first} ms after the first change`)
})

test('a HAProxy started again after a crash finds the admin change in the server-state file', async () => {
  const { path, restart, state } = await startedWithOut2Disabled()
  await path.apply(withDraining(state, ['out1']))
  restart()
  assert.match(read(state.paths.serverStateFile), / out1 198\.18\.1\.2 2 8$/m)
})

test('a reload that fails after an admin change puts back the file with the admin change in it', async () => {
  const { path, failReloads, state } = await startedWithOut2Disabled()
  // a drain first: the text in force is not rendered again for it
  const drained = withDraining(state, ['out1'])
  await path.apply(drained)
  failReloads()
  const changed = { ...drained, properties: propertiesFrom('out1=198.18.1.2\nout2=198.18.2.2\nclient_timeout=33\n') }
  await assert.rejects(path.apply(changed), /reload refused/)
  const text = read(state.paths.configFile)
  assert.match(text, disabledLine)
  assert.doesNotMatch(text, /timeout client 33s/)
})

test('a state that changes nothing but is made anew (a SIGHUP of the same files) is the one in force: the next disable is an admin change, not a reload', async () => {
  const fake = fakePath()
  const started = seedState()
  assert.equal(await fake.path.apply(started), 'start')
  const reread = desiredState(propertiesFrom('out1=198.18.1.2\nout2=198.18.2.2\n'), started.limits, [], started.paths)
  assert.notEqual(reread.properties, started.properties)
  assert.equal(await fake.path.apply(reread), 'none')
  // a reload here would fail: the change must be made at run time
  fake.failReloads()
  const disabled = withEnabled(reread, ['out2'], false)
  assert.equal(await fake.path.apply(disabled), 'runtime')
  assert.match(read(disabled.paths.configFile), disabledLine)
})

/** A fake HAProxy of service files' servers: `show servers state` of all or of one backend, the backends asked for recorded. */
function fakeServicesPath (servers: Array<{ backend: string, server: string, address: string }>): { path: HaproxyPath, asked: Array<string | undefined>, setOperational: (server: string, op: number) => void } {
  const rows = servers.map((server) => ({ ...server, op: 2, admin: 'ready' as keyof typeof ADMIN_CODE }))
  const asked: Array<string | undefined> = []
  const backendIds = new Map<string, number>()
  const line = (row: typeof rows[number], k: number): string => {
    if (!backendIds.has(row.backend)) backendIds.set(row.backend, backendIds.size + 3)
    return `${backendIds.get(row.backend)} ${row.backend} ${k + 1} ${row.server} ${row.address} ${row.op} ${ADMIN_CODE[row.admin]}`
  }
  const stateText = (backend?: string): string => `${HEADER}\n${rows.map((row, k) => backend === undefined || row.backend === backend ? line(row, k) : '').filter((text) => text !== '').join('\n')}\n`
  const supervisor = {
    master: { running: false, reload: async () => undefined },
    adopt: async () => false,
    start: async () => { supervisor.master.running = true },
    stop: async () => { supervisor.master.running = false },
    beforeRestart: () => undefined
  }
  const find = (backend: string, server: string): typeof rows[number] | undefined => rows.find((row) => row.backend === backend && row.server === server)
  const runtime = {
    setServerState: async (backend: string, server: string, level: keyof typeof ADMIN_CODE) => { const row = find(backend, server); if (row !== undefined) row.admin = level },
    setServerStateAndShow: async (backend: string, server: string, level: keyof typeof ADMIN_CODE) => { const row = find(backend, server); if (row !== undefined) row.admin = level; return stateText(backend) },
    addServer: async (backend: string, server: string, target: string) => { rows.push({ backend, server, address: target.replace(/:\d+$/, ''), op: 2, admin: 'maint' }) },
    enableHealth: async () => undefined,
    serversStateText: async (backend?: string) => { asked.push(backend); return stateText(backend) }
  }
  const path = new HaproxyPath({
    supervisor: supervisor as unknown as HaproxySupervisor,
    runtime: runtime as unknown as RuntimeApi,
    log: { info: () => undefined, error: () => undefined },
    binary: 'true'
  })
  return { path, asked, setOperational: (server, op) => { for (const row of rows) if (row.server === server) row.op = op } }
}

test('a server added at run time: the server-state file takes its backend\'s state from HAProxy, the others\' lines as the file had them', async () => {
  const env = 'mode=tcp_roundrobin\nports=80\n'
  const web = 'ports=8081\nserver_a=198.18.5.1:80\n'
  const api = 'ports=8082\nserver_x=198.18.6.1:80\n'
  const started = stateWithServices(env, { web, api })
  for (const file of [started.paths.configFile, started.paths.lastGoodConfigFile]) mkdirSync(dirname(file), { recursive: true })
  roots.push(dirname(dirname(started.paths.configFile)))
  const fake = fakeServicesPath([{ backend: 'web', server: 'a', address: '198.18.5.1' }, { backend: 'api', server: 'x', address: '198.18.6.1' }])
  assert.equal(await fake.path.apply(started), 'start')
  // a first server change has no file to build on: the state of every backend
  const first = { ...started, services: stateWithServices(env, { web: `${web}server_b=198.18.5.2:80\n`, api }).services }
  assert.equal(await fake.path.apply(first), 'runtime')
  assert.deepEqual(fake.asked, [undefined])
  assert.match(read(started.paths.serverStateFile), / api \d+ x 198\.18\.6\.1 2 0$/m)
  // api/x goes down in HAProxy; the next change is web's alone
  fake.setOperational('x', 0)
  const second = { ...started, services: stateWithServices(env, { web: `${web}server_b=198.18.5.2:80\nserver_c=198.18.5.3:80\n`, api }).services }
  assert.equal(await fake.path.apply(second), 'runtime')
  assert.deepEqual(fake.asked, [undefined, 'web'])
  const file = read(started.paths.serverStateFile)
  assert.match(file, / web \d+ c 198\.18\.5\.3 2 0$/m)
  assert.match(file, / api \d+ x 198\.18\.6\.1 2 0$/m, 'api\'s line is the file\'s, not asked for again')
  assert.equal(file.split('\n').filter((text) => / web /.test(text)).length, 3)
})
