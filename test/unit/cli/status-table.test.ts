import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatStatus } from '../../../src/cli/status-table.js'

const OUTPUTS = { outputs: [{ name: 'out1' as const, index: 1, address: '198.18.1.101', backup: false }] }
const COUNTERS = { group: 'L3LB', counters: { out1_status: 0, out1_sessions: 2 } }

test('with HA the table starts with the node\'s role; without, it starts with the header row', () => {
  const plain = formatStatus({ status: { code: 0, message: '', out1: 'up' } }, COUNTERS, OUTPUTS)
  assert.match(plain, /^OUTPUT +ADDRESS +ROLE +STATE/)
  for (const role of ['active', 'standby']) {
    const text = formatStatus({ status: { code: 0, message: '', role, out1: 'up' } }, COUNTERS, OUTPUTS)
    assert.equal(text, `node: ${role}\n${plain}`)
  }
})
