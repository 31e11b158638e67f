import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CountersCollector } from '../../../src/counters/collector.js'
import { countersDocument } from '../../../src/counters/model.js'
import { parseInfoAndStat, parseShowStat } from '../../../src/haproxy/parse.js'
import { stateFrom } from '../../support/fixtures.js'

const HEADER = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,status,chkfail\n'

/** A collector whose stats come from the list, one answer a read: [worker pid, out1's scur, out1's stot]. */
function collectorOver (answers: Array<[number, number, number]>): CountersCollector {
  const state = stateFrom('out1=198.18.1.2\n')
  return new CountersCollector({
    readStats: async () => {
      const [workerPid, scur, stot] = answers.shift() ?? [0, 0, 0]
      await new Promise((resolve) => setTimeout(resolve, 5))
      return { workerPid, rows: parseShowStat(`${HEADER}outputs,out1,0,0,${scur},${scur},,${stot},UP,0\n`) }
    },
    listenBacklog: async () => new Map(),
    listFlows: async () => [],
    checkFailures: () => new Map()
  }, () => state)
}

test('the old worker\'s totals are added once, when another worker answers, however many reads came between', async () => {
  const collector = collectorOver([[100, 1, 5], [100, 2, 9], [100, 2, 10], [200, 0, 1], [200, 1, 3]])
  const totals: number[] = []
  for (let i = 0; i < 5; i++) totals.push(countersDocument(await collector.read()).counters.out1_sessions_total ?? -1)
  // worker 100 ends with 10 sessions, 2 still open (they finish there): 10 count as completed
  assert.deepEqual(totals, [4, 7, 8, 10 + 1, 10 + 2])
})

test('reads that overlap run one after another, so a reading is never folded twice', async () => {
  const collector = collectorOver([[100, 0, 4], [100, 0, 4], [200, 0, 0], [200, 0, 0]])
  const documents = await Promise.all([collector.read(), collector.beforeReload(), collector.read(), collector.read()])
  const last = documents[3]
  assert.ok(last !== undefined && typeof last === 'object')
  assert.equal(countersDocument(last).counters.out1_sessions_total, 4)
})

test('show info;show stat in one answer: the worker pid and the rows', () => {
  const parsed = parseInfoAndStat(`Name: HAProxy\nVersion: 2.6.12\nPid: 7968\nUptime: 0d 0h00m01s\n\n${HEADER}outputs,out1,0,0,1,1,,2,UP,0\n\n`)
  assert.equal(parsed.workerPid, 7968)
  assert.equal(parsed.rows[0]?.svname, 'out1')
  assert.deepEqual(parseInfoAndStat(''), { workerPid: null, rows: [] })
})
