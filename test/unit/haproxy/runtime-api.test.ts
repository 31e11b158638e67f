import { test } from 'node:test'
import assert from 'node:assert/strict'
import { splitSetAndShow, withBackendState } from '../../../src/haproxy/runtime-api.js'

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

const FILE = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state\n2 outputs 1 out1 198.18.1.2 2 0\n3 web 1 a 198.18.5.1 2 0\n3 web 2 b 198.18.5.2 2 0\n4 api 1 x 198.18.5.3 2 0\n'
const WEB_NOW = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state\n3 web 1 a 198.18.5.1 0 1\n3 web 2 b 198.18.5.2 2 0\n'

test('one backend\'s servers state put in the file where its lines were, every other line as it was', () => {
  assert.equal(withBackendState(FILE, WEB_NOW, 'web'), '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state\n2 outputs 1 out1 198.18.1.2 2 0\n3 web 1 a 198.18.5.1 0 1\n3 web 2 b 198.18.5.2 2 0\n4 api 1 x 198.18.5.3 2 0\n')
  // a backend the file did not have yet: at the end
  const shop = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state\n5 shop 1 s 198.18.5.9 2 0\n'
  assert.match(withBackendState(FILE, shop, 'shop') ?? '', /4 api 1 x 198\.18\.5\.3 2 0\n5 shop 1 s 198\.18\.5\.9 2 0\n$/)
})

test('nothing to build on (the file cleared at a start) or another format: null, and the whole state is asked', () => {
  assert.equal(withBackendState('1\n', WEB_NOW, 'web'), null)
  assert.equal(withBackendState(FILE, '1\n# be_id be_name srv_id srv_name\n3 web 1 a\n', 'web'), null)
})
