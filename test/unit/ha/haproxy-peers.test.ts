import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { installConfigFile } from '../../../src/haproxy/config-file.js'
import { haPeerName, localPeerName, renderHaproxyConfig } from '../../../src/render/haproxy-config.js'
import { propertiesFrom, stateFrom } from '../../support/fixtures.js'

const OUTPUTS = 'out1=198.18.1.101\nout3=198.18.1.103\n'
const PAIR = 'ctl_addr=0.0.0.0\nctl_token=t0ken\nha_vip=198.18.0.100\nha_interface=to-lan\nha_peer=198.18.0.12\npeer_addr=198.18.0.11\n'

function lines (text: string, pattern: RegExp): string[] {
  return text.split('\n').map((line) => line.trim()).filter((line) => pattern.test(line))
}

test('tcp_source in a pair: the peers section names this node and the other one, alike on both', async () => {
  const text = renderHaproxyConfig(stateFrom(`mode=tcp_source\nin_addr=198.18.0.11\n${OUTPUTS}${PAIR}`))
  assert.deepEqual(lines(text, /^peer /), ['peer l3lb_198_18_0_11 198.18.0.11:8405', 'peer l3lb_198_18_0_12 198.18.0.12:8405'])
  // the other node's file, with the addresses swapped, names the same two peers
  const other = renderHaproxyConfig(stateFrom(`mode=tcp_source\nin_addr=198.18.0.12\n${OUTPUTS}ctl_addr=0.0.0.0\nctl_token=t0ken\nha_vip=198.18.0.100\nha_interface=to-lan\nha_peer=198.18.0.11\npeer_addr=198.18.0.12\n`))
  assert.deepEqual(lines(other, /^peer /).sort(), lines(text, /^peer /).sort())
  assert.deepEqual(lines(text, /^stick-table/), ['stick-table type ipv6 size 1m expire 30m peers l3lb_peers'])
  // the table stores server ids: both nodes give each output the id of its N
  assert.deepEqual(lines(text, /^server out/), ['server out1 198.18.1.101 id 1', 'server out3 198.18.1.103 id 3'])
  // the virtual address is bound beside the node's own (non-locally on the standby)
  assert.deepEqual(lines(text, /^bind 198/), ['bind 198.18.0.11:80', 'bind 198.18.0.100:80'])
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-ha-render-'))
  try {
    await installConfigFile(text, join(dir, 'haproxy.cfg'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the local peer name: the peers address in a pair, whatever the mode (a service file may share a table), l3lb otherwise', () => {
  assert.equal(localPeerName(propertiesFrom(`mode=tcp_source\n${PAIR}`)), 'l3lb_198_18_0_11')
  assert.equal(localPeerName(propertiesFrom(`mode=tcp_roundrobin\n${PAIR}`)), 'l3lb_198_18_0_11')
  assert.equal(localPeerName(propertiesFrom('mode=tcp_source\n')), 'l3lb')
  assert.equal(haPeerName('fd00:1b::11'), 'l3lb_fd00_1b__11')
})

test('without ha_ properties the configuration is the same as before: no remote peer, no server ids', () => {
  const text = renderHaproxyConfig(stateFrom(`mode=tcp_source\n${OUTPUTS}`))
  assert.deepEqual(lines(text, /^peer /), ['peer l3lb 127.0.0.1:8405'])
  assert.deepEqual(lines(text, /^server out/), ['server out1 198.18.1.101', 'server out3 198.18.1.103'])
  assert.doesNotMatch(text, /the other node of the HA pair/)
})

test('tcp_roundrobin in a pair: no peers section, the virtual address bound with the rest', () => {
  const text = renderHaproxyConfig(stateFrom(`mode=tcp_roundrobin\nin_addr=198.18.0.11\n${OUTPUTS}${PAIR}`))
  assert.deepEqual(lines(text, /^peers? /), [])
  assert.deepEqual(lines(text, /^bind 198/), ['bind 198.18.0.11:80', 'bind 198.18.0.100:80'])
})
