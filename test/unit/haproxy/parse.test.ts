import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CHECK_COLUMNS, oldWorkerPids, parseShowProc, parseShowStat, peersLocallySynced, showStatReader, STAT_COLUMNS, streamsOfServer } from '../../../src/haproxy/parse.js'
import { processStateOf } from '../../../src/process/process-state.js'
import { downReason, outputHealth, secondsSinceChange, upReason } from '../../../src/haproxy/server-status.js'

// As HAProxy 2.6.12 prints them (trimmed to the columns that matter plus a few).
const SHOW_STAT = `# pxname,svname,qcur,qmax,scur,smax,slim,stot,status,chkfail,addr,
in,FRONTEND,,,3,7,9800,120,OPEN,,,
outputs,out1,0,2,1,4,,60,UP,0,198.18.1.2:80,
outputs,out2,0,0,0,3,,60,DOWN 1/2,5,198.18.2.2:80,
outputs,BACKEND,1,3,1,7,980,120,UP,,,

`

test('show stat is read by its header, never by position', () => {
  const rows = parseShowStat(SHOW_STAT)
  assert.equal(rows.length, 4)
  assert.deepEqual({ name: rows[1]?.svname, scur: rows[1]?.scur, status: rows[1]?.status, addr: rows[1]?.addr }, { name: 'out1', scur: '1', status: 'UP', addr: '198.18.1.2:80' })
  assert.equal(rows[2]?.status, 'DOWN 1/2')
  assert.deepEqual(parseShowStat(''), [])
})

test('show stat read a part at a time gives the very rows of one read, whatever the parts', () => {
  // a quoted check field with a comma, and a blank line inside
  const text = `${SHOW_STAT.trimEnd()}\n\nweb,a,0,0,0,0,,0,DOWN,3,198.18.5.1:80,\n`.replace('# pxname,svname,qcur,qmax,scur,smax,slim,stot,status,chkfail,addr,', '# pxname,svname,qcur,qmax,scur,smax,slim,stot,status,chkfail,addr,last_chk,')
    .replace('outputs,out2,0,0,0,3,,60,DOWN 1/2,5,198.18.2.2:80,', 'outputs,out2,0,0,0,3,,60,DOWN 1/2,5,198.18.2.2:80,"Detected 2 consecutive errors, last one was: timeout",')
  for (const columns of [undefined, STAT_COLUMNS]) {
    const whole = parseShowStat(text, columns, CHECK_COLUMNS)
    assert.equal(whole.length, 5)
    for (const part of [1, 2, 3, 1000]) {
      const reader = showStatReader(text, columns, CHECK_COLUMNS)
      let parts = 0
      while (reader.next(part)) parts++
      assert.deepEqual(reader.rows, whole, `in parts of ${part}`)
      assert.equal(reader.next(part), false, 'nothing is left once read')
      if (part === 1) assert.ok(parts >= 5, 'one line a part')
    }
  }
  const none = showStatReader('')
  assert.equal(none.next(10), false)
  assert.deepEqual(none.rows, [])
})

// a master after three reloads, one of them failed, with one old worker still finishing its sessions
const SHOW_PROC = `#<PID>          <type>          <reloads>       <uptime>        <version>
4505            master          3 [failed: 1]   0d00h00m02s     2.6.12-1+deb12u4
# workers
4517            worker          0               0d00h00m01s     2.6.12-1+deb12u4
# old workers
4508            worker          1               0d00h00m09s     2.6.12-1+deb12u4
# programs

`

test('show proc gives the reload counters and the current workers, not the old ones', () => {
  const text = SHOW_PROC
  assert.deepEqual(parseShowProc(text), { masterPid: 4505, reloads: 3, failedReloads: 1, workers: [{ pid: 4517, reloads: 0 }] })
  assert.equal(parseShowProc('Unknown command'), null)
})

test('show proc\'s old workers: the workers reloads replaced, still finishing their sessions', () => {
  const text = SHOW_PROC.replace('# programs', '4503            worker          2               0d00h00m19s     2.6.12-1+deb12u4\n# programs')
  assert.deepEqual(oldWorkerPids(text), [4508, 4503])
  assert.deepEqual(oldWorkerPids('Unknown command'), [])
})

test('show peers: synced once the local and remote resyncs are done or timed out, in every section', () => {
  const fresh = '0x55c9: [22/Nov/2026:00:49:38] id=l3lb_peers disabled=0 flags=0x0 resync_timeout=3s task_calls=1\n  0x55c9: id=l3lb(local,inactive)\n'
  const localOnly = '0x55c9: [22/Nov/2026:00:49:38] id=l3lb_peers disabled=0 flags=0x11 resync_timeout=4s task_calls=2\n'
  const timedOut = '0x55c9: [22/Nov/2026:00:49:38] id=l3lb_peers disabled=0 flags=0x33 resync_timeout=<PAST> task_calls=3\n'
  const taught = '0x55a1: [22/Nov/2026:00:49:49] id=l3lb_peers disabled=0 flags=0x1103 resync_timeout=4s task_calls=3\n'
  assert.equal(peersLocallySynced(fresh), false)
  assert.equal(peersLocallySynced(localOnly), false)
  assert.equal(peersLocallySynced(timedOut), true)
  assert.equal(peersLocallySynced(taught), true)
  assert.equal(peersLocallySynced(taught + fresh), false)
  assert.equal(peersLocallySynced(''), true)
})

test('server status: up while it carries traffic, down otherwise', () => {
  for (const status of ['UP', 'UP 1/3', 'no check', 'DRAIN', 'NOLB']) assert.equal(outputHealth(status), 'up', status)
  for (const status of ['DOWN', 'DOWN 1/2', 'MAINT', 'MAINT (resolution)', '']) assert.equal(outputHealth(status), 'down', status)
})

test('the process state letter of /proc/PID/stat, whatever the command name holds', () => {
  assert.equal(processStateOf('4505 (haproxy) S 1 4505 4505 0 -1 4194560'), 'S')
  assert.equal(processStateOf('4505 (a) b) Z 1 4505'), 'Z')
})

test('why a server is down: its last check in HAProxy\'s words; clients\' failed connections counted', () => {
  assert.equal(downReason({ check_status: 'L4CON', check_desc: 'Layer4 connection problem', last_chk: 'Connection refused' }), 'Layer4 connection problem: Connection refused')
  assert.equal(downReason({ check_status: 'L4TOUT', check_desc: 'Layer4 timeout', last_chk: '' }), 'Layer4 timeout')
  assert.equal(downReason({ check_status: 'HANA', check_desc: 'Health analyze', last_chk: 'Detected 3 consecutive errors, last one was: L4 unsuccessful connection' }),
    '3 clients\' connections in a row failed (L4 unsuccessful connection)')
  assert.equal(downReason({ check_status: 'HANA', check_desc: 'Health analyze', last_chk: 'Detected 1 consecutive errors, last one was: L4 timeout error' }),
    'a client\'s connection failed (L4 timeout error)')
  // while the next check runs HAProxy prefixes the status with "* "
  assert.equal(downReason({ check_status: '* HANA', check_desc: 'Health analyze', last_chk: 'Detected 3 consecutive errors, last one was: L4 timeout error' }),
    '3 clients\' connections in a row failed (L4 timeout error)')
  assert.equal(downReason({ check_status: 'HANA', check_desc: 'Health analyze', last_chk: 'something else' }), 'Health analyze: something else')
  assert.equal(downReason({}), '')
})

test('seconds since a server changed state, from lastchg; null when HAProxy gives none', () => {
  assert.equal(secondsSinceChange({ lastchg: '192' }), 192)
  assert.equal(secondsSinceChange({ lastchg: '0' }), 0)
  assert.equal(secondsSinceChange({ lastchg: '' }), null)
  assert.equal(secondsSinceChange({}), null)
  assert.equal(secondsSinceChange({ lastchg: '-1' }), null)
})

test('an up server failing its checks says how many more take it down, and why', () => {
  const refused = { check_status: 'L4CON', check_desc: 'Layer4 connection problem', last_chk: 'Connection refused' }
  assert.equal(upReason({ ...refused, status: 'UP 1/3' }), 'checks failing: 1 more takes it down (Layer4 connection problem: Connection refused)')
  assert.equal(upReason({ ...refused, status: 'UP 2/3' }), 'checks failing: 2 more take it down (Layer4 connection problem: Connection refused)')
  assert.equal(upReason({ status: 'UP 2/3' }), 'checks failing: 2 more take it down')
  for (const status of ['UP', 'DOWN', 'DOWN 1/2', 'no check', 'MAINT', 'NOLB 1/3', '']) assert.equal(upReason({ ...refused, status }), '', status)
})

test('an up server whose last check passed is coming back, not failing; one not checked yet, neither', () => {
  // HAProxy 2.6.12 right after `set server outputs/out1 state ready`, and while its next check runs
  const passed = { status: 'UP 1/3', check_status: 'L4OK', check_desc: 'Layer4 check passed', last_chk: '', check_health: '3' }
  assert.equal(upReason(passed), 'coming back: its next check confirms it')
  assert.equal(upReason({ ...passed, check_status: '* L4OK' }), 'coming back: its next check confirms it')
  for (const checkStatus of ['L7OK', 'L7OKC', 'L6OK', 'PROCOK']) assert.equal(upReason({ ...passed, check_status: checkStatus }), 'coming back: its next check confirms it', checkStatus)
  // just started: every server up at the bottom of its range until its first check
  assert.equal(upReason({ status: 'UP 1/3', check_status: 'INI', check_desc: 'Initializing', last_chk: '' }), '')
  assert.equal(upReason({ status: 'UP 1/3', check_status: '* INI', check_desc: 'Initializing', last_chk: '' }), '')
  // the next check running after one that failed: still failing
  assert.equal(upReason({ status: 'UP 1/3', check_status: '* L4TOUT', check_desc: 'Layer4 timeout', last_chk: '' }), 'checks failing: 1 more takes it down (Layer4 timeout)')
})

test('show stat read for some columns: those alone, the same values, a row shorter than the header read as far as it goes', () => {
  const rows = parseShowStat(SHOW_STAT, new Set(['pxname', 'svname', 'scur', 'status']))
  assert.deepEqual(rows[1], { pxname: 'outputs', svname: 'out1', scur: '1', status: 'UP' })
  assert.deepEqual(rows[0], { pxname: 'in', svname: 'FRONTEND', scur: '3', status: 'OPEN' })
  const full = parseShowStat(SHOW_STAT)
  assert.deepEqual(rows.map((row) => row.status), full.map((row) => row.status))
  assert.deepEqual(parseShowStat('# pxname,svname,scur\nshort\n', new Set(['svname', 'scur'])), [{ svname: '', scur: '' }])
})

test('show stat fields HAProxy quotes (a comma or a quote inside) are read whole, and the columns after them stay in place', () => {
  // as HAProxy 2.6 printed it when clients' failed connections took a server down (observe layer4)
  const text = `# pxname,svname,status,check_status,last_chk,check_desc,lastchg,
outputs,out2,DOWN,HANA,"Detected 2 consecutive errors, last one was: L4 unsuccessful connection",Health analyze,0,
outputs,out3,DOWN,L7STS,"said ""no"", twice",HTTP status check returned code <3C>503<3E>,4,
outputs,out4,"MAINT",,"",,"7"
`
  const rows = parseShowStat(text, new Set(['svname', 'status', 'lastchg']), new Set(['check_status', 'last_chk', 'check_desc']))
  assert.deepEqual(rows[0], { svname: 'out2', status: 'DOWN', lastchg: '0', check_status: 'HANA', last_chk: 'Detected 2 consecutive errors, last one was: L4 unsuccessful connection', check_desc: 'Health analyze' })
  assert.equal(downReason(rows[0]!), "2 clients' connections in a row failed (L4 unsuccessful connection)")
  assert.deepEqual(rows[1], { svname: 'out3', status: 'DOWN', lastchg: '4', check_status: 'L7STS', last_chk: 'said "no", twice', check_desc: 'HTTP status check returned code <3C>503<3E>' })
  assert.deepEqual(rows[2], { svname: 'out4', status: 'MAINT', lastchg: '7', check_status: '', last_chk: '', check_desc: '' })
})

test('streamsOfServer: the ids of one backend\'s server\'s streams in `show sess` (2.6), by whole fields', () => {
  const text = [
    '0x55f6609158a0: proto=tcpv4 src=127.0.0.1:44074 fe=web be=web srv=c ts=00 epoch=0 age=2s calls=2 rate=0 cpu=0 lat=0 rq[f=808000h,i=0,an=00h,rx=58s,wx=,ax=] rp[f=80008000h,i=0,an=00h,rx=58s,wx=,ax=] scf=[8,0h,fd=13] scb=[8,1h,fd=14] exp=3s rc=0 c_exp=',
    '0x55f6609158b0: proto=tcpv4 src=127.0.0.1:44076 fe=web be=web srv=cc ts=00 epoch=0 age=2s calls=2 rate=0 cpu=0 lat=0 rq[f=808000h,i=0,an=00h,rx=58s,wx=,ax=] rp[f=80008000h,i=0,an=00h,rx=58s,wx=,ax=] scf=[8,0h,fd=15] scb=[8,1h,fd=16] exp=3s rc=0 c_exp=',
    '0x55f6609158c0: proto=tcpv4 src=127.0.0.1:44078 fe=api be=api srv=c ts=00 epoch=0 age=1s calls=2 rate=0 cpu=0 lat=0 rq[f=808000h,i=0,an=00h,rx=58s,wx=,ax=] rp[f=80008000h,i=0,an=00h,rx=58s,wx=,ax=] scf=[8,0h,fd=17] scb=[8,1h,fd=18] exp=3s rc=0 c_exp=',
    '0x7f4cec039ce0: proto=sockpair src=unix:2 fe=GLOBAL be=<NONE> srv=<none> ts=00 epoch=0 age=0s calls=1 rate=1 cpu=0 lat=0 rq[f=c08002h,i=0,an=00h,rx=10s,wx=,ax=] rp[f=80008002h,i=0,an=00h,rx=,wx=,ax=] scf=[8,0h,fd=6] scb=[8,1h,fd=-1] exp=10s rc=0 c_exp=',
    ''
  ].join('\n')
  assert.deepEqual(streamsOfServer(text, 'web', 'c'), ['0x55f6609158a0'])
  assert.deepEqual(streamsOfServer(text, 'api', 'c'), ['0x55f6609158c0'])
  assert.deepEqual(streamsOfServer('', 'web', 'c'), [])
})
