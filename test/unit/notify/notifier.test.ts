import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_WAITING_MAILS, Notifier, waitingMails, type WaitingMail } from '../../../src/notify/notifier.js'
import type { OutgoingMail } from '../../../src/notify/smtp.js'
import type { Notice } from '../../../src/notify/notice.js'
import type { MailSettings } from '../../../src/properties/model.js'

const mail: MailSettings = { to: ['ops@example.com'], from: '', server: { host: '198.18.0.2', port: 2525 }, holdSeconds: 60 }
const settings = { mail, monUrl: 'http://198.18.0.2:9000/n', mode: 'tcp_roundrobin' as const, ha: null, ctlAddr: '127.0.0.1' }

function output (name: 'out1' | 'out2', state: 'up' | 'down'): Notice {
  return { kind: 'output', output: name, address: '198.18.1.2', state, reason: '', at: new Date(0) }
}

function harness (options: { failMail?: boolean, failMon?: boolean } = {}) {
  const lines: string[] = []
  const mails: OutgoingMail[] = []
  const posts: Array<{ url: string, body: Record<string, unknown> }> = []
  let now = 0
  const notifier = new Notifier({
    log: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) },
    sendMail: async (_server, message) => {
      if (options.failMail === true) throw new Error('connect ECONNREFUSED 198.18.0.2:2525')
      mails.push(message)
    },
    postJson: async (url, body) => {
      if (options.failMon === true) throw new Error('fetch failed')
      posts.push({ url, body: JSON.parse(body) as Record<string, unknown> })
      return 200
    },
    host: 'lb-a',
    now: () => now
  })
  return { notifier, lines, mails, posts, advance: (ms: number) => { now += ms } }
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10))

test('a notice goes to the log, to mon and by mail; the sender defaults to l3lb@ the host', async () => {
  const { notifier, lines, mails, posts } = harness()
  notifier.configure(settings)
  notifier.notify(output('out1', 'down'))
  await settle()
  assert.deepEqual(lines.filter((line) => line.startsWith('warn')), ['warn notice: output out1 (198.18.1.2) is DOWN'])
  assert.equal(posts.length, 1)
  assert.equal(posts[0]?.body.state, 'down')
  assert.equal(mails.length, 1)
  assert.equal(mails[0]?.from, 'l3lb@lb-a')
  assert.deepEqual(mails[0]?.to, ['ops@example.com'])
  assert.equal(notifier.mailsSent, 1)
  await notifier.stop()
})

test('the outage is logged as an error and mailed at once, apart from the outputs\' own notices', async () => {
  const { notifier, lines, mails } = harness()
  notifier.configure(settings)
  notifier.notify(output('out1', 'down'))
  notifier.notify({ kind: 'service', state: 'down', outputs: ['out1'], at: new Date() })
  notifier.notify({ kind: 'service', state: 'up', outputs: ['out1'], at: new Date() })
  await settle()
  assert.ok(lines.includes('error notice: NO OUTPUT IS UP: out1 is down, clients are not served'), lines.join('\n'))
  assert.ok(lines.includes('info notice: serving again: out1 up'), lines.join('\n'))
  // out1's own mail and the outage's went at once; serving again waits for the service's hold
  assert.deepEqual(mails.map((mail) => mail.subject.replace(/^l3lb lb-a: /, '')), ['output out1 (198.18.1.2) is DOWN', 'NO OUTPUT IS UP: out1 is down, clients are not served'])
  await notifier.stop()
  assert.equal(mails.at(-1)!.subject, 'l3lb lb-a: serving again: out1 up')
})

test('within the hold a second notice waits; stop sends what waits', async () => {
  const { notifier, mails } = harness()
  notifier.configure(settings)
  notifier.notify(output('out1', 'down'))
  notifier.notify(output('out1', 'up'))
  await settle()
  assert.equal(mails.length, 1)
  await notifier.stop()
  assert.equal(mails.length, 2)
  assert.match(mails[1]!.subject, /is UP$/)
})

test('the held batch goes out when the hold ends', async () => {
  const { notifier, mails, advance } = harness()
  notifier.configure({ ...settings, mail: { ...mail, holdSeconds: 1 } })
  notifier.notify(output('out2', 'down'))
  advance(100)
  notifier.notify(output('out2', 'up'))
  notifier.notify(output('out2', 'down'))
  advance(1000)
  await new Promise((resolve) => setTimeout(resolve, 1100))
  assert.equal(mails.length, 2)
  assert.match(mails[1]!.subject, /2 changes, last: output out2 .* is DOWN/)
  await notifier.stop()
})

test('without mail_to nothing is mailed; without mon_url nothing is posted; becoming standby is not mailed', async () => {
  const { notifier, mails, posts } = harness()
  notifier.configure({ ...settings, mail: null, monUrl: '' })
  notifier.notify(output('out1', 'down'))
  notifier.configure(settings)
  notifier.notify({ kind: 'role', vrrp: 'BACKUP', previous: 'MASTER', virtualAddresses: ['198.18.0.100'], at: new Date(0) })
  await settle()
  assert.equal(mails.length, 0)
  assert.equal(posts.length, 1)
  await notifier.stop()
})

test('a failed mail and a failed mon post are logged with their reasons; notify never throws', async () => {
  const { notifier, lines } = harness({ failMail: true, failMon: true })
  notifier.configure(settings)
  notifier.notify(output('out1', 'down'))
  await settle()
  assert.ok(lines.some((line) => /^error e-mail notice to ops@example\.com through 198\.18\.0\.2:2525 failed: connect ECONNREFUSED/.test(line)), lines.join('\n'))
  assert.ok(lines.some((line) => /^warn notice to mon at http:\/\/198\.18\.0\.2:9000\/n failed: fetch failed/.test(line)), lines.join('\n'))
  assert.equal(notifier.mailsSent, 0)
  await notifier.stop()
})

test('in a pair the mail names the node by its own address', async () => {
  const { notifier, mails } = harness()
  notifier.configure({ ...settings, ha: { virtualAddresses: ['198.18.0.100'], interface: 'eth0', peer: '198.18.0.12', priority: 100, preempt: false, routerId: 51, outputVirtualAddresses: [], outputInterface: '' }, ctlAddr: '198.18.0.11' })
  notifier.notify({ kind: 'role', vrrp: 'MASTER', previous: 'BACKUP', virtualAddresses: ['198.18.0.100'], at: new Date(0) })
  await notifier.stop()
  assert.match(mails[0]!.subject, /^l3lb lb-a \(198\.18\.0\.11\): this node is now ACTIVE/)
})

test('a storm of notices behind a slow relay (a back end of 300 services dying): no notice dropped, the outages first, a few mails in all', async () => {
  const lines: string[] = []
  const mails: OutgoingMail[] = []
  let release: () => void = () => undefined
  const relayFree = new Promise<void>((resolve) => { release = resolve })
  const notifier = new Notifier({
    log: { info: (m) => lines.push(`info ${m}`), warn: () => undefined, error: (m) => lines.push(`error ${m}`) },
    // the relay takes the first mail and answers only once released
    sendMail: async (_server, message) => { mails.push(message); await relayFree },
    postJson: async () => 200,
    host: 'lb-a'
  })
  notifier.configure(settings)
  const services = Array.from({ length: 300 }, (_, i) => `s${String(i).padStart(3, '0')}`)
  // as the watch reports one read: every server's notice, then the outages (the 5 services whose last server it was)
  for (const service of services) notifier.notify({ kind: 'server', service, server: 'a', address: '198.18.5.1', port: 80, state: 'down', reason: 'Layer4 timeout', at: new Date(1000) })
  for (const service of services.slice(0, 5)) notifier.notify({ kind: 'service', service, state: 'down', servers: ['a'], at: new Date(1001) })
  release()
  await notifier.stop()
  assert.deepEqual(lines.filter((line) => line.includes('e-mail') && line.startsWith('error')), [])
  // the first server's mail was with the relay already; then the 5 outages, each its own; then the rest together
  assert.equal(mails.length, 7)
  assert.match(mails[0]?.subject ?? '', /^l3lb lb-a: service s000: server a \(198\.18\.5\.1:80\) is DOWN/)
  assert.deepEqual(mails.slice(1, 6).map((mail) => mail.subject.replace(/^l3lb lb-a: /, '')), services.slice(0, 5).map((service) => `service ${service}: NO SERVER IS UP: a is down, clients are not served`))
  assert.match(mails[6]?.subject ?? '', /^l3lb lb-a: 299 changes at once, first: service s001: server a /)
  const mailed = mails.map((mail) => mail.text).join('\n')
  for (const service of services) assert.ok(mailed.includes(`service ${service}: server a (198.18.5.1:80) is DOWN`), `${service}'s notice was not mailed`)
})

test('waitingMails: an outage goes ahead of the servers\' mails; past the limit the servers\' go together, then the outages\' too', () => {
  const server = (name: string): Notice => ({ kind: 'server', service: name, server: 'a', address: '198.18.5.1', port: 80, state: 'down', reason: '', at: new Date(0) })
  const outage = (name: string): Notice => ({ kind: 'service', service: name, state: 'down', servers: ['a'], at: new Date(0) })
  const entry = (notice: Notice): WaitingMail => ({ items: [notice], settings: mail, together: false })
  const names = (waiting: readonly WaitingMail[]): string[] => waiting.map((one) => `${one.together ? 'together:' : ''}${one.items.map((notice) => `${notice.kind}:${'service' in notice ? notice.service ?? '' : ''}`).join('+')}`)
  let waiting = [entry(server('a')), entry(server('b'))]
  waiting = waitingMails(waiting, entry(outage('x')))
  assert.deepEqual(names(waiting), ['service:x', 'server:a', 'server:b'])
  waiting = waitingMails(waiting, entry(outage('y')))
  assert.deepEqual(names(waiting), ['service:x', 'service:y', 'server:a', 'server:b'])
  for (let i = 0; i < MAX_WAITING_MAILS - 4; i++) waiting = waitingMails(waiting, entry(server(`c${i}`)))
  assert.equal(waiting.length, MAX_WAITING_MAILS)
  waiting = waitingMails(waiting, entry(server('z')))
  assert.deepEqual(names(waiting).slice(0, 2), ['service:x', 'service:y'])
  assert.equal(waiting.length, 3)
  assert.equal(waiting[2]?.items.length, MAX_WAITING_MAILS - 1)
  // outages alone past the limit: theirs go together too, still ahead, none dropped
  for (let i = 0; i < MAX_WAITING_MAILS; i++) waiting = waitingMails(waiting, entry(outage(`o${i}`)))
  assert.ok(waiting.length <= MAX_WAITING_MAILS)
  assert.equal(waiting[0]?.together, true)
  assert.deepEqual(waiting.map((one) => one.items.some((notice) => notice.kind === 'service')), [...waiting.slice(0, -1).map(() => true), false])
  assert.equal(waiting.flatMap((one) => one.items).length, 2 + MAX_WAITING_MAILS + MAX_WAITING_MAILS - 1)
})
