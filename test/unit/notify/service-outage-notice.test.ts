import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isMailed, noticeDocument, noticeFields, noticeKey, noticeLine, noticeMail, type Notice } from '../../../src/notify/notice.js'
import { Notifier } from '../../../src/notify/notifier.js'
import { RecentNotices } from '../../../src/notify/recent-notices.js'
import type { OutgoingMail } from '../../../src/notify/smtp.js'
import type { MailSettings } from '../../../src/properties/model.js'

const at = new Date('2026-11-22T03:00:00Z')
const node = { host: 'lb-a', address: '', mode: 'tcp_roundrobin' }
const dark: Notice = { kind: 'service', service: 'web', state: 'down', servers: ['web1', 'web2'], at }
const back: Notice = { kind: 'service', service: 'web', state: 'up', servers: ['web2'], at }
const outage: Notice = { kind: 'service', state: 'down', outputs: ['out1', 'out2'], at }

test('a service file\'s outage names its service, in the seed\'s outage words with its servers', () => {
  assert.equal(noticeLine(dark), 'service web: NO SERVER IS UP: web1, web2 are all down, clients are not served')
  assert.equal(noticeLine({ ...dark, servers: ['web1'] }), 'service web: NO SERVER IS UP: web1 is down, clients are not served')
  assert.equal(noticeLine(back), 'service web: serving again: web2 up')
  assert.equal(noticeMail([dark], node).subject, 'l3lb lb-a: service web: NO SERVER IS UP: web1, web2 are all down, clients are not served')
  assert.ok(isMailed(dark) && isMailed(back))
  // the env file's keeps the seed's words, with or without its service's name
  assert.equal(noticeLine(outage), 'NO OUTPUT IS UP: out1, out2 are all down, clients are not served')
  assert.equal(noticeLine({ ...outage, service: 'default' }), noticeLine(outage))
})

test('its mon document and its /api/notices entry carry the service and its servers; the env file\'s stay as they were', () => {
  assert.deepEqual(noticeDocument(dark, node), {
    group: 'L3LB', node: { host: 'lb-a', address: '' }, at: '2026-11-22T03:00:00.000Z', message: noticeLine(dark), notice: 'service', service: 'web', state: 'down', servers: ['web1', 'web2']
  })
  assert.deepEqual(noticeFields(outage), { at: '2026-11-22T03:00:00.000Z', message: noticeLine(outage), notice: 'service', state: 'down', outputs: ['out1', 'out2'] })
  const recent = new RecentNotices(() => at.getTime())
  recent.add(dark)
  recent.add(back)
  assert.deepEqual(recent.list().map(({ message, service, state }) => ({ message, service, state })), [
    { message: 'service web: NO SERVER IS UP: web1, web2 are all down, clients are not served', service: 'web', state: 'down' },
    { message: 'service web: serving again: web2 up', service: 'web', state: 'up' }
  ])
})

test('each service\'s outage has a rate limit of its own: apart from the env file\'s, another service\'s and its servers\'', () => {
  const other: Notice = { ...dark, service: 'app' }
  const server: Notice = { kind: 'server', service: 'web', server: 'web1', address: '198.18.3.1', port: 80, state: 'down', reason: '', at }
  const keys = [dark, back, other, outage, server].map(noticeKey)
  assert.deepEqual(keys, ['service:web', 'service:web', 'service:app', 'service', 'web/web1'])
})

test('the notifier logs a service file\'s outage as an error and mails it at once, beside its servers\' held mails and the env file\'s outage', async () => {
  const lines: string[] = []
  const mails: OutgoingMail[] = []
  const mail: MailSettings = { to: ['ops@example.com'], from: '', server: { host: '198.18.0.2', port: 2525 }, holdSeconds: 60 }
  const notifier = new Notifier({
    log: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) },
    sendMail: async (_server, message) => { mails.push(message) },
    postJson: async () => 200,
    host: 'lb-a',
    now: () => 0
  })
  notifier.configure({ mail, monUrl: '', mode: 'tcp_roundrobin', ha: null, ctlAddr: '127.0.0.1' })
  const server: Notice = { kind: 'server', service: 'web', server: 'web1', address: '198.18.3.1', port: 80, state: 'down', reason: 'Layer4 timeout', at }
  notifier.notify(server)
  notifier.notify({ ...server, state: 'up', reason: '' })
  notifier.notify(outage)
  notifier.notify(dark)
  notifier.notify({ ...dark, service: 'app' })
  notifier.notify(back)
  await new Promise((resolve) => setTimeout(resolve, 10))
  assert.ok(lines.includes('error notice: service web: NO SERVER IS UP: web1, web2 are all down, clients are not served'), lines.join('\n'))
  assert.ok(lines.includes('info notice: service web: serving again: web2 up'), lines.join('\n'))
  // web1's up waits for web1's hold, web's end for web's; the three outages went at once
  assert.deepEqual(mails.map((sent) => sent.subject.replace(/^l3lb lb-a: /, '')), [
    'service web: server web1 (198.18.3.1:80) is DOWN: Layer4 timeout',
    'NO OUTPUT IS UP: out1, out2 are all down, clients are not served',
    'service web: NO SERVER IS UP: web1, web2 are all down, clients are not served',
    'service app: NO SERVER IS UP: web1, web2 are all down, clients are not served'
  ])
  await notifier.stop()
  assert.ok(mails.some((sent) => sent.subject === 'l3lb lb-a: service web: serving again: web2 up'))
})
