import { test } from 'node:test'
import assert from 'node:assert/strict'
import { flowsToForget } from '../../../src/reconcile/flows-to-forget.js'
import { withDisabled, withDraining, withHealth } from '../../../src/state/desired.js'
import { fileServerKey as serverKey } from '../../../src/state/server-key.js'
import { stateWithServices } from '../../support/fixtures.js'

const TCP_DEFAULT = 'mode=tcp_roundrobin\nports=80\nout1=198.18.1.2\n'
const checks = 'healthcheck_kind=udp\nhealthcheck_send=ping\n'
// two services on one in address sharing host 198.18.5.1, each with a host of its own
const ALPHA = `mode=udp_roundrobin\nports=7100\nin_addr=198.18.0.1\nserver_a=198.18.5.1\nserver_b=198.18.5.2\n${checks}`
const BETA = `mode=udp_roundrobin\nports=7200\nin_addr=198.18.0.1\nserver_a=198.18.5.1\nserver_b=198.18.5.3\n${checks}`

test('a shared host down in one service only: that service\'s flows there go, the other\'s stay', () => {
  const state = stateWithServices(TCP_DEFAULT, { alpha: ALPHA, beta: BETA })
  const forgotten = flowsToForget(state, withHealth(state, serverKey('alpha', 'a'), 'down'))
  assert.deepEqual(forgotten, [{
    address: '198.18.5.1',
    only: {
      target: { address: '198.18.5.1', port: null, inAddrs: ['198.18.0.1'], ports: [{ low: 7100, high: 7100 }] },
      keep: [{ address: '198.18.5.1', port: null, inAddrs: ['198.18.0.1'], ports: [{ low: 7200, high: 7200 }] }]
    }
  }])
})

test('a shared host down in both services: one deletion by address; a host of its own: by address too', () => {
  const state = stateWithServices(TCP_DEFAULT, { alpha: ALPHA, beta: BETA })
  const bothDown = withHealth(withHealth(state, serverKey('alpha', 'a'), 'down'), serverKey('beta', 'a'), 'down')
  assert.deepEqual(flowsToForget(state, bothDown), [{ address: '198.18.5.1' }])
  assert.deepEqual(flowsToForget(state, withDisabled(state, [serverKey('beta', 'b')])), [{ address: '198.18.5.3' }])
  // then the second service's server there goes too: nothing else uses the address any more
  const one = withHealth(state, serverKey('alpha', 'a'), 'down')
  assert.deepEqual(flowsToForget(one, bothDown), [{ address: '198.18.5.1' }])
})

test('draining in the other service keeps its flows there; draining in its own forgets nothing', () => {
  const state = stateWithServices(TCP_DEFAULT, { alpha: ALPHA, beta: BETA })
  const draining = withDraining(state, [serverKey('beta', 'a')])
  assert.deepEqual(flowsToForget(state, draining), [])
  const forgotten = flowsToForget(draining, withHealth(draining, serverKey('alpha', 'a'), 'down'))
  assert.equal(forgotten.length, 1)
  assert.deepEqual(forgotten[0]?.only?.keep.map((target) => target.ports), [[{ low: 7200, high: 7200 }]])
})

test('default\'s outputs in udp_roundrobin share a host with a service: each forgets its own', () => {
  const env = 'mode=udp_roundrobin\nports=5060\nin_addr=198.18.0.1\nout1=198.18.5.1\nout2=198.18.5.4\n'
  const state = stateWithServices(env, { beta: BETA })
  const [entry] = flowsToForget(state, withDisabled(state, ['out1']))
  assert.deepEqual(entry?.only?.target.ports, [{ low: 5060, high: 5060 }])
  assert.deepEqual(entry?.only?.keep.map((target) => target.ports), [[{ low: 7200, high: 7200 }]])
  const [server] = flowsToForget(state, withHealth(state, serverKey('beta', 'a'), 'down'))
  assert.deepEqual(server?.only?.keep.map((target) => target.ports), [[{ low: 5060, high: 5060 }]])
})

test('udp_source: a returner takes back its clients from the givers in its own service only', () => {
  const SIP = 'mode=udp_source\nports=5060\nin_addr=198.18.0.1\nserver_a=198.18.5.1\nserver_b=198.18.5.2\nserver_c=198.18.5.3 weight=2\n'
  const state = stateWithServices(TCP_DEFAULT, { alpha: ALPHA, sip: SIP })
  const without = withDisabled(state, [serverKey('sip', 'b')])
  const back = flowsToForget(without, state)
  // a (at the host alpha shares) and c gave b's buckets back: a only in sip, c by address
  const shared = back.find((entry) => entry.address === '198.18.5.1')
  assert.deepEqual(shared?.only?.target.ports, [{ low: 5060, high: 5060 }])
  assert.deepEqual(shared?.only?.keep.map((target) => target.ports), [[{ low: 7100, high: 7100 }]])
  assert.deepEqual(back.find((entry) => entry.address === '198.18.5.3'), { address: '198.18.5.3' })
  assert.equal(back.length, 2)
})
