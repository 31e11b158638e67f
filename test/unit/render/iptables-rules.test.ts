import { test } from 'node:test'
import assert from 'node:assert/strict'
import { L3LB_CHAINS, type IpFamily } from '../../../src/render/iptables-chains.js'
import { iptablesRulesView, renderIptablesRules } from '../../../src/render/iptables-rules.js'
import { OUTPUT_NAMES, type OutputName } from '../../../src/properties/model.js'
import { withHealth, type DesiredState } from '../../../src/state/desired.js'
import { stateFrom } from '../../support/fixtures.js'

const UDP = 'mode=udp_roundrobin\n'
const NAT_CHAINS = [':L3LB-PREROUTING - [0:0]', ':L3LB-SPREAD - [0:0]', ':L3LB-POSTROUTING - [0:0]']
const FILTER = ['*filter', ':L3LB-FORWARD - [0:0]', '-A L3LB-FORWARD -p udp -m conntrack --ctstate DNAT -j ACCEPT', 'COMMIT']

// `outN=198.18.N.2` for N = 1..count.
function outputs (count: number): string {
  return Array.from({ length: count }, (_, i) => `out${i + 1}=198.18.${i + 1}.2\n`).join('')
}

function lines (...text: string[]): string {
  return text.join('\n') + '\n'
}

function header (family: IpFamily, inUse: string): string {
  const command = family === 4 ? 'iptables-restore' : 'ip6tables-restore'
  return `# Rendered by l3lb for ${command} --noflush: mode udp_roundrobin, IPv${family}, outputs in use: ${inUse}`
}

function down (state: DesiredState, ...names: OutputName[]): DesiredState {
  return names.reduce((result, name) => withHealth(result, name, 'down'), state)
}

test('one output: every local address, the one port, all flows to it, masquerade and forward accept', () => {
  assert.equal(renderIptablesRules(stateFrom(UDP + outputs(1)), 4), lines(
    header(4, 'out1 198.18.1.2'),
    '*nat',
    ...NAT_CHAINS,
    '-A L3LB-PREROUTING -p udp -m addrtype --dst-type LOCAL -m udp --dport 80 -j L3LB-SPREAD',
    '-A L3LB-SPREAD -j DNAT --to-destination 198.18.1.2',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 80 -j MASQUERADE',
    'COMMIT',
    ...FILTER
  ))
})

test('two outputs on one in address: the first takes every 2nd flow, the second the rest', () => {
  assert.equal(renderIptablesRules(stateFrom(UDP + 'in_addr=198.18.0.1\nports=5060\n' + outputs(2)), 4), lines(
    header(4, 'out1 198.18.1.2, out2 198.18.2.2'),
    '*nat',
    ...NAT_CHAINS,
    '-A L3LB-PREROUTING -d 198.18.0.1/32 -p udp -m udp --dport 5060 -j L3LB-SPREAD',
    '-A L3LB-SPREAD -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination 198.18.1.2',
    '-A L3LB-SPREAD -j DNAT --to-destination 198.18.2.2',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 5060 -j MASQUERADE',
    'COMMIT',
    ...FILTER
  ))
})

test('three outputs with ranges: one rule per in address and range, ranges written low:high', () => {
  const state = stateFrom(UDP + 'in_addr=198.18.0.1,198.18.0.3\nports=5060 10000-20000,30000:30009\n' + outputs(3))
  assert.equal(renderIptablesRules(state, 4), lines(
    header(4, 'out1 198.18.1.2, out2 198.18.2.2, out3 198.18.3.2'),
    '*nat',
    ...NAT_CHAINS,
    '-A L3LB-PREROUTING -d 198.18.0.1/32 -p udp -m udp --dport 5060 -j L3LB-SPREAD',
    '-A L3LB-PREROUTING -d 198.18.0.1/32 -p udp -m udp --dport 10000:20000 -j L3LB-SPREAD',
    '-A L3LB-PREROUTING -d 198.18.0.1/32 -p udp -m udp --dport 30000:30009 -j L3LB-SPREAD',
    '-A L3LB-PREROUTING -d 198.18.0.3/32 -p udp -m udp --dport 5060 -j L3LB-SPREAD',
    '-A L3LB-PREROUTING -d 198.18.0.3/32 -p udp -m udp --dport 10000:20000 -j L3LB-SPREAD',
    '-A L3LB-PREROUTING -d 198.18.0.3/32 -p udp -m udp --dport 30000:30009 -j L3LB-SPREAD',
    '-A L3LB-SPREAD -m statistic --mode nth --every 3 --packet 0 -j DNAT --to-destination 198.18.1.2',
    '-A L3LB-SPREAD -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination 198.18.2.2',
    '-A L3LB-SPREAD -j DNAT --to-destination 198.18.3.2',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 5060 -j MASQUERADE',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 10000:20000 -j MASQUERADE',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 30000:30009 -j MASQUERADE',
    'COMMIT',
    ...FILTER
  ))
})

test('eight outputs: every 8, 7 ... 2, then the last unconditionally', () => {
  assert.equal(renderIptablesRules(stateFrom(UDP + 'ports=5060\n' + outputs(8)), 4), lines(
    header(4, OUTPUT_NAMES.map((name, i) => `${name} 198.18.${i + 1}.2`).join(', ')),
    '*nat',
    ...NAT_CHAINS,
    '-A L3LB-PREROUTING -p udp -m addrtype --dst-type LOCAL -m udp --dport 5060 -j L3LB-SPREAD',
    '-A L3LB-SPREAD -m statistic --mode nth --every 8 --packet 0 -j DNAT --to-destination 198.18.1.2',
    '-A L3LB-SPREAD -m statistic --mode nth --every 7 --packet 0 -j DNAT --to-destination 198.18.2.2',
    '-A L3LB-SPREAD -m statistic --mode nth --every 6 --packet 0 -j DNAT --to-destination 198.18.3.2',
    '-A L3LB-SPREAD -m statistic --mode nth --every 5 --packet 0 -j DNAT --to-destination 198.18.4.2',
    '-A L3LB-SPREAD -m statistic --mode nth --every 4 --packet 0 -j DNAT --to-destination 198.18.5.2',
    '-A L3LB-SPREAD -m statistic --mode nth --every 3 --packet 0 -j DNAT --to-destination 198.18.6.2',
    '-A L3LB-SPREAD -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination 198.18.7.2',
    '-A L3LB-SPREAD -j DNAT --to-destination 198.18.8.2',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 5060 -j MASQUERADE',
    'COMMIT',
    ...FILTER
  ))
})

test('backups get flows only once every primary is disabled or down, and then share them', () => {
  const env = UDP + 'ports=5060\n' + outputs(4) + 'backup_outputs=out3,out4\n'
  const spread = (state: DesiredState): string[] => renderIptablesRules(state, 4).split('\n').filter((line) => line.startsWith('-A L3LB-SPREAD '))
  assert.deepEqual(spread(down(stateFrom(env, ['out1']))), ['-A L3LB-SPREAD -j DNAT --to-destination 198.18.2.2'])
  assert.equal(renderIptablesRules(down(stateFrom(env, ['out1']), 'out2'), 4), lines(
    header(4, 'out3 198.18.3.2 (backup), out4 198.18.4.2 (backup)'),
    '*nat',
    ...NAT_CHAINS,
    '-A L3LB-PREROUTING -p udp -m addrtype --dst-type LOCAL -m udp --dport 5060 -j L3LB-SPREAD',
    '-A L3LB-SPREAD -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination 198.18.3.2',
    '-A L3LB-SPREAD -j DNAT --to-destination 198.18.4.2',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 5060 -j MASQUERADE',
    'COMMIT',
    ...FILTER
  ))
  // A down backup is skipped like a down primary.
  assert.deepEqual(spread(down(stateFrom(env, ['out1']), 'out2', 'out3')), ['-A L3LB-SPREAD -j DNAT --to-destination 198.18.4.2'])
})

test('IPv4 and IPv6: mixed outputs and in addresses split by family, IPv6 written in RFC 5952 form', () => {
  const state = stateFrom(UDP + 'ports=5060,10000-10099\nin_addr=198.18.0.1 [FD00:1B:0:0::1]\n' +
    'out1=198.18.1.2\nout2=fd00:1b:0:2:0:0:0:2\nout3=198.18.3.2\nout4=[fd00:1b:0:4::2]\n')
  assert.equal(renderIptablesRules(state, 4), lines(
    header(4, 'out1 198.18.1.2, out3 198.18.3.2'),
    '*nat',
    ...NAT_CHAINS,
    '-A L3LB-PREROUTING -d 198.18.0.1/32 -p udp -m udp --dport 5060 -j L3LB-SPREAD',
    '-A L3LB-PREROUTING -d 198.18.0.1/32 -p udp -m udp --dport 10000:10099 -j L3LB-SPREAD',
    '-A L3LB-SPREAD -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination 198.18.1.2',
    '-A L3LB-SPREAD -j DNAT --to-destination 198.18.3.2',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 5060 -j MASQUERADE',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 10000:10099 -j MASQUERADE',
    'COMMIT',
    ...FILTER
  ))
  assert.equal(renderIptablesRules(state, 6), lines(
    header(6, 'out2 fd00:1b:0:2::2, out4 fd00:1b:0:4::2'),
    '*nat',
    ...NAT_CHAINS,
    '-A L3LB-PREROUTING -d fd00:1b::1/128 -p udp -m udp --dport 5060 -j L3LB-SPREAD',
    '-A L3LB-PREROUTING -d fd00:1b::1/128 -p udp -m udp --dport 10000:10099 -j L3LB-SPREAD',
    '-A L3LB-SPREAD -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination fd00:1b:0:2::2',
    '-A L3LB-SPREAD -j DNAT --to-destination fd00:1b:0:4::2',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 5060 -j MASQUERADE',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 10000:10099 -j MASQUERADE',
    'COMMIT',
    ...FILTER
  ))
})

test('empty in_addr matches every local address in both families', () => {
  const state = stateFrom(UDP + 'out1=fd00:1b:0:1::2\n')
  assert.equal(renderIptablesRules(state, 6), lines(
    header(6, 'out1 fd00:1b:0:1::2'),
    '*nat',
    ...NAT_CHAINS,
    '-A L3LB-PREROUTING -p udp -m addrtype --dst-type LOCAL -m udp --dport 80 -j L3LB-SPREAD',
    '-A L3LB-SPREAD -j DNAT --to-destination fd00:1b:0:1::2',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 80 -j MASQUERADE',
    'COMMIT',
    ...FILTER
  ))
  assert.deepEqual(iptablesRulesView(state, 4).prerouting, ['-p udp -m addrtype --dst-type LOCAL -m udp --dport 80'])
})

test('in_addr without an address of a family: that family is not served, its chains declared and left empty', () => {
  const state = stateFrom(UDP + 'in_addr=198.18.0.1\nout1=198.18.1.2\nout2=fd00:1b:0:2::2\n')
  assert.equal(renderIptablesRules(state, 6), lines(
    header(6, 'none (in_addr has no IPv6 address)'),
    '*nat',
    ...NAT_CHAINS,
    'COMMIT',
    '*filter',
    ':L3LB-FORWARD - [0:0]',
    'COMMIT'
  ))
  assert.equal(renderIptablesRules(state, 4).split('\n').filter((line) => line.startsWith('-A L3LB-SPREAD ')).join('\n'),
    '-A L3LB-SPREAD -j DNAT --to-destination 198.18.1.2')
})

test('0.0.0.0 is every local IPv4 address, :: every local address of both families, ::ffff:a.b.c.d is IPv4', () => {
  const matches = (inAddr: string, family: IpFamily): readonly string[] =>
    iptablesRulesView(stateFrom(UDP + `in_addr=${inAddr}\nports=53\n` + outputs(1)), family).prerouting
  const local = ['-p udp -m addrtype --dst-type LOCAL -m udp --dport 53']
  assert.deepEqual(matches('0.0.0.0 198.18.0.1', 4), local)
  assert.deepEqual(matches('0.0.0.0 fd00:1b::1', 6), ['-d fd00:1b::1/128 -p udp -m udp --dport 53'])
  assert.deepEqual(matches('::', 4), local)
  assert.deepEqual(matches('::', 6), local)
  assert.deepEqual(matches('::ffff:198.18.0.1', 4), ['-d 198.18.0.1/32 -p udp -m udp --dport 53'])
  assert.deepEqual(matches('::ffff:198.18.0.1', 6), [])
})

test('udp_snat=off: POSTROUTING stays empty, the forward accept stays', () => {
  assert.equal(renderIptablesRules(stateFrom(UDP + 'udp_snat=off\nports=5060\n' + outputs(1)), 4), lines(
    header(4, 'out1 198.18.1.2'),
    '*nat',
    ...NAT_CHAINS,
    '-A L3LB-PREROUTING -p udp -m addrtype --dst-type LOCAL -m udp --dport 5060 -j L3LB-SPREAD',
    '-A L3LB-SPREAD -j DNAT --to-destination 198.18.1.2',
    'COMMIT',
    ...FILTER
  ))
})

test('a pair with ha_out_vip: flows take the outputs\' side virtual address of their family as source, not MASQUERADE', () => {
  const pair = 'ctl_token=t0ken\nha_vip=198.18.0.100,fd00:1b::100\nha_interface=to-lan\nha_peer=198.18.0.12\nctl_addr=0.0.0.0\nha_out_vip=198.18.1.100 fd00:1b:1::100\nha_out_interface=to-be\n'
  const state = stateFrom(UDP + 'ports=5060\n' + pair + outputs(1) + 'out2=fd00:1b:2::2\n')
  assert.ok(renderIptablesRules(state, 4).includes('-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 5060 -j SNAT --to-source 198.18.1.100\n'))
  assert.ok(renderIptablesRules(state, 6).includes('-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 5060 -j SNAT --to-source fd00:1b:1::100\n'))
  // a family without an outputs' side virtual address keeps MASQUERADE
  const onlyV4 = stateFrom(UDP + 'ports=5060\n' + pair.replace(' fd00:1b:1::100', '') + outputs(1) + 'out2=fd00:1b:2::2\n')
  assert.ok(renderIptablesRules(onlyV4, 6).includes('--ctorigdstport 5060 -j MASQUERADE\n'))
  assert.equal(iptablesRulesView(stateFrom(UDP + 'udp_snat=off\n' + pair + outputs(1)), 4).masquerade.length, 0)
})

test('no available output: SPREAD stays empty, so flows are not translated', () => {
  const state = down(stateFrom(UDP + 'ports=5060\n' + outputs(2) + 'backup_outputs=out2\n', ['out1']), 'out2')
  assert.equal(renderIptablesRules(state, 4), lines(
    header(4, 'none'),
    '*nat',
    ...NAT_CHAINS,
    '-A L3LB-PREROUTING -p udp -m addrtype --dst-type LOCAL -m udp --dport 5060 -j L3LB-SPREAD',
    '-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT --ctorigdstport 5060 -j MASQUERADE',
    'COMMIT',
    ...FILTER
  ))
})

test('only the chains of L3LB_CHAINS are declared and filled, never a built-in chain', () => {
  const states = [
    stateFrom(UDP + 'in_addr=198.18.0.1 fd00:1b::1\nports=53,5060-5070\n' + outputs(8)),
    stateFrom(UDP + 'udp_snat=off\n' + outputs(3), ['out1', 'out2', 'out3'])
  ]
  for (const state of states) {
    for (const family of [4, 6] as const) {
      const text = renderIptablesRules(state, family)
      const tables = text.split('\n').filter((line) => line.startsWith('*'))
      assert.deepEqual(tables, ['*nat', '*filter'])
      assert.equal(text.split('\n').filter((line) => line === 'COMMIT').length, 2)
      for (const [table, chains] of Object.entries(L3LB_CHAINS)) {
        const block = text.slice(text.indexOf(`*${table}\n`), text.indexOf('COMMIT\n', text.indexOf(`*${table}\n`)))
        const declared = block.split('\n').filter((line) => line.startsWith(':')).map((line) => line.slice(1).split(' ')[0])
        assert.deepEqual(declared, [...chains], `declared chains of ${table}`)
        for (const line of block.split('\n').filter((rule) => rule.startsWith('-A '))) {
          assert.ok((chains as readonly string[]).includes(line.split(' ')[1] ?? ''), `rule outside l3lb's chains: ${line}`)
          const jump = / -j (L3LB-\S+)/.exec(line)?.[1]
          if (jump !== undefined) assert.ok((chains as readonly string[]).includes(jump), `jump to a chain not declared: ${line}`)
        }
      }
      assert.ok(text.endsWith('COMMIT\n'), 'ends with COMMIT and a newline')
    }
  }
})

// The xt_statistic nth match as the kernel runs it: libxt_statistic stores every-1 and starts
// the counter at (every-1)-packet; each packet that reaches the rule advances its own counter.
interface NthRule {
  readonly destination: string
  readonly every: number
  readonly packet: number
  count: number
}

function spreadRules (text: string): NthRule[] {
  const rules = text.split('\n').filter((line) => line.startsWith('-A L3LB-SPREAD '))
  return rules.map((line) => {
    const match = /^-A L3LB-SPREAD (?:-m statistic --mode nth --every (\d+) --packet (\d+) )?-j DNAT --to-destination (\S+)$/.exec(line)
    assert.ok(match !== null, `not a SPREAD rule this simulation knows: ${line}`)
    const every = Number(match[1] ?? 1) - 1
    const packet = Number(match[2] ?? 0)
    return { destination: match[3] ?? '', every, packet, count: every - packet }
  })
}

// The destination of the next new flow: the first rule whose nth match fires, else none.
function nextFlow (rules: NthRule[]): string | null {
  for (const rule of rules) {
    rule.count = rule.count === rule.every ? 0 : rule.count + 1
    if (rule.count === rule.packet) return rule.destination
  }
  return null
}

test('evenness: new flows walked through the rendered SPREAD rules reach each of N outputs exactly 1/N, in turn', () => {
  // 3360 is a multiple of every N from 1 to 8, so 1/N is a whole number of flows.
  const flows = 3360
  for (let n = 1; n <= 8; n++) {
    const rules = spreadRules(renderIptablesRules(stateFrom(UDP + outputs(n)), 4))
    assert.equal(rules.length, n)
    const counts = new Map<string, number>()
    for (let flow = 0; flow < flows; flow++) {
      const destination = nextFlow(rules)
      assert.equal(destination, `198.18.${(flow % n) + 1}.2`, `flow ${flow} of ${n} outputs`)
      counts.set(destination, (counts.get(destination) ?? 0) + 1)
    }
    assert.deepEqual([...counts.values()], new Array<number>(n).fill(flows / n), `${n} outputs`)
  }
})
