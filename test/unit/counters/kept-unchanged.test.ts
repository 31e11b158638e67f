/** A reading that raises no maximum leaves the kept figures as they were: no copy of 1,000 servers' records. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { emptyKept, keptAfterReading, keptOf } from '../../../src/counters/kept.js'

const reading = (sessions: number, queue = 0): { sessions: number, sessionsMax: number, queue: number, queueMax: number, sessionsTotal: number, errors: number } =>
  ({ sessions, sessionsMax: sessions, queue, queueMax: queue, sessionsTotal: 0, errors: 0 })

test('the same maxima again: the very same records; a higher one: a new record for that server alone', () => {
  const first = keptAfterReading(emptyKept(), new Map([['web/a', reading(3)], ['web/b', reading(0)], ['out1', reading(1)]]), 0, new Map([['web', 2]]))
  assert.deepEqual(Object.keys(first.servers), ['web/a', 'web/b'])
  const again = keptAfterReading(first, new Map([['web/a', reading(2)], ['web/b', reading(0)], ['out1', reading(1)]]), 0, new Map([['web', 1]]))
  assert.equal(again.servers, first.servers)
  assert.equal(again.outputs, first.outputs)
  assert.equal(again.serviceQueueMax, first.serviceQueueMax)
  const higher = keptAfterReading(again, new Map([['web/a', reading(2)], ['web/b', reading(4, 1)]]), 0, new Map([['web', 5]]))
  assert.notEqual(higher.servers, first.servers)
  assert.equal(higher.servers['web/a'], first.servers['web/a'])
  assert.deepEqual(keptOf(higher, 'web/b'), { sessionsMax: 4, queueMax: 1, sessionsTotalBase: 0, errorsBase: 0 })
  assert.equal(higher.serviceQueueMax.web, 5)
  // the kept figures it was built from did not move
  assert.equal(keptOf(first, 'web/b').sessionsMax, 0)
  assert.equal(first.serviceQueueMax.web, 2)
})

test('the kept figures found a part of the readings at a time, then the queues, are those of one reading of them all', () => {
  // what the counters' read does in slices of the event loop's time (collector.ts)
  const readings = [...Array.from({ length: 300 }, (_, k): [string, ReturnType<typeof reading>] => [`s${k % 40}/x${k}`, reading(k % 7, k % 3)]), ['out1', reading(5, 2)] as [string, ReturnType<typeof reading>]]
  const queues = new Map([['s1', 4], ['s2', 9]])
  const start = keptAfterReading(emptyKept(), new Map([['s1/x1', reading(6)], ['out1', reading(1, 4)]]), 3, new Map([['s2', 10]]))
  const whole = keptAfterReading(start, new Map(readings), 2, queues)
  let parts = start
  for (let at = 0; at < readings.length; at += 128) parts = keptAfterReading(parts, new Map(readings.slice(at, at + 128)), 0)
  parts = keptAfterReading(parts, new Map(), 2, queues)
  assert.deepEqual(parts, whole)
})
