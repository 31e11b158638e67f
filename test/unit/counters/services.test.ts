import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CountersCollector } from '../../../src/counters/collector.js'
import { emptyKept, keptAfterReading } from '../../../src/counters/kept.js'
import { loadKeptCounters, parseKeptCounters, saveKeptCounters } from '../../../src/counters/kept-store.js'
import { countersDocument, type CountersSnapshot } from '../../../src/counters/model.js'
import { procNetAddress } from '../../../src/counters/listen-backlog.js'
import { serviceReadings, tcpServiceCounters, udpServiceCounters } from '../../../src/counters/snapshot.js'
import { countersAnswer } from '../../../src/ctl/answer.js'
import { CtlRequestError } from '../../../src/ctl/request-error.js'
import { parseShowStat } from '../../../src/haproxy/parse.js'
import { withDraining, withEnabled, withHealth, type DesiredState } from '../../../src/state/desired.js'
import { stateWithServices } from '../../support/fixtures.js'

const HEADER = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,status,chkfail\n'
const ENV = 'ports=80\nout1=198.18.1.2\n'
const WEB = 'ports=8081\nserver_web2=198.18.5.2:8080\nserver_web1=198.18.5.1:8080\nserver_spare=198.18.5.9:8080 backup\n'
const SIP = 'mode=udp_roundrobin\nports=5060\nserver_a=198.18.5.1\nserver_b=198.18.5.2\n'
// shares sip/a's address, on a port of its own
const MEDIA = 'mode=udp_roundrobin\nports=7000\nserver_x=198.18.5.1:6000\n'

function state (): DesiredState {
  return stateWithServices(ENV, { web: WEB, sip: SIP, media: MEDIA })
}

test('a TCP service: each server from its backend\'s rows in the file\'s order, status 0/1/2/3, the service\'s sums', () => {
  const current = withDraining(withEnabled(state(), ['web/spare'], false), ['web/web1'])
  const web = current.services.find((service) => service.name === 'web')
  assert.ok(web !== undefined)
  const rows = parseShowStat(`${HEADER}outputs,web1,9,9,9,9,,99,UP,9\nweb,web2,1,2,3,4,,10,DOWN,5\nweb,web1,0,1,2,2,,7,UP,1\nweb,spare,0,0,0,0,,0,MAINT,0\nweb,BACKEND,2,2,5,6,,17,UP,\n`)
  const readings = serviceReadings(web, rows)
  const counters = tcpServiceCounters(current, web, readings, 2 + 3, keptAfterReading(emptyKept(), readings, 0))
  const document = countersAnswer({ ...countersOf(current), services: [counters] }, 'web')
  assert.equal(document.group, 'L3LB')
  assert.equal(document.service, 'web')
  assert.deepEqual(Object.keys(document.counters).slice(0, 21).filter((name) => name.endsWith('_status')), ['web2_status', 'web1_status', 'spare_status'])
  const c = document.counters
  assert.deepEqual([c.web2_status, c.web1_status, c.spare_status], [1, 3, 2])
  assert.deepEqual([c.web2_queue, c.web2_queue_max, c.web2_sessions, c.web2_sessions_max, c.web2_sessions_total, c.web2_errors], [1, 2, 3, 4, 7, 5])
  assert.deepEqual([c.web1_sessions, c.web1_sessions_total, c.web1_errors], [2, 5, 1])
  assert.equal(c.queue, 1 + 5, 'the servers\' queues, the backend queue and the listen backlog')
  assert.deepEqual([c.sessions_active, c.sessions_max, c.sessions_total, c.errors], [5, 6, 12, 6])
  assert.equal(Object.keys(c).length, 3 * 7 + 6)
})

test('a UDP service: flows and failed checks by server key, status 1 when its checks found it down, no queue or totals', () => {
  const current = withHealth(state(), 'sip/b', 'down')
  const sip = current.services.find((service) => service.name === 'sip')
  assert.ok(sip !== undefined)
  const counters = udpServiceCounters(current, sip, new Map([['sip/a', 4], ['sip/b', 0], ['out1', 50]]), new Map([['sip/b', 3]]), emptyKept())
  const { counters: c } = countersAnswer({ ...countersOf(current), services: [counters] }, 'sip')
  assert.deepEqual(c, { a_status: 0, a_sessions: 4, a_sessions_max: 4, a_errors: 0, b_status: 1, b_sessions: 0, b_sessions_max: 0, b_errors: 3, sessions_active: 4, sessions_max: 4, errors: 3 })
})

test('/api/counters: no service is the seed\'s document as it was, default is it named, an unknown one is a 404 naming those that exist', () => {
  const snapshot = { ...countersOf(state()), services: [] }
  assert.deepEqual(countersAnswer(snapshot, undefined), countersDocument(snapshot))
  assert.equal('service' in countersAnswer(snapshot, undefined), false)
  assert.deepEqual(countersAnswer(snapshot, 'default'), { group: 'L3LB', service: 'default', counters: countersDocument(snapshot).counters })
  const refused = (() => { try { countersAnswer({ ...snapshot, services: [{ name: 'web' } as never, { name: 'sip' } as never] }, 'nope'); return null } catch (error) { return error } })()
  assert.ok(refused instanceof CtlRequestError)
  assert.equal(refused.statusCode, 404)
  assert.equal(refused.message, 'unknown service "nope": expected default or one of the service files\' (web, sip)')
})

/** A collector over a list of show stat answers: [worker pid, web1's scur, web1's stot]; out1 idle. */
function collectorOver (current: () => DesiredState, answers: Array<[number, number, number]>, kept = emptyKept()): { collector: CountersCollector, statReads: () => number } {
  let reads = 0
  const collector = new CountersCollector({
    readStats: async () => {
      reads += 1
      const [workerPid, scur, stot] = answers.shift() ?? [0, 0, 0]
      return { workerPid, rows: parseShowStat(`${HEADER}outputs,out1,0,0,0,0,,0,UP,0\nweb,web1,0,0,${scur},${scur},,${stot},UP,0\nweb,web2,0,0,0,0,,0,UP,0\nweb,spare,0,0,0,0,,0,UP,0\n`) }
    },
    listenBacklog: async () => new Map(),
    listFlows: async (family) => family === 4
      ? [
          { to: '198.18.0.1', toPort: 5060, replyFrom: '198.18.5.1', replyFromPort: 5060 },
          { to: '198.18.0.1', toPort: 7000, replyFrom: '198.18.5.1', replyFromPort: 6000 },
          { to: '198.18.0.1', toPort: 7000, replyFrom: '198.18.5.1', replyFromPort: 6000 }
        ]
      : [],
    checkFailures: () => new Map()
  }, current, kept)
  return { collector, statReads: () => reads }
}

test('one show stat a read for every service; a service file\'s totals are kept across a reload and a restart, by server key', async () => {
  const current = state()
  const { collector, statReads } = collectorOver(() => current, [[100, 1, 5], [100, 2, 9], [200, 0, 1]])
  const totals: number[] = []
  for (let i = 0; i < 3; i++) totals.push(countersAnswer(await collector.read(), 'web').counters.web1_sessions_total ?? -1)
  assert.equal(statReads(), 3)
  // worker 100 ends with 9 sessions, 2 still open (they finish there)
  assert.deepEqual(totals, [4, 7, 9 + 1])
  const read = await collector.read()
  const sip = countersAnswer(read, 'sip').counters
  assert.deepEqual([sip.a_sessions, sip.b_sessions, countersAnswer(read, 'media').counters.x_sessions], [1, 0, 2], 'media\'s flows to 198.18.5.1 are not sip/a\'s')

  const folder = mkdtempSync(join(tmpdir(), 'l3lb-kept-'))
  try {
    const file = join(folder, 'counters.json')
    await saveKeptCounters(file, await collector.keptForRestart())
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).servers['web/web1'].sessionsTotalBase, 10)
    const restarted = collectorOver(() => current, [[300, 0, 2]], await loadKeptCounters(file)).collector
    assert.equal(countersAnswer(await restarted.read(), 'web').counters.web1_sessions_total, 10 + 2)
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
})

test('a server given another address starts again; one whose service file is gone is forgotten', async () => {
  let current = state()
  const { collector } = collectorOver(() => current, [[100, 0, 5], [200, 0, 0], [200, 0, 0]])
  await collector.read()
  current = stateWithServices(ENV, { web: WEB.replace('198.18.5.1:8080', '198.18.5.7:8080'), sip: SIP, media: MEDIA })
  assert.equal(countersAnswer(await collector.read(), 'web').counters.web1_sessions_total, 0)
  current = stateWithServices(ENV, { sip: SIP })
  await collector.read()
  assert.deepEqual(Object.keys((await collector.keptForRestart()).servers).sort(), ['sip/a', 'sip/b'])
})

test('counters.json of before service files (outN only, version 1) still loads; servers are read back; a bad key is refused', () => {
  const old = parseKeptCounters('{"version":1,"outputs":{"out1":{"sessionsMax":3,"queueMax":1,"sessionsTotalBase":40,"errorsBase":2}},"queueMax":5}\n', '/s/counters.json')
  assert.equal(old.outputs.out1.sessionsTotalBase, 40)
  assert.equal(old.queueMax, 5)
  assert.deepEqual([old.servers, old.serviceQueueMax], [{}, {}])
  const figures = { sessionsMax: 1, queueMax: 2, sessionsTotalBase: 3, errorsBase: 4 }
  const now = parseKeptCounters(JSON.stringify({ version: 2, outputs: {}, queueMax: 0, servers: { 'web/web1': figures }, serviceQueueMax: { web: 7 } }), '/s/counters.json')
  assert.deepEqual([now.servers['web/web1'], now.serviceQueueMax.web], [figures, 7])
  assert.throws(() => parseKeptCounters(JSON.stringify({ servers: { web1: figures } }), '/s/counters.json'), /\/s\/counters\.json holds a server "web1" that is not SERVICE\/SERVER; remove it/)
  assert.throws(() => parseKeptCounters(JSON.stringify({ servers: { 'web/web1': { ...figures, errorsBase: -1 } } }), '/s/counters.json'), /holds a server web\/web1 that is not four whole numbers/)
})

// the seed's snapshot of a state, all idle
function countersOf (current: DesiredState): CountersSnapshot {
  const outputs = Object.fromEntries(['out1', 'out2', 'out3', 'out4', 'out5', 'out6', 'out7', 'out8'].map((name) => [name, { status: current.properties.outputs.some((output) => output.name === name) ? 0 : 100, queue: 0, queueMax: 0, sessions: 0, sessionsMax: 0, sessionsTotal: 0, errors: 0 }]))
  return { mode: current.properties.mode, outputs: outputs as unknown as CountersSnapshot['outputs'], queue: 0, queueMax: 0, sessionsActive: 0, sessionsMax: 0, sessionsTotal: 0, errors: 0 }
}

test('TCP services on one port, each on its own address, each count only the backlog of their own listener as their queue', async () => {
  const vip = (address: string, server: string): string => `ports=443\nin_addr=${address}\nserver_${server}=198.18.5.1:8443\n`
  const current = stateWithServices(ENV, { shop: vip('198.18.0.11', 's1'), mail: vip('198.18.0.12', 'm1') })
  const backlog = Object.assign(new Map([[443, 3 + 5]]), { byListener: new Map([[`${procNetAddress('198.18.0.11')}:443`, 3], [`${procNetAddress('198.18.0.12')}:443`, 5]]) })
  const collector = new CountersCollector({
    readStats: async () => ({ workerPid: 100, rows: parseShowStat(`${HEADER}outputs,out1,0,0,0,0,,0,UP,0\nshop,s1,0,0,0,0,,0,UP,0\nmail,m1,0,0,0,0,,0,UP,0\n`) }),
    listenBacklog: async () => backlog,
    listFlows: async () => [],
    checkFailures: () => new Map()
  }, () => current, emptyKept())
  const read = await collector.read()
  assert.equal(countersAnswer(read, 'shop').counters.queue, 3)
  assert.equal(countersAnswer(read, 'mail').counters.queue, 5)
  // the env file's service, on every address of port 80, has none waiting
  assert.equal(countersAnswer(read, 'default').counters.queue, 0)
})
