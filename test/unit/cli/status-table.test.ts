import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatDuration, formatServices, formatStatus, type OutputsAnswer } from '../../../src/cli/status-table.js'

const UP = { name: 'out1' as const, address: '198.18.1.101', role: 'primary' as const, state: 'up' as const, reason: '', for_seconds: 7_500 }
const COUNTERS = { group: 'L3LB', counters: { out1_status: 0, out1_sessions: 2, out2_status: 1, sessions_active: 2 } }

function answer (outputs: OutputsAnswer['outputs'], role?: string): OutputsAnswer {
  return { status: { code: 0, message: '', ...(role === undefined ? {} : { role }) }, outputs }
}

test('with HA the table starts with the node\'s role; without, it starts with the header row', () => {
  const plain = formatStatus(answer([UP]), COUNTERS)
  assert.match(plain, /^OUTPUT +ADDRESS +ROLE +STATE +FOR +SESSIONS +MAX +TOTAL +QUEUE +ERRORS\n/)
  for (const role of ['active', 'standby']) {
    assert.equal(formatStatus(answer([UP], role), COUNTERS), `node: ${role}\n${plain}`)
  }
})

test('a row per output with its state, for how long, and its counters; `-` for what is not known', () => {
  const text = formatStatus(answer([UP, { name: 'out2', address: 'fd00:1b::2', role: 'backup', state: 'disabled', reason: '', for_seconds: null }]), COUNTERS)
  assert.match(text, /^out1 +198\.18\.1\.101 +primary +up +2h05m +2 +- +- +- +-$/m)
  assert.match(text, /^out2 +fd00:1b::2 +backup +disabled +- +- +- +- +- +-$/m)
  assert.match(text, /^total +2 +- +- +- +-$/m)
  assert.doesNotMatch(text, /is down/)
})

test('under the table, why each down output is down', () => {
  const down = { name: 'out2' as const, address: '198.18.1.102', role: 'primary' as const, state: 'down' as const, reason: 'Layer4 connection problem: Connection refused', for_seconds: 192 }
  const silent = { name: 'out3' as const, address: '198.18.1.103', role: 'primary' as const, state: 'down' as const, reason: '', for_seconds: 5 }
  const text = formatStatus(answer([UP, down, silent]), COUNTERS)
  assert.match(text, /^out2 +198\.18\.1\.102 +primary +down +3m12s /m)
  assert.ok(text.endsWith('\n\nout2 is down: Layer4 connection problem: Connection refused\n'), text)
})

test('under the table too, an up output whose checks are failing', () => {
  const failing = { ...UP, reason: 'checks failing: 1 more takes it down (Layer4 timeout)' }
  assert.ok(formatStatus(answer([failing]), COUNTERS).endsWith('\n\nout1 is up, checks failing: 1 more takes it down (Layer4 timeout)\n'))
})

test('an error answer is printed as its code and message', () => {
  assert.equal(formatStatus({ status: { code: 100, message: 'the HAProxy socket did not answer' }, outputs: [] }, COUNTERS), 'error 100: the HAProxy socket did not answer\n')
})

test('durations show their two largest units', () => {
  assert.equal(formatDuration(null), '-')
  assert.equal(formatDuration(0), '0s')
  assert.equal(formatDuration(59), '59s')
  assert.equal(formatDuration(60), '1m00s')
  assert.equal(formatDuration(192), '3m12s')
  assert.equal(formatDuration(3_599), '59m59s')
  assert.equal(formatDuration(3_600), '1h00m')
  assert.equal(formatDuration(7_500), '2h05m')
  assert.equal(formatDuration(86_399), '23h59m')
  assert.equal(formatDuration(4 * 86_400 + 3 * 3_600 + 59), '4d03h')
})

test('a table per service: its mode, ports and addresses, then each server with its state', () => {
  const text = formatServices([{
    name: 'web',
    mode: 'tcp_leastconn',
    ports: '8081',
    addresses: [],
    servers: [
      { name: 'web1', address: '198.18.5.1', port: 8080, weight: 3, role: 'primary', admin: 'enabled', health: 'up', sessions: 2 },
      { name: 'spare', address: 'fd00:1b::5', port: 8080, weight: 1, role: 'backup', admin: 'disabled', health: 'down', sessions: 0 }
    ]
  }, { name: 'voice', mode: 'udp_roundrobin', ports: '5060', addresses: ['198.18.0.1'], servers: [{ name: 'a', address: '198.18.6.1', port: null, weight: 1, role: 'primary', admin: 'enabled', health: 'up', sessions: null }] }])
  assert.equal(text, [
    'service web: tcp_leastconn, ports 8081, every address',
    'SERVER  ADDRESS            WEIGHT  ROLE     ADMIN     HEALTH  SESSIONS',
    'web1    198.18.5.1:8080    3       primary  enabled   up      2',
    'spare   [fd00:1b::5]:8080  1       backup   disabled  down    0',
    '',
    'service voice: udp_roundrobin, ports 5060, 198.18.0.1',
    'SERVER  ADDRESS     WEIGHT  ROLE     ADMIN    HEALTH  SESSIONS',
    'a       198.18.6.1  1       primary  enabled  up      -',
    ''
  ].join('\n'))
})
