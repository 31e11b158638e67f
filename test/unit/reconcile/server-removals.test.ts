/**
 * (SPEC §12) The servers being removed across a reload: handed to the worker the reload
 * replaced, listed with that worker's sessions until they end there, shut at their deadline,
 * forgotten once the worker exits; the servers a reload took out of a file join them. On fakes
 * of HAProxy's current and old workers.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Row } from '../../../src/haproxy/parse.js'
import { serversInOldWorker, serversLeftAtReload, serversNotInFile, ServerRemovals, type RemovingServer } from '../../../src/reconcile/server-removals.js'
import { stateWithServices } from '../../support/fixtures.js'

const ENV = 'mode=tcp_roundrobin\nports=80\n'
const WEB = 'ports=8081\nserver_timeout=40\nserver_a=198.18.5.1:80\nserver_b=198.18.5.2:80\n'

/** Server rows `web/NAME` with these sessions. */
function rows (sessions: Readonly<Record<string, number>>): Row[] {
  return Object.entries(sessions).map(([name, scur]) => ({ pxname: 'web', svname: name, scur: String(scur), qcur: '0' }))
}

/** Removals on a fake current worker (no row: nothing of the server left) and fake old workers, by pid. */
function fakeRemovals (pollMs = 3_600_000, current: Row[] = []): { removals: ServerRemovals, old: Map<number, Row[]>, shut: string[], deleted: string[], logs: string[] } {
  const old = new Map<number, Row[]>()
  const shut: string[] = []
  const deleted: string[] = []
  const logs: string[] = []
  const removals = new ServerRemovals({
    showServerStats: async () => current,
    deleteServer: async (backend, server) => { deleted.push(`${backend}/${server}`); return true },
    shutdownSessions: async () => undefined
  }, { info: (line) => { logs.push(line) }, error: (line) => { logs.push(line) } }, pollMs, {
    serverStats: async (pid) => old.get(pid) ?? null,
    shutdownServerSessions: async (pid, servers) => { shut.push(...servers.map(({ backend, server }) => `${pid}:${backend}/${server}`)); return servers.length }
  })
  return { removals, old, shut, deleted, logs }
}

function removing (server: string, deadline = Date.now() + 40_000): RemovingServer {
  return { backend: 'web', server, address: '198.18.5.3', port: 80, since: Date.now(), deadline }
}

const notInFile = (): boolean => false

test('after a reload, a server being removed is the old worker\'s: listed with the sessions it has there, not one the current worker would meet', async () => {
  const { removals, old } = fakeRemovals()
  removals.add(removing('c'))
  old.set(4242, rows({ a: 3, c: 2 }))
  await removals.afterReload(4242, [], notInFile)
  assert.deepEqual(removals.list().map(({ server, worker, sessions }) => ({ server, worker, sessions })), [{ server: 'c', worker: 4242, sessions: 2 }])
  assert.deepEqual(removals.inCurrentWorker(), [])
  assert.equal(removals.has('web/c'), false)
  removals.clear()
})

test('a server a reload took out of the file: listed while the old worker has its sessions, never when it has none (nor logged)', async () => {
  const { removals, old, logs } = fakeRemovals()
  old.set(4242, rows({ a: 0, b: 1, c: 0 }))
  await removals.afterReload(4242, [removing('b'), removing('c')], notInFile)
  assert.deepEqual(removals.list().map(({ server, sessions }) => [server, sessions]), [['b', 1]])
  assert.deepEqual(logs, [])
  removals.clear()
})

test('its sessions ended in the old worker, or the old worker exited: forgotten at a later look', async () => {
  const { removals, old, logs } = fakeRemovals(5)
  old.set(4242, rows({ b: 1 }))
  old.set(4343, rows({ c: 1 }))
  await removals.afterReload(4242, [removing('b')], notInFile)
  // a second reload: b stays with the first old worker, c goes to the second
  removals.add(removing('c'))
  await removals.afterReload(4343, [], notInFile)
  assert.deepEqual(removals.list().map(({ server, worker }) => [server, worker]), [['b', 4242], ['c', 4343]])
  old.set(4242, rows({ b: 0 }))
  old.delete(4343)
  // bounded: 2 s of 5 ms polls, an old worker asked every fourth
  for (let waited = 0; waited < 2000 && removals.list().length > 0; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.deepEqual(removals.list(), [])
  assert.deepEqual(logs, [
    'server web/b removed: its sessions in the worker before the reload ended',
    'server web/c removed: the worker before the reload has exited'
  ])
})

test('past their deadline in an old worker, their sessions there are shut, in one go, and they are forgotten', async () => {
  const { removals, old, shut, logs } = fakeRemovals()
  old.set(4242, rows({ b: 1, c: 2, d: 1 }))
  await removals.afterReload(4242, [removing('b', Date.now() - 1), removing('c', Date.now() - 1), removing('d')], notInFile)
  assert.deepEqual(shut, ['4242:web/b', '4242:web/c'])
  assert.deepEqual(logs, ['web/b, web/c: sessions still open at server_timeout in the worker before the reload; 2 shut'])
  assert.deepEqual(removals.list().map(({ server }) => server), ['d'])
  removals.clear()
})

test('a name the file has again is the file\'s server: the old one is not listed beside it', async () => {
  const { removals, old } = fakeRemovals()
  removals.add(removing('c'))
  old.set(4242, rows({ c: 1 }))
  await removals.afterReload(4242, [], (backend, server) => `${backend}/${server}` === 'web/c')
  assert.deepEqual(removals.list(), [])
})

test('no old worker known (HAProxy started anew): every server being removed is forgotten', async () => {
  const { removals, old } = fakeRemovals()
  old.set(4242, rows({ c: 1 }))
  await removals.afterReload(4242, [removing('c')], notInFile)
  removals.add(removing('d'))
  await removals.afterReload(undefined, [removing('e')], notInFile)
  assert.deepEqual(removals.list(), [])
})

test('serversLeftAtReload: the servers gone from a TCP service at the new file\'s server_timeout; those of a service removed whole at the old one\'s; none of a UDP service', () => {
  const before = stateWithServices(ENV, { web: `${WEB}server_c=198.18.5.3:80\n`, api: 'ports=8082\nserver_timeout=15\nserver_x=198.18.6.1:80\n', voice: 'mode=udp_roundrobin\nports=5060\nserver_s1=198.18.7.1\n' })
  const after = stateWithServices(ENV, { web: WEB.replace('server_timeout=40', 'server_timeout=20') })
  const left = serversLeftAtReload(before, after, 1000)
  assert.deepEqual(left, [
    { backend: 'api', server: 'x', address: '198.18.6.1', port: 80, since: 1000, deadline: 16_000 },
    { backend: 'web', server: 'c', address: '198.18.5.3', port: 80, since: 1000, deadline: 21_000 }
  ])
})

test('serversNotInFile: a running server of a TCP service file\'s backend that the file lacks, to finish at its server_timeout; none of another backend', () => {
  const state = stateWithServices(ENV, { web: WEB, voice: 'mode=udp_roundrobin\nports=5060\nserver_s1=198.18.7.1\n' })
  const running = [
    { backend: 'web', server: 'a', address: '198.18.5.1', port: 80 },
    { backend: 'web', server: 'c', address: '198.18.5.3', port: 0 },
    { backend: 'outputs', server: 'out9', address: '198.18.9.1', port: 80 },
    { backend: 'voice', server: 's9', address: '198.18.7.9', port: 5060 },
    { backend: 'gone', server: 'x', address: '198.18.8.1', port: 80 }
  ]
  assert.deepEqual(serversNotInFile(running, state, 1000), [{ backend: 'web', server: 'c', address: '198.18.5.3', port: null, since: 1000, deadline: 41_000 }])
})

test('serversInOldWorker: an old worker\'s servers with sessions that no TCP service file names, at the file\'s server_timeout, or the env file\'s for a service removed whole; not the outputs, not an idle one', () => {
  const state = stateWithServices(`${ENV}server_timeout=50\n`, { web: WEB, voice: 'mode=udp_roundrobin\nports=5060\nserver_timeout=7\nserver_s1=198.18.7.1\n' })
  const row = (pxname: string, svname: string, scur: number, addr: string, qcur = 0): Row => ({ pxname, svname, scur: String(scur), qcur: String(qcur), addr })
  const old = [
    row('web', 'a', 3, '198.18.5.1:80'),
    row('web', 'c', 2, '198.18.5.3:80'),
    row('web', 'd', 0, '198.18.5.4:80'),
    row('web', 'e', 0, '[fd00:1b::5]:0', 1),
    row('outputs', 'out9', 4, '198.18.9.1:80'),
    row('gone', 'x', 1, '198.18.8.1:80'),
    row('voice', 's0', 1, '198.18.7.2:5060'),
    row('web', 'BACKEND', 5, '')
  ]
  assert.deepEqual(serversInOldWorker(4242, old, state, 1000), [
    { backend: 'web', server: 'c', address: '198.18.5.3', port: 80, since: 1000, deadline: 41_000, worker: 4242, sessions: 2 },
    { backend: 'web', server: 'e', address: 'fd00:1b::5', port: null, since: 1000, deadline: 41_000, worker: 4242, sessions: 0 },
    { backend: 'gone', server: 'x', address: '198.18.8.1', port: 80, since: 1000, deadline: 51_000, worker: 4242, sessions: 1 },
    { backend: 'voice', server: 's0', address: '198.18.7.2', port: 5060, since: 1000, deadline: 8000, worker: 4242, sessions: 1 }
  ])
})
