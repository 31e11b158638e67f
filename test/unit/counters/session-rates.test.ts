import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RATE_WINDOW_SECONDS, SessionRates } from '../../../src/counters/session-rates.js'
import { notConnectedCounters, type CountersSnapshot, type ServiceCounters } from '../../../src/counters/model.js'
import { OUTPUT_NAMES, type OutputName } from '../../../src/properties/model.js'
import type { OutputCounters } from '../../../src/counters/model.js'

const T0 = 1_767_261_600_000
const sums = { queue: 0, queueMax: 0, sessionsActive: 0, sessionsMax: 0, errors: 0 }
const outputs = Object.fromEntries(OUTPUT_NAMES.map((name) => [name, notConnectedCounters('tcp_roundrobin')])) as Record<OutputName, OutputCounters>

/** A read of the counters: default's total, and each service file's (null: a UDP service). */
function snapshot (defaultTotal: number, services: Record<string, number | null> = {}): CountersSnapshot {
  const files: ServiceCounters[] = Object.entries(services).map(([name, total]) =>
    ({ name, mode: total === null ? 'udp_roundrobin' : 'tcp_roundrobin', servers: [], ...sums, sessionsTotal: total }))
  return { mode: 'tcp_roundrobin', outputs, ...sums, sessionsTotal: defaultTotal, services: files }
}

test('one point per service every 10 s: completed sessions per second since the point before', () => {
  const rates = new SessionRates()
  rates.record(T0, snapshot(100, { web: 0, sip: null }))
  assert.deepEqual(rates.rates(), { default: [], web: [] }, 'a UDP service has no total, so no rate')
  rates.record(T0 + 2000, snapshot(150, { web: 10 }))
  assert.deepEqual(rates.rates(), { default: [], web: [] }, 'reads closer than 10 s make no point')
  rates.record(T0 + 10_000, snapshot(200, { web: 25 }))
  rates.record(T0 + 20_000, snapshot(200, { web: 30 }))
  assert.deepEqual(rates.rates(), {
    default: [[T0 / 1000 + 10, 10], [T0 / 1000 + 20, 0]],
    web: [[T0 / 1000 + 10, 2.5], [T0 / 1000 + 20, 0.5]]
  })
})

test('the points cover ten minutes; a total that went down makes no point; a service gone is forgotten', () => {
  const rates = new SessionRates()
  for (let step = 0; step <= 100; step++) rates.record(T0 + step * 10_000, snapshot(step * 10, { web: step }))
  const web = rates.rates().web ?? []
  assert.equal(web.length, RATE_WINDOW_SECONDS / 10 + 1)
  assert.deepEqual(web.at(-1), [T0 / 1000 + 1000, 0.1])
  assert.equal(web[0]?.[0], T0 / 1000 + 1000 - RATE_WINDOW_SECONDS)
  rates.record(T0 + 1_010_000, snapshot(0, { web: 101 }))
  assert.deepEqual(rates.rates().default?.at(-1), [T0 / 1000 + 1000, 1], 'no point across a total that went down')
  rates.record(T0 + 1_020_000, snapshot(0))
  assert.deepEqual(Object.keys(rates.rates()), ['default'])
})
