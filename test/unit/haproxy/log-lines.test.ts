import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HaproxyLogLines } from '../../../src/haproxy/log-lines.js'

// As HAProxy 2.6.12 writes them to the agent's pipe when out2's back end dies.
const DOWN = 'Server outputs/out2 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 1 active and 1 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.'
const UP = 'Server outputs/out2 is UP, reason: Layer4 check passed, check duration: 0ms. 2 active and 1 backup servers online. 0 sessions requeued, 0 total in queue.'

test('an event HAProxy both prints and logs is logged once: alerts as errors, warnings as info', () => {
  const lines = new HaproxyLogLines()
  assert.deepEqual(lines.take(`[WARNING]  (6477) : ${DOWN}`), { level: 'info', line: `[WARNING]  (6477) : ${DOWN}` })
  assert.equal(lines.take(`<1>${DOWN}`), null)
  assert.deepEqual(lines.take(`[WARNING]  (6477) : ${UP}`)?.level, 'info')
  assert.equal(lines.take(`<5>${UP}`), null)
  // the same event again later is a new event
  assert.deepEqual(lines.take(`[ALERT]    (6477) : ${DOWN}`)?.level, 'error')
  assert.equal(lines.take(`<1>${DOWN}`), null)
  assert.deepEqual(lines.take(`<1>${DOWN}`), { level: 'error', line: `<1>${DOWN}` })
})

test('two threads\' events printed before either is logged are each dropped once', () => {
  const lines = new HaproxyLogLines()
  assert.notEqual(lines.take(`[WARNING]  (7) : ${DOWN}`), null)
  assert.notEqual(lines.take(`[WARNING]  (7) : ${UP}`), null)
  assert.equal(lines.take(`<5>${UP}`), null)
  assert.equal(lines.take(`<1>${DOWN}`), null)
})

test('a line only logged keeps its syslog severity; any other line is info', () => {
  const lines = new HaproxyLogLines()
  assert.deepEqual(lines.take('<0>Proxy in reached system FD limit (maxsock=20144). Please check system tunables.'),
    { level: 'error', line: '<0>Proxy in reached system FD limit (maxsock=20144). Please check system tunables.' })
  assert.equal(lines.take('<3>anything')?.level, 'error')
  assert.equal(lines.take('<4>Proxy in stopped (cumulated conns: FE: 3, BE: 0).')?.level, 'warn')
  assert.equal(lines.take('<5>Grace period expired, proceeding with soft-stop now.')?.level, 'info')
  assert.equal(lines.take('[NOTICE]   (6228) : New worker (6230) forked')?.level, 'info')
  // every reload's old worker leaves with a warning: routine
  assert.equal(lines.take('[WARNING]  (6228) : Former worker (6230) exited with code 0 (Exit)')?.level, 'info')
  assert.equal(lines.take('[ALERT]    (6228) : Current worker (6230) exited with code 137 (Killed)')?.level, 'error')
  assert.equal(lines.take('Configuration file is valid')?.level, 'info')
})

test('the worker ending on the SIGTERM of a stop the agent asked for is info; any other worker exit stays an error', () => {
  // HAProxy 2.6.12's master on SIGTERM, as the agent's stop sends it
  const terminated = '[ALERT]    (28965) : Current worker (31750) exited with code 143 (Terminated)'
  let stopping = false
  const lines = new HaproxyLogLines(() => stopping)
  // the worker killed with SIGTERM while the agent runs: nobody asked for it
  assert.equal(lines.take(terminated)?.level, 'error')
  stopping = true
  assert.equal(lines.take('[WARNING]  (28965) : Exiting Master process...')?.level, 'info')
  assert.deepEqual(lines.take(terminated), { level: 'info', line: terminated })
  assert.equal(lines.take('[WARNING]  (28965) : All workers exited. Exiting... (0)')?.level, 'info')
  // a stop that had to SIGKILL it, or a crash while stopping, is still news
  assert.equal(lines.take('[ALERT]    (28965) : Current worker (31750) exited with code 137 (Killed)')?.level, 'error')
  assert.equal(lines.take('[ALERT]    (28965) : Current worker (31750) exited with code 139 (Segmentation fault)')?.level, 'error')
  assert.equal(lines.take('[ALERT]    (31750) : backend \'outputs\' has no server available!')?.level, 'error')
  // without a way to know, the alert is an error
  assert.equal(new HaproxyLogLines().take(terminated)?.level, 'error')
})

test('an admin change made on the CLI, printed with its context and logged without it, is logged once', () => {
  // as HAProxy 2.6.12 wrote them to the agent's pipe for `set server s002/a state maint`
  const MAINT = 'Server s002/a is going DOWN for maintenance. 3 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.'
  const lines = new HaproxyLogLines()
  assert.deepEqual(lines.take(`[WARNING]  (28191) : CLI : ${MAINT}`), { level: 'info', line: `[WARNING]  (28191) : CLI : ${MAINT}` })
  assert.equal(lines.take(`<1>${MAINT}`), null)
  assert.equal(lines.take('[WARNING]  (28191) : CLI : Server s002/a is UP/READY (leaving forced maintenance).')?.level, 'info')
  assert.equal(lines.take('<5>Server s002/a is UP/READY (leaving forced maintenance).'), null)
})
