import { test } from 'node:test'
import assert from 'node:assert/strict'
import { flowsPerServer, udpFamilies, udpTargets } from '../../../src/counters/udp-flows.js'
import { parseUdpFlows } from '../../../src/netfilter/conntrack.js'
import { stateWithServices } from '../../support/fixtures.js'

test('conntrack -L lines: the original direction\'s destination and the reply\'s source, IPv4 and IPv6', () => {
  const text = [
    'udp      17 29 src=198.18.0.2 dst=198.18.0.1 sport=40274 dport=5060 [UNREPLIED] src=198.18.5.1 dst=198.18.0.2 sport=5060 dport=40274 mark=0 use=1',
    'udp      17 170 src=fd00:1b::2 dst=fd00:1b::1 sport=5000 dport=7000 src=fd00:1b:0:5::1 dst=fd00:1b::2 sport=6000 dport=5000 [ASSURED] mark=0 use=1',
    'conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.',
    ''
  ].join('\n')
  assert.deepEqual(parseUdpFlows(text), [
    { to: '198.18.0.1', toPort: 5060, replyFrom: '198.18.5.1', replyFromPort: 5060 },
    { to: 'fd00:1b::1', toPort: 7000, replyFrom: 'fd00:1b:0:5::1', replyFromPort: 6000 }
  ])
})

test('two UDP services sharing a server address count apart, by the port the client sent to and the server\'s port', () => {
  const state = stateWithServices('mode=udp_roundrobin\nports=9000-9001\nout1=198.18.5.1\nout2=198.18.5.3\n', {
    sip: 'mode=udp_roundrobin\nports=5060\nserver_a=198.18.5.1\nserver_b=198.18.5.2\n',
    media: 'mode=udp_roundrobin\nports=7000\nin_addr=198.18.0.7\nserver_x=198.18.5.1:6000\nserver_y=198.18.5.2:6001\n',
    media6: 'mode=udp_roundrobin\nports=7000\nin_addr=fd00:1b::1\nserver_z=[fd00:1b::5]:6000\n'
  })
  const targets = udpTargets(state)
  assert.deepEqual(targets.map((target) => target.key), ['out1', 'out2', 'media/x', 'media/y', 'media6/z', 'sip/a', 'sip/b'])
  assert.deepEqual(udpFamilies(targets), [4, 6])
  const flow = (to: string, toPort: number, replyFrom: string, replyFromPort: number) => ({ to, toPort, replyFrom, replyFromPort })
  const counts = flowsPerServer(targets, [
    flow('198.18.0.1', 5060, '198.18.5.1', 5060),
    flow('198.18.0.1', 9001, '198.18.5.1', 9001),
    flow('198.18.0.1', 9000, '198.18.5.1', 9000),
    flow('198.18.0.7', 7000, '198.18.5.1', 6000),
    // media/y receives on 6001
    flow('198.18.0.7', 7000, '198.18.5.2', 6000),
    flow('fd00:1b:0::1', 7000, 'FD00:1B::5', 6000),
    // media listens on 198.18.0.7 only
    flow('198.18.0.1', 7000, '198.18.5.1', 6000),
    // not forwarded: the host's own flow to a server
    flow('198.18.5.1', 5060, '198.18.5.1', 5060)
  ])
  assert.deepEqual(Object.fromEntries(counts), { out1: 2, out2: 0, 'media/x': 1, 'media/y': 0, 'media6/z': 1, 'sip/a': 1, 'sip/b': 0 })
})
