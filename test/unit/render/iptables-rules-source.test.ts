import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BUCKETS } from '../../../src/properties/udp-buckets.js'
import { renderIptablesRules } from '../../../src/render/iptables-rules.js'
import { withDisabled, withHealth, type DesiredState } from '../../../src/state/desired.js'
import { fileServerKey as serverKey } from '../../../src/state/server-key.js'
import { loadProperties } from '../../../src/properties/load.js'
import { stateWithServices } from '../../support/fixtures.js'

const TCP_DEFAULT = 'mode=tcp_roundrobin\nports=80\nout1=198.18.1.2\n'
const SIP = 'mode=udp_source\nports=5060 10000-10010\nin_addr=198.18.0.1\nserver_a=198.18.5.1\nserver_b=198.18.5.2\nserver_c=198.18.5.3 weight=2\nserver_spare=198.18.5.9 backup\n'

function lines (...text: string[]): string {
  return text.join('\n') + '\n'
}

// Each bucket's destination as the kernel walks the chain: HMARK sets the mark to the bucket, the first mark rule that matches DNATs.
function walk (text: string, chain: string): Array<string | null> {
  const rules = text.split('\n').filter((line) => line.startsWith(`-A ${chain} `))
  assert.equal(rules[0], `-A ${chain} -j HMARK --hmark-tuple src --hmark-mod ${BUCKETS} --hmark-rnd 0x4c334c42`)
  const marks = rules.slice(1).map((rule) => {
    const match = /^-A \S+ -p udp -m mark --mark (0x[0-9a-f]+)\/(0x[0-9a-f]+) -j DNAT --to-destination (\S+)$/.exec(rule)
    assert.ok(match !== null, `a mark rule: ${rule}`)
    return { value: Number(match[1]), mask: Number(match[2]), to: match[3] ?? '' }
  })
  return Array.from({ length: BUCKETS }, (_, bucket) => marks.find((rule) => (bucket & rule.mask) === rule.value)?.to ?? null)
}

function tally (destinations: ReadonlyArray<string | null>): Record<string, number> {
  const result: Record<string, number> = {}
  for (const to of destinations) result[String(to)] = (result[String(to)] ?? 0) + 1
  return result
}

test('udp_source: the client address hashed into 1024 buckets, then one DNAT per aligned block of each server\'s buckets', () => {
  assert.equal(renderIptablesRules(stateWithServices(TCP_DEFAULT, { sip: SIP }), 4), lines(
    '# Rendered by l3lb for iptables-restore --noflush: mode tcp_roundrobin, IPv4, outputs in use: none (default is tcp_roundrobin, served by HAProxy)',
    '# service sip (/etc/l3lb/services.d/sip.env): udp_source in chain L3LB-SPREAD-1, servers in use: a 198.18.5.1 weight 1, b 198.18.5.2 weight 1, c 198.18.5.3 weight 2',
    '*nat',
    ':L3LB-PREROUTING - [0:0]',
    ':L3LB-SPREAD - [0:0]',
    ':L3LB-POSTROUTING - [0:0]',
    ':L3LB-SPREAD-1 - [0:0]',
    '-A L3LB-PREROUTING -d 198.18.0.1/32 -p udp -m udp --dport 5060 -m comment --comment "service sip" -j L3LB-SPREAD-1',
    '-A L3LB-PREROUTING -d 198.18.0.1/32 -p udp -m udp --dport 10000:10010 -m comment --comment "service sip" -j L3LB-SPREAD-1',
    '-A L3LB-SPREAD-1 -j HMARK --hmark-tuple src --hmark-mod 1024 --hmark-rnd 0x4c334c42',
    '-A L3LB-SPREAD-1 -p udp -m mark --mark 0x0/0x300 -j DNAT --to-destination 198.18.5.1',
    '-A L3LB-SPREAD-1 -p udp -m mark --mark 0x100/0x300 -j DNAT --to-destination 198.18.5.2',
    '-A L3LB-SPREAD-1 -p udp -m mark --mark 0x200/0x200 -j DNAT --to-destination 198.18.5.3',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdst 198.18.0.1/32 --ctorigdstport 5060 -m comment --comment "service sip" -j MASQUERADE',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdst 198.18.0.1/32 --ctorigdstport 10000:10010 -m comment --comment "service sip" -j MASQUERADE',
    'COMMIT',
    '*filter',
    ':L3LB-FORWARD - [0:0]',
    '-A L3LB-FORWARD -p udp -m conntrack --ctstate DNAT -j ACCEPT',
    'COMMIT'
  ))
})

test('udp_source: a disabled or down server\'s buckets alone move, by weight; enabled again, the rules are as before', () => {
  const state = stateWithServices(TCP_DEFAULT, { sip: SIP })
  const before = walk(renderIptablesRules(state, 4), 'L3LB-SPREAD-1')
  assert.deepEqual(tally(before), { '198.18.5.1': 256, '198.18.5.2': 256, '198.18.5.3': 512 })
  const leaving: DesiredState[] = [withDisabled(state, [serverKey('sip', 'b')]), withHealth(state, serverKey('sip', 'b'), 'down')]
  for (const without of leaving) {
    const after = walk(renderIptablesRules(without, 4), 'L3LB-SPREAD-1')
    const movedFrom = before.filter((to, bucket) => to !== after[bucket])
    assert.deepEqual(tally(movedFrom), { '198.18.5.2': 256 })
    // b's 256 buckets split 1:2 between a and c (within one)
    assert.deepEqual(tally(after), { '198.18.5.1': 256 + 85, '198.18.5.3': 512 + 171 })
  }
  assert.equal(renderIptablesRules(withDisabled(withDisabled(state, [serverKey('sip', 'b')]), []), 4), renderIptablesRules(state, 4))
})

test('udp_source: backups stand in only when no primary is left, spread over them; none at all leaves the chain empty', () => {
  const state = stateWithServices(TCP_DEFAULT, { sip: SIP })
  const primariesGone = withDisabled(state, ['a', 'b', 'c'].map((name) => serverKey('sip', name)))
  assert.deepEqual(tally(walk(renderIptablesRules(primariesGone, 4), 'L3LB-SPREAD-1')), { '198.18.5.9': 1024 })
  const none = withDisabled(state, ['a', 'b', 'c', 'spare'].map((name) => serverKey('sip', name)))
  assert.equal(renderIptablesRules(none, 4).split('\n').filter((line) => line.startsWith('-A L3LB-SPREAD-1 ')).length, 0)
})

test('udp_source in IPv6 with a server\'s own port, and weights whose cycle udp_roundrobin would refuse', () => {
  const weights = [256, 255, 253, 251, 241, 239, 233, 229, 227, 223, 211, 199, 197, 193, 191, 181, 179, 173, 167, 163]
  const servers = weights.map((weight, i) => `server_s${i}=[fd00:1b:0:5::${i + 1}]:6000 weight=${weight}\n`).join('')
  // a cycle of 4261 flows: over udp_roundrobin's limit
  assert.throws(() => stateWithServices(TCP_DEFAULT, { media: `mode=udp_roundrobin\nports=7000\nin_addr=fd00:1b::1\n${servers}` }), /a cycle of 4261 flows/)
  const state = stateWithServices(TCP_DEFAULT, { media: `mode=udp_source\nports=7000\nin_addr=fd00:1b::1\n${servers}` })
  assert.equal(renderIptablesRules(state, 4).includes('L3LB-SPREAD-1 '), false)
  const text = renderIptablesRules(state, 6)
  const destinations = walk(text, 'L3LB-SPREAD-1')
  const total = weights.reduce((sum, weight) => sum + weight, 0)
  weights.forEach((weight, i) => {
    const got = destinations.filter((to) => to === `[fd00:1b:0:5::${i + 1}]:6000`).length
    assert.ok(Math.abs(got - weight * BUCKETS / total) < 1, `s${i}: ${got}`)
  })
  assert.ok(text.includes('-A L3LB-PREROUTING -d fd00:1b::1/128 -p udp -m udp --dport 7000 -m comment --comment "service media" -j L3LB-SPREAD-1'))
})

test('udp_source is a service file\'s mode only: the env file keeps the seed\'s three, with the seed\'s message', () => {
  const result = loadProperties('mode=udp_source\nports=5060\nout1=198.18.1.2\n')
  assert.equal(result.ok, false)
  if (!result.ok) assert.equal(result.problems[0]?.message, '"udp_source" is not accepted: invalid mode specified; the valid modes are tcp_roundrobin, tcp_source, udp_roundrobin')
})
