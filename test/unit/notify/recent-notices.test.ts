import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RECENT_NOTICES_MAX, RecentNotices } from '../../../src/notify/recent-notices.js'
import type { OutputNotice } from '../../../src/notify/notice.js'

const HOUR = 60 * 60 * 1000
const notice = (at: number, state: 'up' | 'down' = 'down'): OutputNotice =>
  ({ kind: 'output', output: 'out2', address: '198.18.2.3', state, reason: state === 'down' ? 'Layer4 timeout' : '', at: new Date(at) })

test('the last hour\'s notices are listed oldest first, as mon gets them without the sender', () => {
  let now = Date.parse('2026-01-01T10:00:00Z')
  const recent = new RecentNotices(() => now)
  recent.add(notice(now - HOUR - 1))
  recent.add(notice(now - HOUR + 1000, 'up'))
  recent.add(notice(now))
  assert.deepEqual(recent.list(), [
    { at: '2026-01-01T09:00:01.000Z', message: 'output out2 (198.18.2.3) is UP', notice: 'output', output: 'out2', address: '198.18.2.3', state: 'up', reason: '' },
    { at: '2026-01-01T10:00:00.000Z', message: 'output out2 (198.18.2.3) is DOWN: Layer4 timeout', notice: 'output', output: 'out2', address: '198.18.2.3', state: 'down', reason: 'Layer4 timeout' }
  ])
  now += 2000
  assert.equal(recent.list().length, 1, 'a notice leaves the list an hour after it happened')
})

test('a flapping output cannot grow the list past its bound: the oldest go first', () => {
  const now = Date.parse('2026-01-01T10:00:00Z')
  const recent = new RecentNotices(() => now)
  for (let i = 0; i < RECENT_NOTICES_MAX + 100; i++) recent.add(notice(now - 100_000 + i, i % 2 === 0 ? 'down' : 'up'))
  const listed = recent.list()
  assert.equal(listed.length, RECENT_NOTICES_MAX)
  assert.equal(listed[0]?.at, new Date(now - 100_000 + 100).toISOString())
  assert.equal(listed.at(-1)?.at, new Date(now - 100_000 + RECENT_NOTICES_MAX + 99).toISOString())
})
