import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { L3lbError } from '../../../src/errors.js'
import { OUTPUT_NAMES, type Mode, type OutputName } from '../../../src/properties/model.js'
import { countersDocument, notConnectedCounters, type CountersSnapshot, type OutputCounters } from '../../../src/counters/model.js'
import { buildCtlApp } from '../../../src/ctl/app.js'
import { canonicalAddress } from '../../../src/properties/canonical-address.js'
import { METRICS_CONTENT_TYPE, metricsText } from '../../../src/counters/prometheus.js'
import type { CtlController } from '../../../src/ctl/controller.js'
import type { AdminChangeResult, OutputSelector } from '../../../src/model/admin.js'
import type { OutputHealth, OutputView, ServiceStatus } from '../../../src/model/health.js'

/** An appliance in memory: connected outputs, which are enabled, which are healthy. */
class MemoryController implements CtlController {
  readonly calls: Array<{ selector: OutputSelector, enabled: boolean }> = []
  readonly disabled = new Set<OutputName>()
  failure: Error | undefined
  mode: Mode = 'tcp_roundrobin'
  countersRead = 0

  constructor (
    private readonly addresses: ReadonlyMap<OutputName, string>,
    private readonly down: ReadonlySet<OutputName> = new Set()
  ) {}

  async setEnabled (selector: OutputSelector, enabled: boolean): Promise<AdminChangeResult> {
    this.calls.push({ selector, enabled })
    if (this.failure !== undefined) throw this.failure
    const outputs = [...this.addresses.keys()].filter((name) => this.matches(name, selector))
    if (outputs.length === 0) return { code: 10, message: 'no connected output matches', outputs }
    const changed = outputs.filter((name) => this.disabled.has(name) === enabled)
    if (changed.length === 0) return { code: 10, message: `already ${enabled ? 'enabled' : 'disabled'}`, outputs }
    for (const name of changed) {
      if (enabled) this.disabled.delete(name)
      else this.disabled.add(name)
    }
    return { code: 0, message: '', outputs }
  }

  async setDraining (selector: OutputSelector): Promise<AdminChangeResult> {
    this.calls.push({ selector, enabled: false })
    return { code: 10, message: 'draining is not kept in memory here', outputs: [] }
  }

  async status (): Promise<ReadonlyMap<OutputName, OutputHealth>> {
    if (this.failure !== undefined) throw this.failure
    // Deliberately not in outN order: the answer must order the members itself.
    const names = [...this.addresses.keys()].filter((name) => !this.disabled.has(name)).reverse()
    return new Map(names.map((name) => [name, this.down.has(name) ? 'down' : 'up']))
  }

  async outputs (): Promise<readonly OutputView[]> {
    if (this.failure !== undefined) throw this.failure
    return OUTPUT_NAMES.flatMap((name, at) => {
      const address = this.addresses.get(name)
      if (address === undefined) return []
      const state = this.disabled.has(name) ? 'disabled' : this.down.has(name) ? 'down' : 'up'
      const reason = state === 'down' ? 'Layer4 connection problem: Connection refused' : ''
      return [{ name, address, backup: at >= 6, state, reason, forSeconds: at === 0 ? null : 60 * at }]
    })
  }

  // outN's figures are N, 10N, 100N, ... so a figure under the wrong name shows.
  async services (): Promise<readonly ServiceStatus[]> {
    if (this.failure !== undefined) throw this.failure
    return [{
      name: 'default',
      mode: this.mode,
      ports: '80',
      addresses: [],
      servers: [...this.addresses].map(([name, address]) => ({ name, address, port: null, weight: 1, role: 'primary' as const, admin: this.disabled.has(name) ? 'disabled' as const : 'enabled' as const, health: this.down.has(name) ? 'down' as const : 'up' as const, sessions: 0 }))
    }]
  }

  async counters (): Promise<CountersSnapshot> {
    this.countersRead += 1
    if (this.failure !== undefined) throw this.failure
    const tcp = this.mode !== 'udp_roundrobin'
    const outputs = Object.fromEntries(OUTPUT_NAMES.map((name, at): [OutputName, OutputCounters] => {
      if (!this.addresses.has(name)) return [name, notConnectedCounters(this.mode)]
      const n = at + 1
      const status = this.disabled.has(name) ? 2 : this.down.has(name) ? 1 : 0
      return [name, { status, queue: tcp ? n : null, queueMax: tcp ? 10 * n : null, sessions: 100 * n, sessionsMax: 1000 * n, sessionsTotal: tcp ? 10_000 * n : null, errors: 100_000 * n }]
    })) as Record<OutputName, OutputCounters>
    return { mode: this.mode, outputs, queue: tcp ? 7 : null, queueMax: tcp ? 70 : null, sessionsActive: 700, sessionsMax: 7000, sessionsTotal: tcp ? 70_000 : null, errors: 700_000 }
  }

  private matches (name: OutputName, selector: OutputSelector): boolean {
    if ('channel' in selector) return selector.channel === name
    return canonicalAddress(this.addresses.get(name) ?? '') === selector.address.toLowerCase()
  }
}

function appliance (): MemoryController {
  return new MemoryController(new Map<OutputName, string>([
    ['out1', '198.18.0.11'],
    ['out2', 'fd00:1b:0::5'],
    ['out3', '198.18.0.13'],
    ['out4', 'Backend.Example'],
    ['out6', '198.18.0.11']
  ]), new Set(['out3']))
}

interface Answer {
  readonly httpStatus: number
  readonly body: { status: Record<string, unknown> & { code: number, message: string } }
}

async function ask (app: FastifyInstance, request: string | InjectOptions): Promise<Answer> {
  const response = await app.inject(typeof request === 'string' ? { method: 'GET', url: request } : request)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  const body = response.json()
  // Whatever happened, the body is the seed's shape and nothing else.
  assert.deepEqual(Object.keys(body), ['status'])
  assert.equal(typeof body.status.code, 'number')
  assert.equal(typeof body.status.message, 'string')
  assert.doesNotMatch(response.body, /\bat .*\.js:\d+/)
  return { httpStatus: response.statusCode, body }
}

async function refused (app: FastifyInstance, request: string | InjectOptions, httpStatus: number, message: RegExp): Promise<void> {
  const answer = await ask(app, request)
  assert.equal(answer.httpStatus, httpStatus)
  assert.equal(answer.body.status.code, 100)
  assert.match(answer.body.status.message, message)
}

test('GET /api/status lists connected, enabled outputs in outN order', async () => {
  const app = buildCtlApp({ controller: appliance(), token: '' })
  const answer = await ask(app, '/api/status')
  assert.equal(answer.httpStatus, 200)
  assert.deepEqual(answer.body, { status: { code: 0, message: '', out1: 'up', out2: 'up', out3: 'down', out4: 'up', out6: 'up' } })
  assert.deepEqual(Object.keys(answer.body.status), ['code', 'message', 'out1', 'out2', 'out3', 'out4', 'out6'])
})

test('GET /api/outputs lists every connected output, disabled ones too, with why and for how long', async () => {
  const controller = appliance()
  const app = buildCtlApp({ controller, token: '' })
  await app.inject({ method: 'GET', url: '/api/disable?channel=out4' })
  const reply = await app.inject({ method: 'GET', url: '/api/outputs' })
  assert.equal(reply.statusCode, 200)
  const body = reply.json()
  assert.deepEqual(body.status, { code: 0, message: '' })
  assert.deepEqual(body.outputs, [
    { name: 'out1', address: '198.18.0.11', role: 'primary', state: 'up', reason: '', for_seconds: null },
    { name: 'out2', address: 'fd00:1b:0::5', role: 'primary', state: 'up', reason: '', for_seconds: 60 },
    { name: 'out3', address: '198.18.0.13', role: 'primary', state: 'down', reason: 'Layer4 connection problem: Connection refused', for_seconds: 120 },
    { name: 'out4', address: 'Backend.Example', role: 'primary', state: 'disabled', reason: '', for_seconds: 180 },
    { name: 'out6', address: '198.18.0.11', role: 'primary', state: 'up', reason: '', for_seconds: 300 }
  ])
})

test('disable and enable by channel answer the controller\'s code 0, then 10 when nothing changes', async () => {
  const controller = appliance()
  const app = buildCtlApp({ controller, token: '' })
  assert.deepEqual(await ask(app, '/api/disable?channel=out3'), { httpStatus: 200, body: { status: { code: 0, message: '' } } })
  assert.deepEqual(await ask(app, '/api/disable?channel=out3'), { httpStatus: 200, body: { status: { code: 10, message: 'already disabled' } } })
  assert.deepEqual((await ask(app, '/api/status')).body.status, { code: 0, message: '', out1: 'up', out2: 'up', out4: 'up', out6: 'up' })
  assert.deepEqual(await ask(app, '/api/enable?channel=out3'), { httpStatus: 200, body: { status: { code: 0, message: '' } } })
  assert.deepEqual(await ask(app, '/api/enable?channel=out3'), { httpStatus: 200, body: { status: { code: 10, message: 'already enabled' } } })
  assert.deepEqual(controller.calls, [
    { selector: { channel: 'out3' }, enabled: false },
    { selector: { channel: 'out3' }, enabled: false },
    { selector: { channel: 'out3' }, enabled: true },
    { selector: { channel: 'out3' }, enabled: true }
  ])
})

test('disable by IPv4 address reaches every output on it; an unknown address is code 10', async () => {
  const controller = appliance()
  const app = buildCtlApp({ controller, token: '' })
  assert.equal((await ask(app, '/api/disable?198.18.0.11')).body.status.code, 0)
  assert.deepEqual([...controller.disabled].sort(), ['out1', 'out6'])
  assert.equal((await ask(app, '/api/enable?address=198.18.0.11')).body.status.code, 0)
  assert.deepEqual([...controller.disabled], [])
  assert.deepEqual(await ask(app, '/api/disable?198.18.0.99'), { httpStatus: 200, body: { status: { code: 10, message: 'no connected output matches' } } })
})

test('IPv6 in every form reaches the output configured as fd00:1b:0::5', async () => {
  for (const query of ['fd00:1b::5', '%5Bfd00%3A1b%3A%3A5%5D', 'fd00%3A1b%3A%3A5', '[fd00:1b::5]', 'address=FD00:1B:0:0::5']) {
    const controller = appliance()
    const app = buildCtlApp({ controller, token: '' })
    assert.deepEqual(await ask(app, `/api/disable?${query}`), { httpStatus: 200, body: { status: { code: 0, message: '' } } }, query)
    assert.deepEqual(controller.calls, [{ selector: { address: 'fd00:1b::5' }, enabled: false }], query)
    assert.deepEqual([...controller.disabled], ['out2'], query)
  }
})

test('a host name is an address, matched case-insensitively', async () => {
  const controller = appliance()
  const app = buildCtlApp({ controller, token: '' })
  assert.equal((await ask(app, '/api/disable?backend.EXAMPLE')).body.status.code, 0)
  assert.deepEqual([...controller.disabled], ['out4'])
})

test('bad selectors are code 100, HTTP 400, naming the value and what is accepted, and never reach the controller', async () => {
  const controller = appliance()
  const app = buildCtlApp({ controller, token: '' })
  await refused(app, '/api/disable?channel=out9', 400, /^unknown channel "out9": expected one of out1\.\.out8$/)
  await refused(app, '/api/enable?channel=foo', 400, /^unknown channel "foo"/)
  await refused(app, '/api/disable', 400, /^no output given: expected \?channel=outN/)
  await refused(app, '/api/enable?channel=out1&channel=out2', 400, /^one output expected, got 2/)
  await refused(app, '/api/disable?address=', 400, /^empty address: expected an IPv4 address, an IPv6 address/)
  await refused(app, '/api/disable?10.11.12.256', 400, /^invalid address "10\.11\.12\.256": expected/)
  await refused(app, '/api/disable?%3Cscript%3E', 400, /^invalid address "<script>"/)
  await refused(app, '/api/disable?10.11.12.%zz', 400, /^malformed %-encoding in "10\.11\.12\.%zz"/)
  await refused(app, '/api/disable?%', 400, /^malformed %-encoding in "%"/)
  await refused(app, '/api/disable?foo=1', 400, /^unknown query parameter "foo"/)
  assert.deepEqual(controller.calls, [])
})

test('a malformed %-sequence in the path is code 100, HTTP 400', async () => {
  const app = buildCtlApp({ controller: appliance(), token: '' })
  await refused(app, '/api/%zz', 400, /^malformed %-encoding in the path "\/api\/%zz"/)
})

test('an unknown path is code 100, HTTP 404', async () => {
  const app = buildCtlApp({ controller: appliance(), token: '' })
  await refused(app, '/', 404, /^unknown path "\/": expected \/api\/enable, \/api\/disable, \/api\/drain, \/api\/status, \/api\/outputs, \/api\/services, \/api\/counters, \/metrics$/)
  await refused(app, '/api/stat', 404, /^unknown path "\/api\/stat"/)
  await refused(app, '/api/status/', 404, /unknown path/)
  await refused(app, '/api/disable/out3', 404, /unknown path/)
})

test('methods other than GET are code 100: 405 with Allow on ctl paths, 404 elsewhere, and change nothing', async () => {
  const controller = appliance()
  const app = buildCtlApp({ controller, token: '' })
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const) {
    await refused(app, { method, url: '/api/disable?channel=out1' }, 405, new RegExp(`^method ${method} not allowed on /api/disable: ctl requests use GET$`))
  }
  const head = await app.inject({ method: 'HEAD', url: '/api/disable?channel=out1' })
  assert.equal(head.statusCode, 405)
  assert.equal(head.headers.allow, 'GET')
  await refused(app, { method: 'POST', url: '/elsewhere' }, 404, /^unknown path "\/elsewhere"/)
  assert.deepEqual(controller.calls, [])
})

test('a body is never read: malformed JSON on POST is 405, on GET it is ignored', async () => {
  const controller = appliance()
  const app = buildCtlApp({ controller, token: '' })
  const headers = { 'content-type': 'application/json' }
  await refused(app, { method: 'POST', url: '/api/status', headers, payload: '{"not json' }, 405, /method POST not allowed/)
  await refused(app, { method: 'POST', url: '/api/status', headers, payload: 'x'.repeat(100_000) }, 405, /method POST not allowed/)
  const answer = await ask(app, { method: 'GET', url: '/api/disable?channel=out1', headers, payload: '{"not json' })
  assert.deepEqual(answer, { httpStatus: 200, body: { status: { code: 0, message: '' } } })
})

test('a 10 kB URL is code 100, HTTP 414, and its text is not echoed', async () => {
  const controller = appliance()
  const app = buildCtlApp({ controller, token: '' })
  const url = `/api/disable?${'a'.repeat(10_000)}`
  const answer = await ask(app, url)
  assert.equal(answer.httpStatus, 414)
  assert.equal(answer.body.status.code, 100)
  assert.equal(answer.body.status.message, `request URL of ${url.length} characters is longer than the 2048 accepted`)
  await refused(app, `/${'b'.repeat(10_000)}`, 414, /longer than the 2048 accepted/)
  assert.deepEqual(controller.calls, [])
})

test('with ctl_token set, a missing or wrong token is code 100, HTTP 401, on every path and method', async () => {
  const controller = appliance()
  const app = buildCtlApp({ controller, token: 's3cret-token' })
  const required = /^ctl_token required: send Authorization: Bearer <token>$/
  await refused(app, '/api/status', 401, required)
  await refused(app, '/api/outputs', 401, required)
  await refused(app, '/api/disable?channel=out1', 401, required)
  await refused(app, { method: 'GET', url: '/api/disable?channel=out1', headers: { authorization: 'Bearer wrong' } }, 401, required)
  await refused(app, { method: 'GET', url: '/api/disable?channel=out1', headers: { authorization: 'Bearer s3cret-token-and-more' } }, 401, required)
  await refused(app, { method: 'GET', url: '/api/disable?channel=out1', headers: { authorization: 's3cret-token' } }, 401, required)
  await refused(app, { method: 'GET', url: '/api/disable?channel=out1', headers: { authorization: 'Basic s3cret-token' } }, 401, required)
  await refused(app, '/unknown', 401, required)
  await refused(app, { method: 'POST', url: '/api/status' }, 401, required)
  const wrong = await app.inject({ url: '/api/status', headers: { authorization: 'Bearer guess' } })
  assert.doesNotMatch(wrong.body, /s3cret|guess/)
  assert.deepEqual(controller.calls, [])
})

test('with ctl_token set, the right token is served', async () => {
  const controller = appliance()
  const app = buildCtlApp({ controller, token: 's3cret-token' })
  const headers = { authorization: 'Bearer s3cret-token' }
  assert.deepEqual(await ask(app, { method: 'GET', url: '/api/disable?channel=out1', headers }), { httpStatus: 200, body: { status: { code: 0, message: '' } } })
  assert.equal((await ask(app, { method: 'GET', url: '/api/status', headers })).body.status.out1, undefined)
  await refused(app, { method: 'GET', url: '/api/nothing', headers }, 404, /unknown path/)
})

test('a controller\'s L3lbError is code 100, HTTP 500, with its message', async () => {
  const controller = appliance()
  controller.failure = new L3lbError('L3LB_HAPROXY_SOCKET', 'the HAProxy socket /run/l3lb/haproxy.sock did not answer')
  const app = buildCtlApp({ controller, token: '' })
  await refused(app, '/api/disable?channel=out1', 500, /^the HAProxy socket \/run\/l3lb\/haproxy\.sock did not answer$/)
  await refused(app, '/api/status', 500, /^the HAProxy socket/)
  await refused(app, '/api/outputs', 500, /^the HAProxy socket/)
})

test('any other error is code 100, HTTP 500, with a generic message, and logged', async () => {
  const lines: string[] = []
  const controller = appliance()
  controller.failure = new TypeError('internal detail xyzzy')
  const app = buildCtlApp({ controller, token: '', logger: { level: 'error', stream: { write: (line: string) => lines.push(line) } } })
  const response = await app.inject({ url: '/api/enable?channel=out2' })
  assert.equal(response.statusCode, 500)
  assert.deepEqual(response.json(), { status: { code: 100, message: 'internal error in the ctl service; the details are in the agent\'s log' } })
  assert.doesNotMatch(response.body, /xyzzy|TypeError/)
  assert.equal(lines.length, 1)
  const logged = JSON.parse(lines[0] ?? '{}')
  assert.equal(logged.msg, 'ctl request failed')
  assert.equal(logged.err.message, 'internal detail xyzzy')
})

test('requests are served as they arrive, each answered on its own', async () => {
  const controller = appliance()
  const app = buildCtlApp({ controller, token: '' })
  const answers = await Promise.all(OUTPUT_NAMES.map((name) => ask(app, `/api/disable?channel=${name}`)))
  assert.deepEqual(answers.map((answer) => answer.body.status.code), [0, 0, 0, 0, 10, 0, 10, 10])
  assert.deepEqual((await ask(app, '/api/status')).body.status, { code: 0, message: '' })
})

test('GET /api/counters answers the seed\'s counters document, read from the controller', async () => {
  const controller = appliance()
  controller.disabled.add('out4')
  const app = buildCtlApp({ controller, token: '' })
  const response = await app.inject({ url: '/api/counters' })
  assert.equal(response.statusCode, 200)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  const body = response.json()
  assert.deepEqual(body, countersDocument(await controller.counters()))
  assert.equal(body.group, 'L3LB')
  assert.deepEqual(
    [body.counters.out1_status, body.counters.out3_status, body.counters.out4_status, body.counters.out5_status],
    [0, 1, 2, 100]
  )
  assert.equal(body.counters.out2_sessions_total, 20_000)
  assert.equal(body.counters.queue_max, 70)
  assert.equal(Object.keys(body.counters).length, 8 * 7 + 6)
})

test('GET /api/counters in udp_roundrobin leaves out queues and totals', async () => {
  const controller = appliance()
  controller.mode = 'udp_roundrobin'
  const app = buildCtlApp({ controller, token: '' })
  const counters = (await app.inject({ url: '/api/counters' })).json().counters
  assert.equal(Object.keys(counters).length, 8 * 4 + 3)
  for (const name of ['out1_queue', 'out1_queue_max', 'out1_sessions_total', 'queue', 'queue_max', 'sessions_total']) assert.equal(name in counters, false, name)
  assert.equal(counters.out6_errors, 600_000)
})

test('GET /metrics answers the counters as Prometheus text with its content type', async () => {
  const controller = appliance()
  const app = buildCtlApp({ controller, token: '' })
  const response = await app.inject({ url: '/metrics' })
  assert.equal(response.statusCode, 200)
  assert.equal(response.headers['content-type'], METRICS_CONTENT_TYPE)
  assert.equal(response.body, await metricsText(await controller.counters()))
  assert.match(response.body, /^l3lb_output_status\{output="out3"\} 1$/m)
  assert.match(response.body, /^l3lb_output_sessions_total\{output="out6"\} 60000$/m)
  assert.match(response.body, /^# TYPE l3lb_check_failures_total counter$/m)
})

test('the counters paths follow the ctl rules: token, GET only, code 100 on a controller error', async () => {
  const controller = appliance()
  const app = buildCtlApp({ controller, token: 'tok' })
  const required = /^ctl_token required/
  await refused(app, '/api/counters', 401, required)
  await refused(app, '/metrics', 401, required)
  await refused(app, { method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong' } }, 401, required)
  assert.equal(controller.countersRead, 0)
  const headers = { authorization: 'Bearer tok' }
  await refused(app, { method: 'POST', url: '/metrics', headers }, 405, /^method POST not allowed on \/metrics: ctl requests use GET$/)
  await refused(app, { method: 'DELETE', url: '/api/counters', headers }, 405, /^method DELETE not allowed on \/api\/counters/)
  const head = await app.inject({ method: 'HEAD', url: '/metrics', headers })
  assert.equal(head.statusCode, 405)
  assert.equal(controller.countersRead, 0)
  assert.equal((await app.inject({ url: '/metrics', headers })).statusCode, 200)
  controller.failure = new L3lbError('L3LB_HAPROXY_SOCKET', 'the HAProxy socket /run/l3lb/haproxy.sock did not answer')
  await refused(app, { method: 'GET', url: '/api/counters', headers }, 500, /^the HAProxy socket \/run\/l3lb\/haproxy\.sock did not answer$/)
  await refused(app, { method: 'GET', url: '/metrics', headers }, 500, /^the HAProxy socket \/run\/l3lb\/haproxy\.sock did not answer$/)
  controller.failure = new TypeError('internal detail xyzzy')
  await refused(app, { method: 'GET', url: '/metrics', headers }, 500, /^internal error in the ctl service/)
})
