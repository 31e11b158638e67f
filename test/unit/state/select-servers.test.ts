import { test } from 'node:test'
import assert from 'node:assert/strict'
import { selectServers } from '../../../src/state/select-servers.js'
import { serverKey, sortedKeys } from '../../../src/state/server-key.js'
import { stateWithServices } from '../../support/fixtures.js'

const state = stateWithServices('out1=198.18.1.2\nout2=198.18.2.2\n', {
  web: 'ports=8081\nserver_a=198.18.1.2\nserver_b=fd00:1b::5\n',
  app: 'ports=8082\nout1=198.18.2.2\nserver_c=198.18.1.2\n'
})
const keys = (selected: ReturnType<typeof selectServers>): string[] | null => selected === null ? null : selected.map((server) => server.key)

test('a channel is the env file\'s own without a service, and that service\'s with one', () => {
  assert.deepEqual(keys(selectServers(state, { channel: 'out1' })), ['out1'])
  assert.deepEqual(keys(selectServers(state, { channel: 'out1', service: 'app' })), ['app/out1'])
  assert.deepEqual(keys(selectServers(state, { channel: 'a', service: 'web' })), ['web/a'])
  assert.deepEqual(keys(selectServers(state, { channel: 'a' })), [], 'the env file has no server a')
  assert.equal(selectServers(state, { channel: 'a', service: 'nope' }), null)
})

test('an address is every service\'s without a service, that one\'s with one; any spelling of it', () => {
  assert.deepEqual(keys(selectServers(state, { address: '198.18.1.2' })), ['out1', 'app/c', 'web/a'])
  assert.deepEqual(keys(selectServers(state, { address: '198.18.1.2', service: 'web' })), ['web/a'])
  assert.deepEqual(keys(selectServers(state, { address: 'fd00:1b:0::5' })), ['web/b'])
  assert.deepEqual(keys(selectServers(state, { address: '198.18.2.2', service: 'default' })), ['out2'])
})

test('server keys: outN as the seed named them, service/server for a service file\'s; outputs first', () => {
  assert.equal(serverKey('default', 'out2'), 'out2')
  assert.equal(serverKey('web', 'web1'), 'web/web1')
  assert.deepEqual(sortedKeys(['web/b', 'out3', 'app/a', 'out1']), ['out1', 'out3', 'app/a', 'web/b'])
})
