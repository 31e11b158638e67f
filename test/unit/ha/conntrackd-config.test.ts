import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { NetworkInterfaceInfo } from 'node:os'
import { CONNTRACKD_PORT, renderConntrackdConfig } from '../../../src/ha/conntrackd-config.js'
import { ownLinkAddress, type InterfaceAddress } from '../../../src/properties/link-address.js'
import type { HaSettings } from '../../../src/properties/model.js'
import { propertiesFrom } from '../../support/fixtures.js'

const FILES = { lockFile: '/run/l3lb/conntrackd.lock', socket: '/run/l3lb/conntrackd.ctl' }

function haOf (text: string): HaSettings {
  const ha = propertiesFrom(`mode=udp_roundrobin\nctl_addr=0.0.0.0\n${text}`).ha
  assert.ok(ha !== null)
  return ha
}

function lines (text: string): string[] {
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
}

function info (address: string, extra: Partial<NetworkInterfaceInfo> = {}): NetworkInterfaceInfo {
  const v4 = !address.includes(':')
  return { address, family: v4 ? 'IPv4' : 'IPv6', internal: false, netmask: v4 ? '255.255.255.0' : 'ffff:ffff:ffff:ffff::', mac: '02:00:00:00:00:01', cidr: null, ...(v4 ? {} : { scopeid: 0 }), ...extra } as NetworkInterfaceInfo
}

const PAIR = 'ctl_token=t0ken\nha_vip=198.18.0.100\nha_interface=to-lan\nha_peer=198.18.0.12\n'

test('FTFW over UDP unicast from this node to the peer on the VRRP link, every file where it is told', () => {
  const body = lines(renderConntrackdConfig(haOf(PAIR), '198.18.0.11', FILES))
  for (const expected of [
    'Mode FTFW {', 'UDP {', 'IPv4_address 198.18.0.11', 'IPv4_Destination_Address 198.18.0.12', `Port ${CONNTRACKD_PORT}`,
    'Interface to-lan', 'LockFile /run/l3lb/conntrackd.lock', 'Path /run/l3lb/conntrackd.ctl', 'StartupResync yes', 'LogFile off', 'Syslog off'
  ]) assert.ok(body.includes(expected), `no line '${expected}' in:\n${body.join('\n')}`)
  assert.ok(!body.some((line) => line.startsWith('Multicast')))
})

test('only UDP flows, and neither the nodes\' own nor the virtual addresses\' own', () => {
  const text = renderConntrackdConfig(haOf(PAIR + 'ha_out_vip=198.18.1.100 fd00:1b:1::100\nha_out_interface=to-be\n'), '198.18.0.11', FILES)
  const body = lines(text)
  const protocols = body.slice(body.indexOf('Protocol Accept {') + 1, body.indexOf('Protocol Accept {') + 3)
  assert.deepEqual(protocols, ['UDP', '}'])
  const start = body.indexOf('Address Ignore {')
  const ignored = body.slice(start + 1, body.indexOf('}', start))
  assert.deepEqual(ignored, [
    'IPv4_address 127.0.0.1', 'IPv4_address 198.18.0.11', 'IPv4_address 198.18.0.12', 'IPv4_address 198.18.0.100', 'IPv4_address 198.18.1.100',
    'IPv6_address ::1', 'IPv6_address fd00:1b:1::100'
  ])
})

test('an IPv6 link: the IPv6 keys', () => {
  const body = lines(renderConntrackdConfig(haOf('ctl_token=t0ken\nha_vip=fd00:1b::100\nha_interface=to-lan\nha_peer=fd00:1b::12\n'), 'fd00:1b::11', FILES))
  assert.ok(body.includes('IPv6_address fd00:1b::11'))
  assert.ok(body.includes('IPv6_Destination_Address fd00:1b::12'))
})

test('a local address of the other family, or a path conntrackd could not read, is refused', () => {
  assert.throws(() => renderConntrackdConfig(haOf(PAIR), 'fd00:1b::11', FILES), /different families/)
  assert.throws(() => renderConntrackdConfig(haOf(PAIR), '198.18.0.11', { ...FILES, socket: '/run/my l3lb/conntrackd.ctl' }), /cannot name "\/run\/my l3lb\/conntrackd.ctl"/)
})

test('this node\'s own address on the link: the peer\'s family, not a virtual (either side), link-local or internal address', () => {
  const ha = haOf(PAIR + 'ha_out_vip=198.18.1.100\nha_out_interface=to-be\n')
  const addresses = [info('127.0.0.1', { internal: true }), info('198.18.1.100'), info('198.18.0.100'), info('fe80::1'), info('198.18.0.11')] as InterfaceAddress[]
  assert.equal(ownLinkAddress(ha, addresses), '198.18.0.11')
  assert.equal(ownLinkAddress(ha, [info('198.18.0.100')] as InterfaceAddress[]), null)
  assert.equal(ownLinkAddress(ha, []), null)
  const v6 = haOf('ctl_token=t0ken\nha_vip=fd00:1b::100\nha_interface=to-lan\nha_peer=fd00:1b::12\n')
  assert.equal(ownLinkAddress(v6, [info('198.18.0.11'), info('fe80::1'), info('fd00:1b::100'), info('fd00:1b::11')] as InterfaceAddress[]), 'fd00:1b::11')
})
