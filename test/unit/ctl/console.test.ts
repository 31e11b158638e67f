import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildCtlApp, routesOf } from '../../../src/ctl/app.js'
import { CONSOLE_FILES } from '../../../src/ctl/console-files.js'
import type { CtlController } from '../../../src/ctl/controller.js'
import type { ManagementController } from '../../../src/ctl/services-routes.js'

// every read of the appliance fails the test: the console's files must hold no data
const NO_DATA = async (): Promise<never> => { throw new Error('the console read the appliance') }
const controller: CtlController = { setEnabled: NO_DATA, setDraining: NO_DATA, status: NO_DATA, outputs: NO_DATA, services: NO_DATA, counters: NO_DATA }
const management: ManagementController = { service: NO_DATA, putService: NO_DATA, deleteService: NO_DATA, putServer: NO_DATA, deleteServer: NO_DATA }
const NOTICES = [{ at: '2026-01-01T10:00:00.000Z', notice: 'output', message: 'output out2 (198.18.2.3) is DOWN: Layer4 timeout' }]
const REQUIRED = 'ctl_token required: send Authorization: Bearer <token>'

const RATES = { default: [], web: [[1767261600, 2.5], [1767261610, 0]] as Array<[number, number]> }
const consoleApp = (token = 's3cret') => buildCtlApp({ controller, token, management, console: { notices: () => NOTICES, rates: () => RATES } })

test('the page and its files load without the token, with their types, and hold no data', async () => {
  const app = consoleApp()
  assert.deepEqual([...CONSOLE_FILES.keys()], ['/', '/console/console.js', '/console/console.css', '/console/uPlot.iife.min.js', '/console/uPlot.min.css'])
  let total = 0
  for (const [path, { type }] of CONSOLE_FILES) {
    const reply = await app.inject({ method: 'GET', url: path })
    assert.equal(reply.statusCode, 200, `${path}: ${reply.body.slice(0, 200)}`)
    assert.equal(reply.headers['content-type'], type)
    assert.equal(reply.headers['cache-control'], 'no-cache')
    assert.equal(reply.headers['x-content-type-options'], 'nosniff')
    assert.doesNotMatch(reply.body, /198\.18\.|Layer4|out2 \(/)
    total += reply.rawPayload.length
  }
  // the first load's whole weight, uncompressed (docs/console.md gives the figure)
  assert.ok(total < 200_000, `the console's files are ${total} bytes`)
  const page = await app.inject({ method: 'GET', url: '/?anything' })
  assert.match(page.body, /<title>l3lb console<\/title>/)
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/)
})

test('a file not changed since the browser\'s copy is answered 304', async () => {
  const app = consoleApp()
  const first = await app.inject({ method: 'GET', url: '/console/console.js' })
  const again = await app.inject({ method: 'GET', url: '/console/console.js', headers: { 'if-none-match': String(first.headers.etag) } })
  assert.equal(again.statusCode, 304)
  assert.equal(again.body, '')
})

test('only the console\'s files are exempt: every other path, under /console/ too, still needs the token', async () => {
  const app = consoleApp()
  for (const url of ['/console/', '/console/other.js', '/console', '/index.html', '/api/notices', '/api/rates', '/api/services', '/api/openapi.json', '/metrics', '//', '/console/console.js/']) {
    const reply = await app.inject({ method: 'GET', url })
    assert.equal(reply.statusCode, 401, url)
    assert.deepEqual(reply.json(), { status: { code: 100, message: REQUIRED } }, url)
  }
  const wrong = await app.inject({ method: 'GET', url: '/api/notices', headers: { authorization: 'Bearer guess' } })
  assert.equal(wrong.statusCode, 401)
})

test('the console\'s files take GET only: another method is 405 with Allow: GET and no page', async () => {
  const app = consoleApp()
  for (const method of ['POST', 'PUT', 'DELETE'] as const) {
    const reply = await app.inject({ method, url: '/' })
    assert.equal(reply.statusCode, 405)
    assert.equal(reply.headers.allow, 'GET')
    assert.deepEqual(reply.json(), { status: { code: 100, message: `method ${method} not allowed on /: it takes GET` } })
  }
})

test('GET /api/notices and /api/rates answer what the agent keeps, with the token; both are in the OpenAPI document', async () => {
  const app = consoleApp()
  const headers = { authorization: 'Bearer s3cret' }
  const reply = await app.inject({ method: 'GET', url: '/api/notices', headers })
  assert.equal(reply.statusCode, 200)
  assert.deepEqual(reply.json(), { status: { code: 0, message: '' }, notices: NOTICES })
  const rates = await app.inject({ method: 'GET', url: '/api/rates', headers })
  assert.equal(rates.statusCode, 200)
  assert.deepEqual(rates.json(), { status: { code: 0, message: '' }, rates: RATES })
  for (const url of ['/api/notices', '/api/rates']) {
    const post = await app.inject({ method: 'POST', url, headers })
    assert.equal(post.statusCode, 405)
    assert.equal(post.headers.allow, 'GET')
  }
  // the document and the routes, both ways; the console's files are not calls of the API
  const document = (await app.inject({ method: 'GET', url: '/api/openapi.json', headers })).json<{ paths: Record<string, Record<string, unknown>> }>()
  const served = routesOf(app).map((route) => `${route.method} ${route.url.replace(/:([a-z]+)/g, '{$1}')}`).sort()
  const described = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`)).sort()
  assert.ok(served.includes('GET /api/notices') && served.includes('GET /api/rates'))
  assert.ok(!served.some((route) => route.endsWith(' /') || route.includes('/console/')), served.join('\n'))
  assert.deepEqual(described, served)
})

test('without ctl_token the page and the notices need nothing; an unknown path still lists the seed\'s paths', async () => {
  const app = consoleApp('')
  assert.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 200)
  assert.equal((await app.inject({ method: 'GET', url: '/api/notices' })).statusCode, 200)
  const unknown = await app.inject({ method: 'GET', url: '/console/other.js' })
  assert.equal(unknown.statusCode, 404)
  assert.match(unknown.json<{ status: { message: string } }>().status.message, /^unknown path "\/console\/other\.js": expected \/api\/enable, \/api\/disable, \/api\/drain, \/api\/status, \/api\/outputs, \/api\/services, \/api\/counters, \/metrics$/)
})

test('the console answers its exact paths only: `*` and other spellings the router takes for `/` are unknown paths', async () => {
  const app = consoleApp('')
  const star = await app.inject({ method: 'GET', url: '*' })
  assert.equal(star.statusCode, 404)
  assert.match(star.json<{ status: { message: string } }>().status.message, /^unknown path "\/?\*"/)
  assert.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 200)
})
