import { test } from 'node:test'
import assert from 'node:assert/strict'
import { accept, validate } from '../../support/property-entries.js'
import type { PropertyProblem } from '../../../src/properties/model.js'
import { validateProperties, type HostAddresses } from '../../../src/properties/validate.js'

function reject (entries: Record<string, string>): ReadonlyArray<Pick<PropertyProblem, 'property' | 'message'>> {
  const result = validate(entries)
  assert.ok(!result.ok, `expected ${JSON.stringify(entries)} to be refused`)
  return result.problems.map(({ property, message }) => ({ property, message }))
}

// ctl_addr: the peer reaches this node's ctl service for the admin state sync, with the token
const PAIR = { ha_vip: '198.18.0.100', ha_interface: 'to-lan', ha_peer: '198.18.0.12', ctl_addr: '198.18.0.11', ctl_token: 't0ken' }

test('no ha_ property: no high availability, and in_addr is as given', () => {
  const properties = accept({ in_addr: '198.18.0.11' })
  assert.equal(properties.ha, null)
  assert.deepEqual(properties.inAddrs, ['198.18.0.11'])
})

test('a pair gets its defaults: priority 100, nopreempt, router id 51', () => {
  assert.deepEqual(accept(PAIR).ha, {
    virtualAddresses: ['198.18.0.100'],
    interface: 'to-lan',
    peer: '198.18.0.12',
    priority: 100,
    preempt: false,
    routerId: 51,
    outputVirtualAddresses: [],
    outputInterface: ''
  })
})

test('every ha_ property is read', () => {
  const ha = accept({ ...PAIR, ha_vip: '198.18.0.100, [fd00:1b::100]', ha_priority: '254', ha_preempt: 'on', ha_router_id: '255' }).ha
  assert.deepEqual(ha, { virtualAddresses: ['198.18.0.100', 'fd00:1b::100'], interface: 'to-lan', peer: '198.18.0.12', priority: 254, preempt: true, routerId: 255, outputVirtualAddresses: [], outputInterface: '' })
})

test('the virtual addresses join a non-empty in_addr once, and leave an empty one (every address) alone', () => {
  assert.deepEqual(accept({ ...PAIR, in_addr: '198.18.0.11 198.18.0.100' }).inAddrs, ['198.18.0.11', '198.18.0.100'])
  assert.deepEqual(accept({ ...PAIR, in_addr: '198.18.0.11' }).inAddrs, ['198.18.0.11', '198.18.0.100'])
  assert.deepEqual(accept(PAIR).inAddrs, [])
})

test('ha_vip needs ha_interface and ha_peer, and they need it', () => {
  assert.deepEqual(reject({ ha_vip: '198.18.0.100', ctl_addr: '0.0.0.0', ctl_token: 't0ken' }), [
    { property: 'ha_interface', message: '"" is not accepted: ha_vip is set, so ha_interface must name the interface VRRP runs on (the link to the peer and the clients)' },
    { property: 'ha_peer', message: '"" is not accepted: ha_vip is set, so ha_peer must give the other node\'s address on the VRRP link' }
  ])
  assert.deepEqual(reject({ ha_peer: '198.18.0.12', ha_interface: 'eth0' }), [
    { property: 'ha_vip', message: '"" is not accepted: ha_interface and ha_peer are set, so ha_vip must give the virtual address(es) of the in terminal (leave every ha_ property empty for no high availability)' }
  ])
})

test('addresses a host cannot own are refused as virtual or peer addresses', () => {
  for (const bad of ['0.0.0.0', '::', '127.0.0.1', '::1', '169.254.1.1', 'fe80::1', '::ffff:198.18.0.1']) {
    const problems = reject({ ...PAIR, ha_vip: bad, ha_peer: '198.18.0.12' })
    assert.equal(problems[0]?.property, 'ha_vip', bad)
    assert.match(problems[0]?.message ?? '', /is not accepted: give an IPv4 or IPv6 address this host or its peer can own/)
    assert.equal(reject({ ...PAIR, ha_peer: bad })[0]?.property, 'ha_peer', bad)
  }
  assert.match(reject({ ...PAIR, ha_vip: 'lb.example' })[0]?.message ?? '', /"lb.example" is not accepted/)
})

test('ha_interface takes interface names only', () => {
  for (const good of ['eth0', 'to-lan', 'bond0.100', 'br_1', 'a'.repeat(15)]) assert.equal(accept({ ...PAIR, ha_interface: good }).ha?.interface, good)
  for (const bad of ['a'.repeat(16), 'eth 0', 'eth0;', 'x"y', '..', '-x', 'eth0@if3']) {
    assert.deepEqual(reject({ ...PAIR, ha_interface: bad }).map((problem) => problem.property), ['ha_interface'], bad)
  }
})

test('priority, preempt and router id have their ranges', () => {
  for (const [name, bad] of [['ha_priority', '0'], ['ha_priority', '255'], ['ha_router_id', '0'], ['ha_router_id', '256'], ['ha_preempt', 'yes']] as const) {
    const problems = reject({ ...PAIR, [name]: bad })
    assert.deepEqual(problems.map((problem) => problem.property), [name])
    assert.match(problems[0]?.message ?? '', new RegExp(`^"${bad}" is not accepted: `))
  }
})

test('VRRP runs in the peer\'s family: a virtual address of that family is needed', () => {
  assert.deepEqual(reject({ ...PAIR, ha_vip: 'fd00:1b::100' }), [
    { property: 'ha_vip', message: '"fd00:1b::100" is not accepted: VRRP runs in the family of ha_peer (IPv4), so at least one virtual address must be IPv4' }
  ])
  assert.equal(reject({ ...PAIR, ha_peer: '198.18.0.100' })[0]?.property, 'ha_peer')
})

test('tcp_source with a pair: peer_addr must be this node\'s own address, of the peer\'s family', () => {
  const ok = accept({ ...PAIR, mode: 'tcp_source', peer_addr: '198.18.0.11' })
  assert.equal(ok.peerAddr, '198.18.0.11')
  for (const [bad, reason] of [
    ['127.0.0.1', /not unspecified or loopback/],
    ['0.0.0.0', /not unspecified or loopback/],
    ['fd00:1b::11', /of the family of ha_peer \(IPv4\)/],
    ['198.18.0.12', /not ha_peer nor a virtual address/],
    ['198.18.0.100', /not ha_peer nor a virtual address/]
  ] as const) {
    const problems = reject({ ...PAIR, mode: 'tcp_source', peer_addr: bad })
    assert.deepEqual(problems.map((problem) => problem.property), ['peer_addr'], bad)
    assert.match(problems[0]?.message ?? '', new RegExp(`^"${bad.replace(/\./g, '\\.')}" is not accepted: with ha_vip in tcp_source, `))
    assert.match(problems[0]?.message ?? '', reason)
  }
  // the peers listener exists in tcp_source only: elsewhere the default is fine
  assert.equal(accept({ ...PAIR, mode: 'tcp_roundrobin' }).peerAddr, '127.0.0.1')
})

test('a virtual address takes part in the in listener\'s overlap check', () => {
  const problems = reject({ ...PAIR, in_addr: '198.18.0.11', ctl_addr: '198.18.0.100', ctl_port: '80' })
  assert.equal(problems[0]?.property, 'ports')
  assert.match(problems[0]?.message ?? '', /both listen on port 80/)
})

test('with ha_vip, ctl_addr must be reachable by the peer: loopback is refused, the own address or a wildcard accepted', () => {
  for (const loopback of ['127.0.0.1', '127.5.0.1', '::1']) {
    assert.deepEqual(reject({ ...PAIR, ctl_addr: loopback }), [{
      property: 'ctl_addr',
      message: `"${loopback}" is not accepted: with ha_vip, the peer node sends its ctl admin state to this node's ctl service at ha_peer's address and the same ctl_port, so ctl_addr must be this node's own address on the link (the one the peer names in its ha_peer) or 0.0.0.0 / ::, not loopback`
    }])
  }
  for (const reachable of ['198.18.0.11', '0.0.0.0', '::']) assert.equal(accept({ ...PAIR, ctl_addr: reachable }).ctlAddr, reachable)
  // without HA the default stays as it was
  assert.equal(accept({}).ctlAddr, '127.0.0.1')
})

test('ha_out_vip and ha_out_interface: the outputs\' side virtual addresses and their interface', () => {
  const ha = accept({ ...PAIR, mode: 'udp_roundrobin', ha_out_vip: '198.18.1.100,[fd00:1b:1::100]', ha_out_interface: 'to-be' }).ha
  assert.deepEqual([ha?.outputVirtualAddresses, ha?.outputInterface], [['198.18.1.100', 'fd00:1b:1::100'], 'to-be'])
})

test('ha_out_vip needs ha_out_interface and ha_vip, ha_out_interface needs ha_out_vip, and they do not clash', () => {
  assert.deepEqual(reject({ ...PAIR, ha_out_vip: '198.18.1.100' }), [
    { property: 'ha_out_interface', message: '"" is not accepted: ha_out_vip is set, so ha_out_interface must name the interface towards the outputs, where those addresses are put' }
  ])
  assert.deepEqual(reject({ ...PAIR, ha_out_interface: 'to-be' }), [
    { property: 'ha_out_interface', message: '"to-be" is not accepted: ha_out_vip is empty, so there is no virtual address to put on it (leave ha_out_interface empty, or set ha_out_vip)' }
  ])
  assert.deepEqual(reject({ ha_out_vip: '198.18.1.100', ha_out_interface: 'to-be' }).map((problem) => problem.property), ['ha_vip'])
  assert.deepEqual(reject({ ...PAIR, ha_out_vip: '198.18.0.100', ha_out_interface: 'to-be' }), [
    { property: 'ha_out_vip', message: '"198.18.0.100" is not accepted: 198.18.0.100 is also in ha_vip or is ha_peer; give addresses of the outputs\' side that only this pair uses' }
  ])
  assert.match(reject({ ...PAIR, ha_out_vip: '127.0.0.1', ha_out_interface: 'to-be' })[0]?.message ?? '', /empty = no virtual address on the outputs' side/)
})

test('udp_roundrobin in a pair without ha_out_vip is accepted with a warning: replies of carried-over flows would go to the failed node', () => {
  const result = validate({ ...PAIR, mode: 'udp_roundrobin', out1: '198.18.1.101' })
  assert.ok(result.ok)
  assert.ok(result.warnings.some((warning) => warning.startsWith('ha_out_vip: empty, so after a failover the replies of the UDP flows carried over go to the failed node (udp_snat=on masquerades')), result.warnings.join('\n'))
  const fine = validate({ ...PAIR, mode: 'udp_roundrobin', out1: '198.18.1.101', ha_out_vip: '198.18.1.100', ha_out_interface: 'to-be' })
  assert.ok(fine.ok && !fine.warnings.some((warning) => warning.startsWith('ha_out_vip')))
})

// this node's interfaces: its own address, the virtual one it may hold, a link-local one
const HOST: HostAddresses = {
  interfaceAddresses: (name) => name !== 'to-lan'
    ? []
    : [
        { address: '198.18.0.100', family: 'IPv4', cidr: '198.18.0.100/32' },
        { address: 'fe80::1', family: 'IPv6', cidr: 'fe80::1/64' },
        { address: '198.18.0.11', family: 'IPv4', cidr: '198.18.0.11/24' }
      ]
}
const THREE = { ha_vip: '198.18.0.100', ha_interface: 'to-lan', ha_peer: '198.18.0.12', ctl_token: 't0ken' }

test('a pair from its three properties: ctl_addr and peer_addr default to this node\'s own address on ha_interface', () => {
  const result = validateProperties(new Map(Object.entries({ ...THREE, mode: 'tcp_source' })), HOST)
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.problems))
  assert.deepEqual([result.properties.ctlAddr, result.properties.peerAddr], ['198.18.0.11', '198.18.0.11'])
  // an explicit value still wins, and is still checked
  const own = validateProperties(new Map(Object.entries({ ...THREE, ctl_addr: '0.0.0.0' })), HOST)
  assert.ok(own.ok && own.properties.ctlAddr === '0.0.0.0')
  const loopback = validateProperties(new Map(Object.entries({ ...THREE, ctl_addr: '127.0.0.1' })), HOST)
  assert.deepEqual(loopback.ok ? [] : loopback.problems.map((problem) => problem.property), ['ctl_addr'])
  // without ha_vip nothing is derived
  const alone = validateProperties(new Map(), HOST)
  assert.ok(alone.ok && alone.properties.ctlAddr === '127.0.0.1' && alone.properties.peerAddr === '127.0.0.1')
})

test('no own address on ha_interface: the properties that needed one are refused, naming the interface and the family', () => {
  const problems = (entries: Record<string, string>): PropertyProblem[] => {
    const result = validateProperties(new Map(Object.entries(entries)), HOST)
    assert.ok(!result.ok)
    return [...result.problems]
  }
  const message = (name: string, iface: string, family: string): string => `"" is not accepted: ${name} is not given, so with ha_vip it is this node's own address on ha_interface "${iface}", but that interface has no ${family} address (ha_peer's family) that is neither virtual nor link-local; give ${name} this node's address on the link, or put one on ${iface}`
  assert.deepEqual(problems({ ...THREE, ha_interface: 'eth9', mode: 'tcp_source' }).map(({ property, message }) => ({ property, message })), [
    { property: 'ctl_addr', message: message('ctl_addr', 'eth9', 'IPv4') },
    { property: 'peer_addr', message: message('peer_addr', 'eth9', 'IPv4') }
  ])
  // an IPv6 peer: the link-local address is not this node's own
  assert.deepEqual(problems({ ...THREE, ha_vip: 'fd00:1b::100', ha_peer: 'fd00:1b::12' }).map(({ property, message }) => ({ property, message })), [
    { property: 'ctl_addr', message: message('ctl_addr', 'to-lan', 'IPv6') }
  ])
})

test('with ha_vip, ctl_token is required: the refusal says how to make one', () => {
  const { ctl_token: _token, ...withoutToken } = PAIR
  assert.deepEqual(reject(withoutToken), [{
    property: 'ctl_token',
    message: '"" is not accepted: with ha_vip the ctl service listens on the network (ctl_addr "198.18.0.11", port 8080) and carries the pair\'s settings and admin state, so ctl_token must be set, the same on both nodes; make one with  od -An -tx1 -N24 /dev/urandom | tr -d \' \\n\'  and put ctl_token=<it> in both env files'
  }])
  assert.ok(validate({}).ok, 'without ha_vip no token is needed')
})
