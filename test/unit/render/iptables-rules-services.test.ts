import { test } from 'node:test'
import assert from 'node:assert/strict'
import { serviceChain } from '../../../src/render/iptables-chains.js'
import { renderIptablesRules } from '../../../src/render/iptables-rules.js'
import { withHealth, type DesiredState } from '../../../src/state/desired.js'
import { fileServerKey as serverKey } from '../../../src/state/server-key.js'
import { stateFrom, stateWithServices } from '../../support/fixtures.js'

const TCP_DEFAULT = 'mode=tcp_roundrobin\nports=80\nout1=198.18.1.2\n'
const WEB = 'mode=udp_roundrobin\nports=5060\nin_addr=198.18.0.1\nserver_a=198.18.5.1\nserver_b=198.18.5.2:6000\nserver_c=198.18.5.3 weight=2\nserver_spare=198.18.5.9 backup\n'

function lines (...text: string[]): string {
  return text.join('\n') + '\n'
}

test('a UDP service file beside a TCP default: its own chain, its match with its name in a comment, DNAT by weight with its own port', () => {
  assert.equal(renderIptablesRules(stateWithServices(TCP_DEFAULT, { web: WEB }), 4), lines(
    '# Rendered by l3lb for iptables-restore --noflush: mode tcp_roundrobin, IPv4, outputs in use: none (default is tcp_roundrobin, served by HAProxy)',
    '# service web (/etc/l3lb/services.d/web.env): udp_roundrobin in chain L3LB-SPREAD-1, servers in use: a 198.18.5.1 weight 1, b 198.18.5.2:6000 weight 1, c 198.18.5.3 weight 2',
    '*nat',
    ':L3LB-PREROUTING - [0:0]',
    ':L3LB-SPREAD - [0:0]',
    ':L3LB-POSTROUTING - [0:0]',
    ':L3LB-SPREAD-1 - [0:0]',
    '-A L3LB-PREROUTING -d 198.18.0.1/32 -p udp -m udp --dport 5060 -m comment --comment "service web" -j L3LB-SPREAD-1',
    '-A L3LB-SPREAD-1 -p udp -m statistic --mode nth --every 4 --packet 0 -j DNAT --to-destination 198.18.5.3',
    '-A L3LB-SPREAD-1 -p udp -m statistic --mode nth --every 3 --packet 0 -j DNAT --to-destination 198.18.5.1',
    '-A L3LB-SPREAD-1 -p udp -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination 198.18.5.2:6000',
    '-A L3LB-SPREAD-1 -p udp -j DNAT --to-destination 198.18.5.3',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdst 198.18.0.1/32 --ctorigdstport 5060 -m comment --comment "service web" -j MASQUERADE',
    'COMMIT',
    '*filter',
    ':L3LB-FORWARD - [0:0]',
    '-A L3LB-FORWARD -p udp -m conntrack --ctstate DNAT -j ACCEPT',
    'COMMIT'
  ))
})

test('a UDP default keeps its rules as they are, and a service file\'s come after them; udp_snat=off is a RETURN ahead of default\'s masquerade', () => {
  const env = 'mode=udp_roundrobin\nports=5060\nin_addr=198.18.0.1\nout1=198.18.1.2\n'
  const alone = renderIptablesRules(stateFrom(env), 4).split('\n')
  const text = renderIptablesRules(stateWithServices(env, { app: 'mode=udp_roundrobin\nports=7000-7009\nin_addr=198.18.0.2\nudp_snat=off\nserver_x=198.18.6.1\n' }), 4).split('\n')
  // every line of default's own text is there, in the same order
  assert.deepEqual(text.filter((line) => !line.includes('SPREAD-1') && !line.includes('service app')), alone)
  assert.deepEqual(text.filter((line) => line.includes('L3LB-POSTROUTING -p')), [
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdst 198.18.0.2/32 --ctorigdstport 7000:7009 -m comment --comment "service app" -j RETURN',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 5060 -j MASQUERADE'
  ])
})

test('an IPv6 service is rendered in the IPv6 text only, its servers\' ports in brackets; every address is the LOCAL match', () => {
  const state = stateWithServices(TCP_DEFAULT, { v6: 'mode=udp_roundrobin\nports=5060\nserver_a=[fd00:1b::5]:6000\nserver_b=fd00:1b::6\n' })
  const v4 = renderIptablesRules(state, 4)
  const v6 = renderIptablesRules(state, 6)
  assert.ok(!v4.includes('SPREAD-1'), v4)
  assert.ok(!v4.includes('-A L3LB-FORWARD'), 'no UDP service in IPv4: nothing to forward')
  assert.deepEqual(v6.split('\n').filter((line) => line.includes('SPREAD-1') || line.includes('-A L3LB-POSTROUTING')), [
    '# service v6 (/etc/l3lb/services.d/v6.env): udp_roundrobin in chain L3LB-SPREAD-1, servers in use: a [fd00:1b::5]:6000 weight 1, b fd00:1b::6 weight 1',
    ':L3LB-SPREAD-1 - [0:0]',
    '-A L3LB-PREROUTING -p udp -m addrtype --dst-type LOCAL -m udp --dport 5060 -m comment --comment "service v6" -j L3LB-SPREAD-1',
    '-A L3LB-SPREAD-1 -p udp -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination [fd00:1b::5]:6000',
    '-A L3LB-SPREAD-1 -p udp -j DNAT --to-destination fd00:1b::6',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 5060 -m comment --comment "service v6" -j MASQUERADE'
  ])
  assert.ok(v6.includes('-A L3LB-FORWARD -p udp -m conntrack --ctstate DNAT -j ACCEPT'))
})

test('several services get a chain each, numbered in order; a server found down leaves its own service only; backups stand in when no primary is left', () => {
  let state: DesiredState = stateWithServices(TCP_DEFAULT, { web: WEB, zeta: 'mode=udp_roundrobin\nports=9000\nin_addr=198.18.0.3\nserver_a=198.18.7.1\n' })
  assert.deepEqual(spreadDestinations(renderIptablesRules(state, 4), serviceChain(2)), ['198.18.7.1'])
  state = withHealth(state, serverKey('web', 'c'), 'down')
  const text = renderIptablesRules(state, 4)
  assert.deepEqual(spreadDestinations(text, serviceChain(1)), ['198.18.5.1', '198.18.5.2:6000'])
  assert.deepEqual(spreadDestinations(text, serviceChain(2)), ['198.18.7.1'], 'zeta\'s own server a is not web\'s')
  for (const server of ['a', 'b']) state = withHealth(state, serverKey('web', server), 'down')
  assert.deepEqual(spreadDestinations(renderIptablesRules(state, 4), serviceChain(1)), ['198.18.5.9'])
  state = withHealth(state, serverKey('web', 'spare'), 'down')
  assert.deepEqual(spreadDestinations(renderIptablesRules(state, 4), serviceChain(1)), [], 'no server left: its chain stays empty')
})

test('weight 0 gets no flow at all', () => {
  const state = stateWithServices(TCP_DEFAULT, { web: 'mode=udp_roundrobin\nports=5060\nserver_a=198.18.5.1 weight=0\nserver_b=198.18.5.2 weight=3\n' })
  assert.deepEqual(spreadDestinations(renderIptablesRules(state, 4), serviceChain(1)), ['198.18.5.2'])
})

test('chain names fit iptables\' 28 characters for every service up to the 256 allowed, and never collide', () => {
  const names = Array.from({ length: 256 }, (_, i) => serviceChain(i + 1))
  assert.ok(names.every((name) => name.length <= 28))
  assert.equal(new Set(names).size, 256)
})

// The xt_statistic nth match as the kernel runs it (as in iptables-rules.test.ts): every-1 is
// stored, the counter starts at (every-1)-packet and advances on each packet reaching the rule.
interface NthRule { readonly destination: string, readonly every: number, readonly packet: number, count: number }

function nthRules (text: string, chain: string): NthRule[] {
  return text.split('\n').filter((line) => line.startsWith(`-A ${chain} `)).map((line) => {
    const match = new RegExp(`^-A ${chain} -p udp (?:-m statistic --mode nth --every (\\d+) --packet (\\d+) )?-j DNAT --to-destination (\\S+)$`).exec(line)
    assert.ok(match !== null, `not a spread rule this simulation knows: ${line}`)
    const every = Number(match[1] ?? 1) - 1
    const packet = Number(match[2] ?? 0)
    return { destination: match[3] ?? '', every, packet, count: every - packet }
  })
}

function spreadDestinations (text: string, chain: string): string[] {
  return [...new Set(nthRules(text, chain).map((rule) => rule.destination))]
}

function nextFlow (rules: NthRule[]): string | null {
  for (const rule of rules) {
    rule.count = rule.count === rule.every ? 0 : rule.count + 1
    if (rule.count === rule.packet) return rule.destination
  }
  return null
}

// Flows `flows` new flows through the chain; how many each destination got after every `cycle` flows.
function walk (rules: NthRule[], flows: number, cycle: number, expected: ReadonlyMap<string, number>): void {
  const counts = new Map<string, number>()
  for (let flow = 1; flow <= flows; flow++) {
    const destination = nextFlow(rules)
    assert.ok(destination !== null, `flow ${flow} found no rule`)
    counts.set(destination, (counts.get(destination) ?? 0) + 1)
    if (flow % cycle !== 0) continue
    for (const [name, share] of expected) assert.equal(counts.get(name) ?? 0, share * flow / cycle, `${name} after ${flow} flows`)
  }
}

test('exact proportions: weights 1:1:2 give 1/4, 1/4 and 2/4 of every 4 new flows, and 10/10/20 of 40', () => {
  const rules = nthRules(renderIptablesRules(stateWithServices(TCP_DEFAULT, { web: WEB }), 4), serviceChain(1))
  assert.equal(rules.length, 4)
  walk(rules, 40, 4, new Map([['198.18.5.1', 1], ['198.18.5.2:6000', 1], ['198.18.5.3', 2]]))
})

test('exact proportions for many weights: reduced by their common divisor, every cycle gives each server its weight', () => {
  const cases: Array<readonly number[]> = [[2, 4, 6], [3, 5, 7], [1, 256], [256, 256, 128], [1, 2, 3, 4, 5, 6, 7, 8], [10, 0, 15]]
  for (const weights of cases) {
    const servers = weights.map((weight, i) => `server_s${i}=198.18.5.${i + 1} weight=${weight}\n`).join('')
    const rules = nthRules(renderIptablesRules(stateWithServices(TCP_DEFAULT, { web: `mode=udp_roundrobin\nports=5060\n${servers}` }), 4), serviceChain(1))
    const divisor = weights.reduce((a, b) => gcdOf(a, b))
    const cycle = weights.reduce((a, b) => a + b) / divisor
    assert.equal(rules.length, cycle, `one rule per flow of the cycle for ${weights.join(':')}`)
    walk(rules, cycle * 5, cycle, new Map(weights.map((weight, i) => [`198.18.5.${i + 1}`, weight / divisor])))
  }
})

function gcdOf (a: number, b: number): number {
  return b === 0 ? a : gcdOf(b, a % b)
}
