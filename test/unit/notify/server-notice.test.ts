import { test } from 'node:test'
import assert from 'node:assert/strict'
import { healthNotice, isMailed, noticeDocument, noticeKey, noticeLine, noticeMail, type Notice } from '../../../src/notify/notice.js'
import { MailThrottle } from '../../../src/notify/mail-throttle.js'

const at = new Date('2026-11-22T03:00:00Z')
const node = { host: 'lb-a', address: '', mode: 'tcp_roundrobin' }
const down: Notice = { kind: 'server', service: 'web', server: 'web2', address: '198.18.3.2', port: 8080, state: 'down', reason: 'Layer4 timeout', at }

test('a service file\'s server: the line names the service, the server and where it receives', () => {
  assert.equal(noticeLine(down), 'service web: server web2 (198.18.3.2:8080) is DOWN: Layer4 timeout')
  assert.equal(noticeLine({ ...down, state: 'up', reason: '' }), 'service web: server web2 (198.18.3.2:8080) is UP')
  assert.equal(noticeLine({ ...down, address: 'fd00:1b::5' }), 'service web: server web2 ([fd00:1b::5]:8080) is DOWN: Layer4 timeout')
  assert.equal(noticeLine({ ...down, port: null, reason: '3 pings in a row went unanswered' }), 'service web: server web2 (198.18.3.2) is DOWN: 3 pings in a row went unanswered')
  assert.ok(isMailed(down))
  assert.equal(noticeMail([down], node).subject, 'l3lb lb-a: service web: server web2 (198.18.3.2:8080) is DOWN: Layer4 timeout')
})

test('the mon document carries the service and the server', () => {
  assert.deepEqual(noticeDocument(down, node), {
    group: 'L3LB', node: { host: 'lb-a', address: '' }, at: '2026-11-22T03:00:00.000Z', message: 'service web: server web2 (198.18.3.2:8080) is DOWN: Layer4 timeout', notice: 'server', service: 'web', server: 'web2', address: '198.18.3.2', port: 8080, state: 'down', reason: 'Layer4 timeout'
  })
})

test('the rate limit keys a server by its server key: one server\'s flapping holds neither another\'s mail nor an output\'s', () => {
  const other: Notice = { ...down, server: 'web1' }
  const otherService: Notice = { ...down, service: 'app' }
  const output: Notice = { kind: 'output', output: 'out1', address: '198.18.1.2', state: 'down', reason: '', at }
  assert.deepEqual([down, other, otherService, output].map(noticeKey), ['web/web2', 'web/web1', 'app/web2', 'out1'])
  const throttle = new MailThrottle<Notice>(60_000)
  assert.equal(throttle.offer(noticeKey(down), down, 0), 'send')
  assert.equal(throttle.offer(noticeKey(down), { ...down, state: 'up' }, 1000), 'hold')
  assert.equal(throttle.offer(noticeKey(other), other, 2000), 'send')
  assert.equal(throttle.offer(noticeKey(otherService), otherService, 2000), 'send')
  assert.equal(throttle.offer(noticeKey(output), output, 2000), 'send')
})

test('a report of default\'s output is the seed\'s output notice; a service file\'s server, a server notice', () => {
  assert.deepEqual(healthNotice({ service: 'default', server: 'out2', address: '198.18.2.2', port: null, health: 'down', reason: 'Layer4 timeout' }, at),
    { kind: 'output', output: 'out2', address: '198.18.2.2', state: 'down', reason: 'Layer4 timeout', at })
  assert.equal(noticeLine(healthNotice({ service: 'default', server: 'out2', address: '198.18.2.2', port: null, health: 'up', reason: '' }, at)), 'output out2 (198.18.2.2) is UP')
  assert.deepEqual(healthNotice({ service: 'web', server: 'out1', address: '198.18.3.1', port: 80, health: 'up', reason: '' }, at),
    { kind: 'server', service: 'web', server: 'out1', address: '198.18.3.1', port: 80, state: 'up', reason: '', at })
})
