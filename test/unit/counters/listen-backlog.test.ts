/** The listen backlog of a service's ports, narrow ranges looked up port by port, wide ones by walking the listeners. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { listenBacklog } from '../../../src/counters/listen-backlog.js'

// 300 listeners, on ports 10000-10299, port p with (p % 7) connections waiting
const LISTENERS = new Map(Array.from({ length: 300 }, (_, i) => [10000 + i, (10000 + i) % 7]))
const expected = (low: number, high: number): number => [...LISTENERS].filter(([port]) => port >= low && port <= high).reduce((sum, [, n]) => sum + n, 0)

test('a narrow range and a wide one count the same listeners as walking them all would', () => {
  assert.equal(listenBacklog(LISTENERS, [{ low: 10005, high: 10005 }]), 10005 % 7)
  assert.equal(listenBacklog(LISTENERS, [{ low: 10010, high: 10020 }]), expected(10010, 10020))
  assert.equal(listenBacklog(LISTENERS, [{ low: 1, high: 65535 }]), expected(1, 65535))
  assert.equal(listenBacklog(LISTENERS, [{ low: 9990, high: 10002 }, { low: 10290, high: 20000 }]), expected(9990, 10002) + expected(10290, 20000))
  assert.equal(listenBacklog(LISTENERS, [{ low: 80, high: 80 }]), 0)
})
