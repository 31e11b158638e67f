import { test } from 'node:test'
import assert from 'node:assert/strict'
import { splitSetAndShow } from '../../../src/haproxy/runtime-api.js'

// HAProxy 2.6's answer to `set server b/s1 state maint;show servers state`, as read on its socket
const STATE = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state\n2 b 1 s1 127.0.0.1 0 1\n\n'

test('set server then show servers state in one answer: the set\'s blank answer, then the state text', () => {
  assert.deepEqual(splitSetAndShow(`\n${STATE}`), { setAnswer: '', stateText: STATE })
})

test('a refused set server: its message, and the state text after it', () => {
  assert.deepEqual(splitSetAndShow(`No such server.\n\n${STATE}`), { setAnswer: 'No such server.', stateText: STATE })
})

test('no state text in the answer: all of it is the set\'s', () => {
  assert.deepEqual(splitSetAndShow('Permission denied\n\n'), { setAnswer: 'Permission denied', stateText: '' })
})
