import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { renderKeepalivedConfig } from '../../../src/ha/keepalived-config.js'
import { ownLinkAddress, type InterfaceAddress } from '../../../src/properties/link-address.js'
import { HEALTH_CHECK_SCRIPT } from '../../../src/ha/keepalived.js'
import type { HaSettings } from '../../../src/properties/model.js'
import { propertiesFrom } from '../../support/fixtures.js'
import { namespaceName } from '../../support/run-id.js'

const CHECK = ['/bin/sh', HEALTH_CHECK_SCRIPT, '/usr/bin/socat', '/run/l3lb/haproxy.sock']

// `keepalived -t` wants an interface that exists and is not loopback: a dummy one in a
// namespace of the test's own, so the host's interfaces play no part
const IFACE = 'l3lb-vrrp0'

function haOf (text: string): HaSettings {
  const ha = propertiesFrom(text).ha
  assert.ok(ha !== null)
  return ha
}

function lines (text: string): string[] {
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
}

// keepalived -t exits non-zero on a configuration it cannot use
async function assertKeepalivedAccepts (text: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-keepalived-'))
  const ns = namespaceName(800, 'vrrp')
  try {
    writeFileSync(join(dir, 'keepalived.conf'), text)
    await execa('ip', ['netns', 'add', ns])
    await execa('ip', ['-n', ns, 'link', 'add', IFACE, 'type', 'veth', 'peer', 'name', 'l3lb-vrrp1'])
    const result = await execa('ip', ['netns', 'exec', ns, 'keepalived', '-t', '-f', join(dir, 'keepalived.conf')], { reject: false })
    assert.equal(result.exitCode, 0, `keepalived -t refused:\n${result.stderr}\n${text}`)
  } finally {
    await execa('ip', ['netns', 'del', ns], { reject: false })
    rmSync(dir, { recursive: true, force: true })
  }
}

test('a pair: BACKUP, nopreempt, unicast to the peer, the virtual address tracked by the HAProxy check', async () => {
  const text = renderKeepalivedConfig(haOf(`ctl_addr=0.0.0.0\nctl_token=t0ken\nha_vip=198.18.0.100\nha_interface=${IFACE}\nha_peer=198.18.0.12\nha_priority=150\nha_router_id=42\n`), { check: CHECK })
  const body = lines(text)
  for (const expected of [
    'state BACKUP', `interface ${IFACE}`, 'virtual_router_id 42', 'priority 150', 'advert_int 0.1', 'vrrp_version 3', 'vrrp_rt_priority 50', 'nopreempt',
    '198.18.0.12', `198.18.0.100/32 dev ${IFACE}`, 'l3lb_haproxy', 'script_user root', 'enable_script_security',
    `script "${CHECK.join(' ')}"`, 'interval 1', 'timeout 2', 'fall 2', 'rise 2'
  ]) assert.ok(body.includes(expected), `no line '${expected}' in:\n${text}`)
  assert.ok(!body.some((line) => line.startsWith('virtual_ipaddress_excluded')))
  await assertKeepalivedAccepts(text)
})

test('ha_preempt=on drops nopreempt', async () => {
  const text = renderKeepalivedConfig(haOf(`ctl_addr=0.0.0.0\nctl_token=t0ken\nha_vip=198.18.0.100\nha_interface=${IFACE}\nha_peer=198.18.0.12\nha_preempt=on\n`), { check: CHECK })
  assert.ok(!lines(text).includes('nopreempt'))
  await assertKeepalivedAccepts(text)
})

test('addresses of the other family than the peer go to virtual_ipaddress_excluded', async () => {
  const text = renderKeepalivedConfig(haOf(`ctl_addr=0.0.0.0\nctl_token=t0ken\nha_vip=fd00:1b::100 198.18.0.100\nha_interface=${IFACE}\nha_peer=198.18.0.12\n`), { check: CHECK })
  const body = lines(text)
  const excluded = body.indexOf('virtual_ipaddress_excluded {')
  assert.ok(excluded > 0, text)
  assert.ok(body.indexOf(`198.18.0.100/32 dev ${IFACE}`) < excluded)
  assert.equal(body[excluded + 1], `fd00:1b::100/128 dev ${IFACE}`)
  await assertKeepalivedAccepts(text)
})

test('a check command keepalived could not read back is refused, not written', () => {
  assert.throws(() => renderKeepalivedConfig(haOf(`ctl_addr=0.0.0.0\nctl_token=t0ken\nha_vip=198.18.0.100\nha_interface=${IFACE}\nha_peer=198.18.0.12\n`), { check: ['/usr/bin/node', '/tmp/my dir/check.js'] }), /"\/tmp\/my dir\/check.js" holds a blank/)
})

test('ha_out_vip: the outputs\' side addresses move with the instance on their own interface, unannounced', async () => {
  const text = renderKeepalivedConfig(haOf(`ctl_addr=0.0.0.0\nctl_token=t0ken\nha_vip=198.18.0.100\nha_interface=${IFACE}\nha_peer=198.18.0.12\nha_out_vip=198.18.1.100\nha_out_interface=l3lb-vrrp0\n`), { check: CHECK })
  const body = lines(text)
  const excluded = body.indexOf('virtual_ipaddress_excluded {')
  assert.ok(excluded > 0, text)
  assert.equal(body[excluded + 1], '198.18.1.100/32 dev l3lb-vrrp0')
  await assertKeepalivedAccepts(text)
})

test('a state-change command: notify_master with primary, notify_backup with backup; none without one', async () => {
  const ha = haOf(`ctl_addr=0.0.0.0\nctl_token=t0ken\nha_vip=198.18.0.100\nha_interface=${IFACE}\nha_peer=198.18.0.12\n`)
  const notify = [process.execPath, '/opt/l3lb/dist/src/ha/conntrackd-notify.js', '/run/l3lb/conntrackd.conf']
  const body = lines(renderKeepalivedConfig(ha, { check: CHECK, notify }))
  assert.ok(body.includes(`notify_master "${notify.join(' ')} primary"`), body.join('\n'))
  assert.ok(body.includes(`notify_backup "${notify.join(' ')} backup"`), body.join('\n'))
  assert.ok(!lines(renderKeepalivedConfig(ha, { check: CHECK })).some((line) => line.startsWith('notify')))
  assert.throws(() => renderKeepalivedConfig(ha, { check: CHECK, notify: ['/usr/bin/node', '/run/my "l3lb"/conntrackd.conf'] }), /state change command .* holds a blank, a quote or a backslash/)
  await assertKeepalivedAccepts(renderKeepalivedConfig(ha, { check: CHECK, notify }))
})

test('no check command (udp_roundrobin, no HAProxy): no vrrp_script and nothing tracked', async () => {
  const text = renderKeepalivedConfig(haOf(`ctl_addr=0.0.0.0\nctl_token=t0ken\nha_vip=198.18.0.100\nha_interface=${IFACE}\nha_peer=198.18.0.12\n`), { check: null })
  assert.doesNotMatch(text, /vrrp_script|track_script|l3lb_haproxy/)
  await assertKeepalivedAccepts(text)
})

test('the adverts come from the address the peer knows: unicast_src_ip, IPv6 included', async () => {
  const ha = haOf(`ctl_addr=::\nctl_token=t0ken\nha_vip=fd00:1b::100\nha_interface=${IFACE}\nha_peer=fd00:1b::12\n`)
  const text = renderKeepalivedConfig(ha, { check: CHECK, source: 'fd00:1b::11' })
  const body = lines(text)
  assert.equal(body[body.indexOf('unicast_peer {') - 1], 'unicast_src_ip fd00:1b::11', text)
  assert.ok(body.includes(`fd00:1b::100/128 dev ${IFACE}`), text)
  await assertKeepalivedAccepts(text)
  // no address known: keepalived's own default, as before
  assert.ok(!lines(renderKeepalivedConfig(ha, { check: CHECK })).some((line) => line.startsWith('unicast_src_ip')))
})

test('the source address is the node\'s own on the peer\'s subnet: not link-local, not virtual, of the peer\'s family', () => {
  const on = (address: string, prefix: number): InterfaceAddress => ({ address, family: address.includes(':') ? 'IPv6' : 'IPv4', cidr: `${address}/${prefix}` })
  const six = haOf(`ctl_addr=::\nctl_token=t0ken\nha_vip=fd00:1b::100 198.18.0.100\nha_interface=${IFACE}\nha_peer=fd00:1b::12\n`)
  const addresses = [on('198.18.0.11', 24), on('fe80::1', 64), on('fd00:1b::100', 128), on('fd00:1b:0:9::11', 64), on('fd00:1b::11', 64)]
  assert.equal(ownLinkAddress(six, addresses), 'fd00:1b::11')
  // off the peer's subnet, the node's first own address of the family still beats the link-local one
  assert.equal(ownLinkAddress(six, addresses.filter((entry) => entry.address !== 'fd00:1b::11')), 'fd00:1b:0:9::11')
  assert.equal(ownLinkAddress(six, [on('fe80::1', 64), on('fd00:1b::100', 128), on('198.18.0.11', 24)]), null)
  const four = haOf(`ctl_addr=0.0.0.0\nctl_token=t0ken\nha_vip=198.18.0.100 fd00:1b::100\nha_interface=${IFACE}\nha_peer=198.18.0.12\n`)
  assert.equal(ownLinkAddress(four, [on('198.18.0.100', 32), ...addresses]), '198.18.0.11')
  assert.equal(ownLinkAddress(four, []), null)
})
