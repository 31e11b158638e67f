import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { OUTPUT_NAMES, type OutputName } from '../../../src/properties/model.js'
import { countersDocument, notConnectedCounters, type CountersSnapshot, type OutputCounters } from '../../../src/counters/model.js'
import { buildCtlApp } from '../../../src/ctl/app.js'
import type { CtlController } from '../../../src/ctl/controller.js'
import type { AdminChangeResult, OutputSelector } from '../../../src/model/admin.js'
import type { OutputHealth, OutputView, ServiceStatus } from '../../../src/model/health.js'

/** One output, out1, that can be disabled and enabled. */
class OneOutputController implements CtlController {
  enabled = true

  async setEnabled (selector: OutputSelector, enabled: boolean): Promise<AdminChangeResult> {
    if (!('channel' in selector) || selector.channel !== 'out1') return { code: 10, message: 'no connected output matches', outputs: [] }
    if (this.enabled === enabled) return { code: 10, message: 'nothing changed', outputs: ['out1'] }
    this.enabled = enabled
    return { code: 0, message: '', outputs: ['out1'] }
  }

  async setDraining (): Promise<AdminChangeResult> {
    return { code: 10, message: 'nothing changed', outputs: [] }
  }

  async status (): Promise<ReadonlyMap<OutputName, OutputHealth>> {
    return new Map<OutputName, OutputHealth>(this.enabled ? [['out1', 'up']] : [])
  }

  async outputs (): Promise<readonly OutputView[]> {
    return [{ name: 'out1', address: '198.18.1.101', backup: false, state: this.enabled ? 'up' : 'disabled', reason: '', forSeconds: 5 }]
  }

  async services (): Promise<readonly ServiceStatus[]> {
    return []
  }

  async counters (): Promise<CountersSnapshot> {
    const out1: OutputCounters = { status: this.enabled ? 0 : 2, queue: 0, queueMax: 3, sessions: 1, sessionsMax: 4, sessionsTotal: 9, errors: 2 }
    const outputs = Object.fromEntries(OUTPUT_NAMES.map((name) => [name, name === 'out1' ? out1 : notConnectedCounters('tcp_roundrobin')])) as Record<OutputName, OutputCounters>
    return { mode: 'tcp_roundrobin', outputs, queue: 0, queueMax: 3, sessionsActive: 1, sessionsMax: 4, sessionsTotal: 9, errors: 2 }
  }
}

// Sends raw bytes and reads until the server closes: for requests fetch will not send.
async function exchange (port: number, request: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request))
    let received = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => { received += chunk })
    socket.on('close', () => resolve(received))
    socket.on('error', reject)
  })
}

test('over a real socket: status, disable, token, and the seed shape for HTTP parse errors', async (t) => {
  const controller = new OneOutputController()
  const app = buildCtlApp({ controller, token: 'tok' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.after(() => app.close())
  const { port } = app.server.address() as AddressInfo
  const base = `http://127.0.0.1:${port}`
  const headers = { authorization: 'Bearer tok' }

  const status = await fetch(`${base}/api/status`, { headers })
  assert.equal(status.status, 200)
  assert.deepEqual(await status.json(), { status: { code: 0, message: '', out1: 'up' } })

  const disable = await fetch(`${base}/api/disable?channel=out1`, { headers })
  assert.deepEqual(await disable.json(), { status: { code: 0, message: '' } })
  assert.equal(controller.enabled, false)

  const anonymous = await fetch(`${base}/api/enable?channel=out1`)
  assert.equal(anonymous.status, 401)
  assert.deepEqual(await anonymous.json(), { status: { code: 100, message: 'ctl_token required: send Authorization: Bearer <token>' } })
  assert.equal(controller.enabled, false)

  const metrics = await fetch(`${base}/metrics`, { headers })
  assert.equal(metrics.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
  assert.match(await metrics.text(), /^l3lb_output_status\{output="out1"\} 2$/m)
  const counters = await fetch(`${base}/api/counters`, { headers })
  assert.deepEqual(await counters.json(), countersDocument(await controller.counters()))

  // Past Node's 16 kB header limit the request never reaches Fastify; the answer keeps the seed's shape.
  const huge = await exchange(port, `GET /api/status?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)
  assert.match(huge, /^HTTP\/1\.1 431 /)
  assert.deepEqual(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4)), { status: { code: 100, message: 'the request line and headers are too large' } })

  const garbage = await exchange(port, 'NOT HTTP\r\n\r\n')
  assert.match(garbage, /^HTTP\/1\.1 400 /)
  assert.deepEqual(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4)), { status: { code: 100, message: 'the request is not valid HTTP' } })

  // The server is still serving after both.
  const again = await fetch(`${base}/api/enable?channel=out1`, { headers })
  assert.deepEqual(await again.json(), { status: { code: 0, message: '' } })
})
