import { test } from 'node:test'
import assert from 'node:assert/strict'
import { renderHaproxyConfig } from '../../../src/render/haproxy-config.js'
import { renderIptablesRules } from '../../../src/render/iptables-rules.js'
import { nodeParts, renderNodeFiles } from '../../../src/render/node-files.js'
import { stateFrom, stateWithServices } from '../../support/fixtures.js'

const TCP_DEFAULT = 'mode=tcp_roundrobin\nports=80\nout1=198.18.1.2\n'
const UDP_DEFAULT = 'mode=udp_roundrobin\nports=5060\nin_addr=198.18.0.1\nout1=198.18.1.2\n'
const VOIP = 'mode=udp_roundrobin\nports=5070\nin_addr=198.18.0.2\nserver_a=198.18.5.1\n'
const WEB = 'mode=tcp_leastconn\nports=8081\nserver_w1=198.18.6.1:8080\n'

test('one part alone is printed as it is: haproxy.cfg for TCP services only, the rules for UDP ones only', () => {
  const tcp = stateWithServices(TCP_DEFAULT, { web: WEB })
  assert.equal(renderNodeFiles(tcp, 4), renderHaproxyConfig(tcp))
  const udp = stateWithServices(UDP_DEFAULT, { voip: VOIP })
  assert.equal(renderNodeFiles(udp, 4), renderIptablesRules(udp, 4))
  assert.equal(renderNodeFiles(udp, 6), renderIptablesRules(udp, 6))
  const seed = stateFrom(TCP_DEFAULT)
  assert.equal(renderNodeFiles(seed, 4), renderHaproxyConfig(seed))
})

test('a UDP service file beside a TCP default: haproxy.cfg, then the rules, each under a header naming its services', () => {
  const state = stateWithServices(TCP_DEFAULT, { voip: VOIP, web: WEB })
  const text = renderNodeFiles(state, 4)
  const haproxy = renderHaproxyConfig(state)
  const rules = renderIptablesRules(state, 4)
  assert.equal(text, [
    "# ===== haproxy.cfg: HAProxy's configuration (TCP services default, web) =====\n",
    haproxy,
    "\n# ===== iptables-restore --noflush input: the kernel's rules, IPv4 (UDP services voip) =====\n",
    rules
  ].join(''))
  assert.match(rules, /"service voip" -j L3LB-SPREAD-1/)
  assert.match(haproxy, /^backend web$/m)
  assert.match(renderNodeFiles(state, 6), /^# ===== ip6tables-restore --noflush input: the kernel's rules, IPv6 \(UDP services voip\) =====$/m)
})

test('a TCP service file beside a UDP default: both parts; a TCP default without outputs still runs HAProxy (the stats UI)', () => {
  const mixed = stateWithServices(UDP_DEFAULT, { web: WEB })
  assert.deepEqual(nodeParts(mixed), { haproxy: true, rules: true, tcp: ['web'], udp: ['default'] })
  const text = renderNodeFiles(mixed, 4)
  assert.ok(text.startsWith("# ===== haproxy.cfg: HAProxy's configuration (TCP services web) =====\n# Rendered by l3lb"), text.slice(0, 200))
  assert.ok(text.endsWith(renderIptablesRules(mixed, 4)))
  assert.match(text, /^# ===== iptables-restore --noflush input: the kernel's rules, IPv4 \(UDP services default\) =====$/m)
  const statsOnly = stateWithServices('mode=tcp_roundrobin\nports=80\n', { voip: VOIP })
  assert.deepEqual(nodeParts(statsOnly), { haproxy: true, rules: true, tcp: [], udp: ['voip'] })
  assert.match(renderNodeFiles(statsOnly, 4), /^# ===== haproxy\.cfg: HAProxy's configuration \(no TCP service listens, the stats UI only\) =====$/m)
  assert.deepEqual(nodeParts(stateWithServices('mode=udp_roundrobin\nports=5060\n', { voip: VOIP })), { haproxy: false, rules: true, tcp: [], udp: ['voip'] })
})
