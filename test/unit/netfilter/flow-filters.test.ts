import { test } from 'node:test'
import assert from 'node:assert/strict'
import { filterArgs, filtersOfFlows, flowFits, staticFilters, type FlowTarget } from '../../../src/netfilter/flow-filters.js'
import { parseUdpFlows } from '../../../src/netfilter/conntrack.js'

const port = (low: number, high = low): { low: number, high: number } => ({ low, high })
const VIP = '198.18.0.1'
const HOST = '198.18.5.1'
const sip: FlowTarget = { address: HOST, port: null, inAddrs: [VIP], ports: [port(5060), port(10000, 20000)] }

// conntrack -L lines: a client's flow to VIP:toPort, answered by `from`:replyPort
function line (client: string, to: string, toPort: number, from: string, replyPort: number): string {
  return `udp      17 29 src=${client} dst=${to} sport=40000 dport=${toPort} src=${from} dst=${client} sport=${replyPort} dport=40000 mark=0 use=1`
}

test('alone at its address: all its flows, one selection by address (as before services shared hosts)', () => {
  assert.deepEqual(staticFilters({ target: sip, keep: [] }), [{ address: HOST, replyPort: null, to: null, toPort: null }])
  // a server elsewhere does not count
  assert.deepEqual(staticFilters({ target: sip, keep: [{ ...sip, address: '198.18.5.2' }] })?.length, 1)
})

test('a server with a port of its own, beside another service at the same host on another port: its reply port tells them apart', () => {
  const own = { ...sip, port: 6000 }
  const other: FlowTarget = { address: HOST, port: 7000, inAddrs: [VIP], ports: [port(7000)] }
  assert.deepEqual(staticFilters({ target: own, keep: [other] }), [{ address: HOST, replyPort: 6000, to: null, toPort: null }])
  assert.deepEqual(filterArgs({ address: HOST, replyPort: 6000, to: null, toPort: null }), ['-p', 'udp', '--reply-src', HOST, '--reply-port-src', '6000'])
  // the other service's server receives on the client's port, which may be 6000: then the in address is needed
  const clientPort: FlowTarget = { address: HOST, port: null, inAddrs: ['198.18.0.2'], ports: [port(5000, 7000)] }
  assert.deepEqual(staticFilters({ target: own, keep: [clientPort] }), [{ address: HOST, replyPort: 6000, to: VIP, toPort: null }])
})

test('two services at one host on their own in addresses: one selection per in address, whatever their ports', () => {
  const other: FlowTarget = { address: HOST, port: null, inAddrs: ['198.18.0.2'], ports: [port(5060), port(10000, 20000)] }
  const twoAddresses = { ...sip, inAddrs: [VIP, '::ffff:198.18.0.3', 'fd00:1b::1'] }
  // the IPv4-mapped address arrives as IPv4; the IPv6 one is not the server's family
  assert.deepEqual(staticFilters({ target: twoAddresses, keep: [other] }), [
    { address: HOST, replyPort: null, to: VIP, toPort: null },
    { address: HOST, replyPort: null, to: '198.18.0.3', toPort: null }
  ])
  assert.deepEqual(filterArgs({ address: 'fd00:1b::5', replyPort: null, to: 'fd00:1b::1', toPort: 5060 }),
    ['-f', 'ipv6', '-p', 'udp', '--reply-src', 'fd00:1b::5', '--orig-dst', 'fd00:1b::1', '--orig-port-dst', '5060'])
})

test('two services on one in address (or every address), told apart by port only: null, then one selection per port in use', () => {
  const echo: FlowTarget = { address: HOST, port: null, inAddrs: [VIP], ports: [port(7100)] }
  assert.equal(staticFilters({ target: sip, keep: [echo] }), null)
  assert.equal(staticFilters({ target: { ...sip, inAddrs: [] }, keep: [{ ...echo, inAddrs: ['0.0.0.0'] }] }), null)
  const flows = parseUdpFlows([
    line('198.18.9.1', VIP, 5060, HOST, 5060),
    line('198.18.9.2', VIP, 5060, HOST, 5060),
    line('198.18.9.1', VIP, 12000, HOST, 12000),
    line('198.18.9.2', VIP, 12002, HOST, 12002),
    line('198.18.9.1', VIP, 7100, HOST, 7100),
    // another server's flows, and the host's own
    line('198.18.9.1', VIP, 5060, '198.18.5.2', 5060),
    line('198.18.9.1', HOST, 5060, HOST, 5060)
  ].join('\n'))
  // 3 selections for a range of 10,001 ports: the destinations in use, never the echo's 7100
  assert.deepEqual(filtersOfFlows({ target: sip, keep: [echo] }, flows), [
    { address: HOST, replyPort: null, to: VIP, toPort: 5060 },
    { address: HOST, replyPort: null, to: VIP, toPort: 12000 },
    { address: HOST, replyPort: null, to: VIP, toPort: 12002 }
  ])
  assert.deepEqual(filtersOfFlows({ target: echo, keep: [sip] }, flows), [{ address: HOST, replyPort: null, to: VIP, toPort: 7100 }])
})

test('a flow is the target\'s by where it was sent and where its replies come from', () => {
  const [flow] = parseUdpFlows(line('198.18.9.1', VIP, 5060, HOST, 5060))
  assert.ok(flow !== undefined)
  assert.equal(flowFits(sip, flow), true)
  assert.equal(flowFits({ ...sip, inAddrs: ['198.18.0.2'] }, flow), false)
  assert.equal(flowFits({ ...sip, inAddrs: ['0.0.0.0'] }, flow), true)
  assert.equal(flowFits({ ...sip, port: 6000 }, flow), false)
  assert.equal(flowFits({ ...sip, ports: [port(5061, 5070)] }, flow), false)
  assert.equal(flowFits({ ...sip, address: '198.18.5.2' }, flow), false)
})
