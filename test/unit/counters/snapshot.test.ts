import { test } from 'node:test'
import assert from 'node:assert/strict'
import { emptyKept, keptAcrossReload, keptAfterReading, keptWithout } from '../../../src/counters/kept.js'
import { addListeners, listenBacklog } from '../../../src/counters/listen-backlog.js'
import { countersDocument } from '../../../src/counters/model.js'
import { backendQueue, tcpReadings, tcpSnapshot, udpSnapshot } from '../../../src/counters/snapshot.js'
import { parseShowStat } from '../../../src/haproxy/parse.js'
import { withHealth } from '../../../src/state/desired.js'
import { stateFrom } from '../../support/fixtures.js'

const STATE = stateFrom('out1=198.18.1.2\nout2=198.18.2.2\nout3=198.18.3.2\nout5=198.18.5.2\n', ['out3'])

// show stat as HAProxy prints it, the columns that matter and a few more
const ROWS = parseShowStat(`# pxname,svname,qcur,qmax,scur,smax,slim,stot,status,chkfail,chkdown
in,FRONTEND,,,7,9,9800,40,OPEN,,
outputs,out1,0,2,3,5,,20,UP,1,0
outputs,out2,1,1,4,4,,15,DOWN 1/2,6,1
outputs,out3,0,0,0,2,,5,MAINT,0,0
outputs,out5,0,0,0,0,,0,no check,0,0
outputs,BACKEND,2,3,7,9,980,40,UP,,
`)

test('TCP: every seed counter from show stat, status 0/1/2/100, totals summed', () => {
  const readings = tcpReadings(STATE, ROWS)
  const snapshot = tcpSnapshot(STATE, readings, backendQueue(ROWS) + 5, keptAfterReading(emptyKept(), readings, 0))
  const { counters } = countersDocument(snapshot)
  assert.deepEqual({ s1: counters.out1_status, s2: counters.out2_status, s3: counters.out3_status, s4: counters.out4_status, s5: counters.out5_status }, { s1: 0, s2: 1, s3: 2, s4: 100, s5: 0 })
  assert.deepEqual([counters.out1_sessions, counters.out1_sessions_max, counters.out1_sessions_total, counters.out1_errors], [3, 5, 17, 1])
  assert.deepEqual([counters.out2_queue, counters.out2_queue_max, counters.out2_sessions_total, counters.out2_errors], [1, 1, 11, 6])
  assert.equal(counters.queue, 1 + 2 + 5, 'the outputs\' queues, the backend queue and the listen backlog')
  assert.equal(counters.sessions_active, 7)
  assert.equal(counters.sessions_max, 5 + 4 + 2 + 0)
  assert.equal(counters.sessions_total, 17 + 11 + 5)
  assert.equal(counters.errors, 7)
  assert.equal(Object.keys(counters).length, 8 * 7 + 6)
})

test('maxima and totals survive a reload: kept before it, added after it', () => {
  const before = tcpReadings(STATE, ROWS)
  const kept = keptAcrossReload(keptAfterReading(emptyKept(), before, 9), before)
  // the new worker starts from zero
  const fresh = tcpReadings(STATE, parseShowStat('# pxname,svname,qcur,qmax,scur,smax,slim,stot,status,chkfail\noutputs,out1,0,0,1,1,,2,UP,0\n'))
  const { counters } = countersDocument(tcpSnapshot(STATE, fresh, 0, keptAfterReading(kept, fresh, 0)))
  assert.equal(counters.out1_sessions_max, 5)
  assert.equal(counters.out1_sessions_total, (17 + 3) + 1, 'the old worker\'s sessions, open ones included, then the new one\'s completed')
  assert.equal(counters.out1_errors, 1)
  assert.equal(counters.queue_max, 9)
  const readdressed = keptWithout(kept, ['out1'])
  assert.equal(readdressed.outputs.out1.sessionsMax, 0)
  assert.equal(readdressed.outputs.out2.sessionsMax, 4)
})

test('UDP: sessions from conntrack, errors from failed pings, no queue or totals', () => {
  const state = withHealth(stateFrom('mode=udp_roundrobin\nout1=198.18.1.2\nout2=198.18.2.2\n'), 'out2', 'down')
  const flows = new Map([['out1', 4], ['out2', 0]] as const)
  const kept = keptAfterReading(emptyKept(), new Map([['out1', { sessions: 6, sessionsMax: 6, queue: 0, queueMax: 0, sessionsTotal: 0, errors: 0 }]]), 0)
  const { counters } = countersDocument(udpSnapshot(state, flows, new Map([['out2', 3]]), kept))
  assert.deepEqual([counters.out1_status, counters.out2_status, counters.out3_status], [0, 1, 100])
  assert.deepEqual([counters.out1_sessions, counters.out1_sessions_max, counters.out2_errors], [4, 6, 3])
  for (const absent of ['out1_queue', 'out1_queue_max', 'out1_sessions_total', 'queue', 'queue_max', 'sessions_total']) assert.equal(counters[absent], undefined, absent)
  assert.deepEqual([counters.sessions_active, counters.sessions_max, counters.errors], [4, 6, 3])
})

test('the listen backlog counts only listening sockets on the given ports, IPv4 and IPv6, and stops at the first other socket', () => {
  // /proc/net/tcp and tcp6 as the kernel prints them: listeners first, rx_queue (hexadecimal) the connections waiting to be accepted
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 010012C6:0050 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 101 1 0000000000000000 100 0 0 10 0',
    '   1: 010012C6:1F90 00000000:0000 0A 00000000:00000004 00:00000000 00000000     0        0 102 1 0000000000000000 100 0 0 10 0',
    '   2: 010012C6:0050 020012C6:C350 01 00000000:00000009 00:00000000 00000000     0        0 103 1 0000000000000000 20 0 0 10 -1',
    // never reached: the kernel lists no listener after another socket
    '   3: 010012C6:2328 00000000:0000 0A 00000000:00000007 00:00000000 00000000     0        0 104 1 0000000000000000 100 0 0 10 0'
  ]
  const tcp6 = [
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000000000000000000000000000:0051 00000000000000000000000000000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 105 1 0000000000000000 100 0 0 10 0',
    '   1: 00000000000000000000000000000000:2328 00000000000000000000000000000000:0000 0A 00000000:0000000C 00:00000000 00000000     0        0 106 1 0000000000000000 100 0 0 10 0',
    ''
  ]
  const byPort = new Map<number, number>()
  assert.equal(addListeners(tcp, byPort), true)
  assert.equal(addListeners(tcp6, byPort), false)
  assert.deepEqual([...byPort].sort(([a], [b]) => a - b), [[80, 3], [81, 2], [8080, 4], [9000, 12]])
  assert.equal(listenBacklog(byPort, [{ low: 80, high: 81 }]), 3 + 2)
  assert.equal(listenBacklog(byPort, [{ low: 8080, high: 8080 }]), 4)
  assert.equal(listenBacklog(byPort, [{ low: 9000, high: 9000 }]), 12)
  assert.equal(listenBacklog(new Map(), [{ low: 80, high: 80 }]), 0)
})
