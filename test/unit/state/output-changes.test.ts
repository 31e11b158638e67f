import { test } from 'node:test'
import assert from 'node:assert/strict'
import { changedOutputs, outputStateIn } from '../../../src/state/output-changes.js'
import { withEnabled, withHealth } from '../../../src/state/desired.js'
import { propertiesFrom, stateFrom } from '../../support/fixtures.js'

const UDP = 'mode=udp_roundrobin\nports=5060\nout1=198.18.1.1\nout2=198.18.1.2\nout3=198.18.1.3\n'

test('an output\'s state in the desired state: disabled first, then down, else up; none when not connected', () => {
  const state = withHealth(withHealth(stateFrom(UDP, ['out1']), 'out1', 'down'), 'out2', 'down')
  assert.equal(outputStateIn(state, 'out1'), 'disabled')
  assert.equal(outputStateIn(state, 'out2'), 'down')
  assert.equal(outputStateIn(state, 'out3'), 'up')
  assert.equal(outputStateIn(state, 'out4'), undefined)
})

test('the outputs a change moved: health, admin state, a new address or a new output; nothing else', () => {
  const before = stateFrom(UDP)
  assert.deepEqual(changedOutputs(before, before), [])
  assert.deepEqual(changedOutputs(before, withHealth(before, 'out2', 'down')), ['out2'])
  assert.deepEqual(changedOutputs(before, withHealth(before, 'out2', 'up')), [])
  assert.deepEqual(changedOutputs(before, withEnabled(before, ['out1', 'out3'], false)), ['out1', 'out3'])
  const readdressed = { ...before, properties: propertiesFrom(UDP.replace('out3=198.18.1.3', 'out3=198.18.1.33') + 'out4=198.18.1.4\n') }
  assert.deepEqual(changedOutputs(before, readdressed), ['out3', 'out4'])
})
