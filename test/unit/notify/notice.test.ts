import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isMailed, noticeDocument, noticeKey, noticeLine, noticeMail, type Notice } from '../../../src/notify/notice.js'

const at = new Date('2026-11-22T03:00:00Z')
const down: Notice = { kind: 'output', output: 'out1', address: '198.18.1.2', state: 'down', reason: '', at }
const up: Notice = { ...down, state: 'up', at: new Date('2026-11-22T03:00:05Z') }
const refused: Notice = { ...down, reason: 'Layer4 connection problem: Connection refused' }
const active: Notice = { kind: 'role', vrrp: 'MASTER', previous: 'BACKUP', virtualAddresses: ['198.18.0.100'], at }
const node = { host: 'lb-a', address: '198.18.0.11', mode: 'tcp_source' }
const outage: Notice = { kind: 'service', state: 'down', outputs: ['out1', 'out2'], at }
const served: Notice = { kind: 'service', state: 'up', outputs: ['out2'], at }

test('one line says what happened to what', () => {
  assert.equal(noticeLine(down), 'output out1 (198.18.1.2) is DOWN')
  assert.equal(noticeLine(refused), 'output out1 (198.18.1.2) is DOWN: Layer4 connection problem: Connection refused')
  assert.match(noticeLine(active), /^this node is now ACTIVE: it holds the virtual address\(es\) 198\.18\.0\.100 \(was BACKUP\)$/)
  assert.match(noticeLine({ ...active, vrrp: 'FAULT' }), /FAULT: its HAProxy failed the VRRP check/)
  assert.equal(noticeKey(down), 'out1')
  assert.equal(noticeKey(active), 'role')
  assert.equal(noticeLine(outage), 'NO OUTPUT IS UP: out1, out2 are all down, clients are not served')
  assert.equal(noticeLine({ ...outage, outputs: ['out1'] }), 'NO OUTPUT IS UP: out1 is down, clients are not served')
  assert.equal(noticeLine(served), 'serving again: out2 up')
  assert.equal(noticeKey(outage), 'service')
})

test('outputs, taking over and failing are mailed; becoming standby is the peer\'s news', () => {
  assert.ok(isMailed(down))
  assert.ok(isMailed(active))
  assert.ok(isMailed({ ...active, vrrp: 'FAULT' }))
  assert.equal(isMailed({ ...active, vrrp: 'BACKUP' }), false)
  assert.ok(isMailed(outage))
  assert.ok(isMailed(served))
})

test('a mail of one notice names the node in its subject; of several, counts them and ends on the state now', () => {
  const one = noticeMail([down], node)
  assert.equal(one.subject, 'l3lb lb-a (198.18.0.11): output out1 (198.18.1.2) is DOWN')
  assert.match(one.text, /^l3lb on lb-a \(198\.18\.0\.11\), mode tcp_source, reports:\n\n2026-11-22T03:00:00\.000Z {2}output out1/)
  assert.doesNotMatch(one.text, /held back/)
  const several = noticeMail([down, up], { ...node, address: '' })
  assert.equal(several.subject, 'l3lb lb-a: 2 changes, last: output out1 (198.18.1.2) is UP')
  assert.match(several.text, /DOWN\n.*UP\n\nThese were held back by mail_hold/)
  assert.throws(() => noticeMail([], node))
})

test('a subject never carries a line break, whatever the host name holds', () => {
  assert.doesNotMatch(noticeMail([down], { ...node, host: 'evil\r\nBcc: x@y.z' }).subject, /[\r\n]/)
})

test('the mon document is the notice, typed, with the node that saw it', () => {
  assert.deepEqual(noticeDocument(refused, node), {
    group: 'L3LB', node: { host: 'lb-a', address: '198.18.0.11' }, at: '2026-11-22T03:00:00.000Z', message: 'output out1 (198.18.1.2) is DOWN: Layer4 connection problem: Connection refused', notice: 'output', output: 'out1', address: '198.18.1.2', state: 'down', reason: 'Layer4 connection problem: Connection refused'
  })
  assert.deepEqual(noticeDocument(active, node), {
    group: 'L3LB', node: { host: 'lb-a', address: '198.18.0.11' }, at: '2026-11-22T03:00:00.000Z', message: noticeLine(active), notice: 'role', vrrp: 'MASTER', previous: 'BACKUP', virtual: ['198.18.0.100']
  })
  assert.deepEqual(noticeDocument(outage, node), {
    group: 'L3LB', node: { host: 'lb-a', address: '198.18.0.11' }, at: '2026-11-22T03:00:00.000Z', message: noticeLine(outage), notice: 'service', state: 'down', outputs: ['out1', 'out2']
  })
})
