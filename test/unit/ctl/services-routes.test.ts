import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildCtlApp } from '../../../src/ctl/app.js'
import type { CtlController } from '../../../src/ctl/controller.js'
import type { ManagementController } from '../../../src/ctl/services-routes.js'
import type { ManagementResult } from '../../../src/model/management.js'

const NOT_USED = async (): Promise<never> => { throw new Error('not used') }
const controller: CtlController = { setEnabled: NOT_USED, setDraining: NOT_USED, status: NOT_USED, outputs: NOT_USED, services: NOT_USED, counters: NOT_USED }

// records each call and answers what the test set
function management (result: ManagementResult): ManagementController & { calls: unknown[][] } {
  const calls: unknown[][] = []
  return {
    calls,
    service: async (name) => name === 'web' ? { service: { ports: '80', servers: {} }, state: { name: 'web', mode: 'tcp_roundrobin', ports: '80', addresses: [], servers: [] } } : null,
    putService: async (...args) => { calls.push(['putService', ...args]); return result },
    deleteService: async (...args) => { calls.push(['deleteService', ...args]); return result },
    putServer: async (...args) => { calls.push(['putServer', ...args]); return result },
    deleteServer: async (...args) => { calls.push(['deleteServer', ...args]); return result }
  }
}

const DONE: ManagementResult = { outcome: 'done', code: 0, message: 'server a of service web added', applied: 'runtime' }
const JSON_HEADERS = { 'content-type': 'application/json', authorization: 'Bearer t' }

test('a change answers §5\'s status with `applied` beside it; the body reaches the agent as JSON', async () => {
  const api = management(DONE)
  const app = buildCtlApp({ controller, token: 't', management: api })
  const reply = await app.inject({ method: 'PUT', url: '/api/services/web/servers/a', headers: JSON_HEADERS, payload: { address: '198.18.5.1' } })
  assert.equal(reply.statusCode, 200)
  assert.deepEqual(reply.json(), { status: { code: 0, message: 'server a of service web added' }, applied: 'runtime' })
  assert.deepEqual(api.calls, [['putServer', 'web', 'a', { address: '198.18.5.1' }]])
  const removed = await app.inject({ method: 'DELETE', url: '/api/services/web', headers: { authorization: 'Bearer t' } })
  assert.equal(removed.statusCode, 200)
  assert.deepEqual(api.calls[1], ['deleteService', 'web'])
})

test('refusals: 400 and 404 as the agent says, code 100; 401 without the token, before any call', async () => {
  for (const status of [400, 404] as const) {
    const api = management({ outcome: 'refused', status, message: 'why' })
    const app = buildCtlApp({ controller, token: 't', management: api })
    const reply = await app.inject({ method: 'DELETE', url: '/api/services/web/servers/a', headers: { authorization: 'Bearer t' } })
    assert.equal(reply.statusCode, status)
    assert.deepEqual(reply.json(), { status: { code: 100, message: 'why' } })
  }
  const api = management(DONE)
  const app = buildCtlApp({ controller, token: 't', management: api })
  const unauthorised = await app.inject({ method: 'PUT', url: '/api/services/web', headers: { 'content-type': 'application/json' }, payload: {} })
  assert.equal(unauthorised.statusCode, 401)
  assert.deepEqual(api.calls, [])
})

test('GET of a service gives what PUT takes and its state; an unknown one is a 404', async () => {
  const app = buildCtlApp({ controller, token: '', management: management(DONE) })
  const found = await app.inject({ method: 'GET', url: '/api/services/web' })
  assert.equal(found.statusCode, 200)
  assert.deepEqual(found.json().service, { ports: '80', servers: {} })
  const missing = await app.inject({ method: 'GET', url: '/api/services/shop' })
  assert.equal(missing.statusCode, 404)
  assert.match(missing.json().status.message, /no service is named "shop"/)
})

test('methods: 405 naming what the path takes; a server path has no GET; the seed\'s paths still take GET only', async () => {
  const app = buildCtlApp({ controller, token: '', management: management(DONE) })
  const patch = await app.inject({ method: 'PATCH', url: '/api/services/web' })
  assert.equal(patch.statusCode, 405)
  assert.equal(patch.headers.allow, 'GET, PUT, DELETE')
  const get = await app.inject({ method: 'GET', url: '/api/services/web/servers/a' })
  assert.equal(get.statusCode, 405)
  assert.equal(get.headers.allow, 'PUT, DELETE')
  const seed = await app.inject({ method: 'PUT', url: '/api/status' })
  assert.equal(seed.statusCode, 405)
  assert.equal(seed.headers.allow, 'GET')
})

test('a body of 1,000 servers is read; past 1 MB it is refused before the agent sees it', async () => {
  const api = management(DONE)
  const app = buildCtlApp({ controller, token: '', management: api })
  const servers = Object.fromEntries(Array.from({ length: 1000 }, (_, index) => [`server_number_${index}`, { address: `198.18.${index >> 8}.${index & 255}`, port: 8080, weight: 100, maxconn: 10000, backup: false }]))
  const big = await app.inject({ method: 'PUT', url: '/api/services/web', headers: { 'content-type': 'application/json' }, payload: { mode: 'tcp_roundrobin', ports: '80', servers } })
  assert.equal(big.statusCode, 200)
  const tooBig = await app.inject({ method: 'PUT', url: '/api/services/web', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }) })
  assert.equal(tooBig.statusCode, 413)
  assert.equal(tooBig.json().status.code, 100)
  assert.equal(api.calls.length, 1)
  // without the management API, the seed's refusal of a non-GET method stays
  const seedOnly = buildCtlApp({ controller, token: '' })
  assert.equal((await seedOnly.inject({ method: 'PUT', url: '/api/services/web' })).statusCode, 404)
})
