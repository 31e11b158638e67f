import { test } from 'node:test'
import assert from 'node:assert/strict'
import { NetfilterPath, type Netfilter } from '../../../src/reconcile/netfilter-path.js'
import { withDisabled, withDraining, withHealth } from '../../../src/state/desired.js'
import { fileServerKey as serverKey } from '../../../src/state/server-key.js'
import { stateWithServices } from '../../support/fixtures.js'

const TCP_DEFAULT = 'mode=tcp_roundrobin\nports=80\nout1=198.18.1.2\n'
const SIP = 'mode=udp_source\nports=5060\nin_addr=198.18.0.1\nserver_a=198.18.5.1\nserver_b=198.18.5.2\nserver_c=198.18.5.3 weight=2\n'

// A netfilter that applies nothing and records whose flows were forgotten.
function recording (): { netfilter: Netfilter, forgotten: string[] } {
  const forgotten: string[] = []
  return {
    forgotten,
    netfilter: {
      apply: async () => {},
      remove: async () => {},
      enableForwarding: async () => {},
      forgetFlowsTo: async (address) => { forgotten.push(address); return 0 }
    }
  }
}

test('udp_source: a leaver\'s flows are forgotten; on its return, those of the servers that held its buckets, so its clients come back', async () => {
  const { netfilter, forgotten } = recording()
  const path = new NetfilterPath(netfilter)
  const state = stateWithServices(TCP_DEFAULT, { sip: SIP })
  await path.apply(state)
  const without = withDisabled(state, [serverKey('sip', 'b')])
  await path.apply(without)
  assert.deepEqual(forgotten, ['198.18.5.2'])
  forgotten.length = 0
  await path.apply(withDisabled(without, []))
  // a and c held b's buckets: their flows go through the hash again, and only b's clients move
  assert.deepEqual(forgotten.sort(), ['198.18.5.1', '198.18.5.3'])
})

test('udp_source: a draining server keeps its flows, and so do the others; a server found down loses its own', async () => {
  const { netfilter, forgotten } = recording()
  const path = new NetfilterPath(netfilter)
  const state = stateWithServices(TCP_DEFAULT, { sip: SIP })
  await path.apply(state)
  const draining = withDraining(state, [serverKey('sip', 'c')])
  await path.apply(draining)
  assert.deepEqual(forgotten, [])
  // a leaves while c drains: a's buckets go to b, c keeps its flows
  await path.apply(withHealth(draining, serverKey('sip', 'a'), 'down'))
  assert.deepEqual(forgotten, ['198.18.5.1'])
})

test('udp_roundrobin services are as they were: a returner takes new flows only, nothing is forgotten', async () => {
  const { netfilter, forgotten } = recording()
  const path = new NetfilterPath(netfilter)
  const state = stateWithServices(TCP_DEFAULT, { sip: SIP.replace('udp_source', 'udp_roundrobin') })
  await path.apply(state)
  const without = withDisabled(state, [serverKey('sip', 'b')])
  await path.apply(without)
  await path.apply(withDisabled(without, []))
  assert.deepEqual(forgotten, ['198.18.5.2'])
})
