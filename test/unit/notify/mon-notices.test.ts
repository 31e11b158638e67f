/**
 * The notices' posts to mon in a storm: a few at a time, the outages first, none older than a
 * minute, a bounded line, and one log line for many failures.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_WAITING_MON, MON_POSTS_AT_ONCE, MON_WAIT_MS, MonNotices, waitingPosts, type WaitingPost } from '../../../src/notify/mon-notices.js'
import type { Notice } from '../../../src/notify/notice.js'

const URL = 'http://198.18.0.2:9000/n'

function server (service: string): Notice {
  return { kind: 'server', service, server: 'a', address: '198.18.5.1', port: 80, state: 'down', reason: 'Layer4 timeout', at: new Date(0) }
}

function outage (service: string): Notice {
  return { kind: 'service', service, state: 'down', servers: ['a'], at: new Date(0) }
}

/** A mon that holds every post until released; `answer` is what a released post gets. */
function heldMon (answer: () => number = () => 200) {
  const warnings: string[] = []
  const posted: string[] = []
  const held: Array<() => void> = []
  const flight = { now: 0, most: 0 }
  let now = 0
  const mon = new MonNotices({
    postJson: async (_url, body) => {
      flight.now++
      flight.most = Math.max(flight.most, flight.now)
      await new Promise<void>((resolve) => held.push(resolve))
      flight.now--
      posted.push((JSON.parse(body) as { service: string }).service)
      const status = answer()
      if (status === 0) throw new Error('fetch failed')
      return status
    },
    warn: (line) => { warnings.push(line) },
    now: () => now
  })
  // lets every held post answer, as long as more come
  const releaseAll = async (): Promise<void> => {
    for (let round = 0; round < 10_000 && (held.length > 0 || flight.now > 0); round++) {
      held.splice(0).forEach((release) => { release() })
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  return { mon, warnings, posted, held, releaseAll, most: () => flight.most, advance: (ms: number) => { now += ms } }
}

const post = (mon: MonNotices, notice: Notice): void => { mon.post(notice, URL, JSON.stringify(notice)) }

test('a storm of 1,000 notices: at most a few posts at once, every one posted, the outages ahead of the servers that waited', async () => {
  const { mon, posted, warnings, releaseAll, most, held } = heldMon()
  const services = Array.from({ length: 1000 }, (_, i) => `s${i}`)
  for (const service of services) post(mon, server(service))
  for (const service of services.slice(0, 3)) post(mon, outage(`o-${service}`))
  assert.equal(held.length, MON_POSTS_AT_ONCE)
  await releaseAll()
  assert.equal(most(), MON_POSTS_AT_ONCE)
  assert.equal(posted.length, 1003)
  // the first four were in flight already; the outages next
  assert.deepEqual(posted.slice(0, 7), ['s0', 's1', 's2', 's3', 'o-s0', 'o-s1', 'o-s2'])
  assert.deepEqual(new Set(posted), new Set([...services, 'o-s0', 'o-s1', 'o-s2']))
  assert.deepEqual(warnings, [])
})

test('a mon that takes nothing for a minute: the notices still waiting are left out, told in one line once the line is empty', async () => {
  const { mon, posted, warnings, releaseAll, advance } = heldMon()
  for (let i = 0; i < 100; i++) post(mon, server(`s${i}`))
  advance(MON_WAIT_MS + 1)
  await releaseAll()
  assert.deepEqual(posted, ['s0', 's1', 's2', 's3'])
  assert.deepEqual(warnings, ['96 notices not posted to mon: it was not taking them fast enough (each is in the log)'])
  // the next notice is news again
  post(mon, server('later'))
  await releaseAll()
  assert.deepEqual(posted.at(-1), 'later')
  assert.equal(warnings.length, 1)
})

test('a mon that refuses: the first failure is logged with its reason, the rest counted in one line', async () => {
  const { mon, warnings, releaseAll } = heldMon(() => 0)
  for (let i = 0; i < 10; i++) post(mon, server(`s${i}`))
  await releaseAll()
  assert.deepEqual(warnings, [
    `notice to mon at ${URL} failed: fetch failed`,
    `9 more notices to mon failed, the last: notice to mon at ${URL} failed: fetch failed`
  ])
  const answered = heldMon(() => 503)
  post(answered.mon, server('x'))
  await answered.releaseAll()
  assert.deepEqual(answered.warnings, [`notice to mon at ${URL} was answered 503`])
})

test('waitingPosts: an outage ahead of the servers; past the bound the oldest server\'s is left out, an outage\'s only when nothing else waits', () => {
  const entry = (notice: Notice, since = 0): WaitingPost => ({ notice, url: URL, body: '', since })
  const names = (waiting: readonly WaitingPost[]): string[] => waiting.map(({ notice }) => 'service' in notice ? notice.service ?? '' : '')
  let waiting: WaitingPost[] = []
  for (const service of ['a', 'b']) waiting = waitingPosts(waiting, entry(server(service))).waiting
  waiting = waitingPosts(waiting, entry(outage('x'))).waiting
  assert.deepEqual(names(waiting), ['x', 'a', 'b'])
  for (let i = 0; i < MAX_WAITING_MON - 3; i++) waiting = waitingPosts(waiting, entry(server(`c${i}`))).waiting
  assert.equal(waiting.length, MAX_WAITING_MON)
  const full = waitingPosts(waiting, entry(server('z')))
  assert.equal(full.leftOut, 1)
  assert.equal(full.waiting.length, MAX_WAITING_MON)
  assert.deepEqual(names(full.waiting).slice(0, 2), ['x', 'b'])
  assert.equal(names(full.waiting).at(-1), 'z')
  let outages: WaitingPost[] = []
  for (let i = 0; i < MAX_WAITING_MON; i++) outages = waitingPosts(outages, entry(outage(`o${i}`))).waiting
  const over = waitingPosts(outages, entry(outage('last')))
  assert.equal(over.leftOut, 1)
  assert.deepEqual(names(over.waiting).slice(0, 1), ['o1'])
})
