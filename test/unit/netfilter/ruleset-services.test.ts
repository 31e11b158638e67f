import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parseSave, removalText, rollbackText, rulesTextProblems, withStaleChainsDeleted } from '../../../src/netfilter/ruleset.js'

// iptables-save with default's chains and two UDP services' (L3LB-SPREAD-1 and -2).
const SAVED = `*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:L3LB-POSTROUTING - [0:0]
:L3LB-PREROUTING - [0:0]
:L3LB-SPREAD - [0:0]
:L3LB-SPREAD-1 - [0:0]
:L3LB-SPREAD-2 - [0:0]
:OTHER-SPREAD-3 - [0:0]
-A PREROUTING -j L3LB-PREROUTING
-A POSTROUTING -j L3LB-POSTROUTING
-A L3LB-PREROUTING -p udp -m addrtype --dst-type LOCAL -m udp --dport 5060 -m comment --comment "service a" -j L3LB-SPREAD-1
-A L3LB-PREROUTING -p udp -m addrtype --dst-type LOCAL -m udp --dport 5061 -m comment --comment "service b" -j L3LB-SPREAD-2
-A L3LB-SPREAD-1 -p udp -j DNAT --to-destination 198.18.5.1
-A L3LB-SPREAD-2 -p udp -j DNAT --to-destination 198.18.6.1
COMMIT
*filter
:FORWARD ACCEPT [0:0]
:L3LB-FORWARD - [0:0]
-A FORWARD -j L3LB-FORWARD
COMMIT
`

// The rules of service a only: service b's file went.
const ONLY_A = `*nat
:L3LB-PREROUTING - [0:0]
:L3LB-SPREAD - [0:0]
:L3LB-POSTROUTING - [0:0]
:L3LB-SPREAD-1 - [0:0]
-A L3LB-PREROUTING -p udp -m addrtype --dst-type LOCAL -m udp --dport 5060 -m comment --comment "service a" -j L3LB-SPREAD-1
-A L3LB-SPREAD-1 -p udp -j DNAT --to-destination 198.18.5.1
COMMIT
*filter
:L3LB-FORWARD - [0:0]
COMMIT
`

describe('UDP services\' chains', () => {
  it('a rules text may declare and fill L3LB-SPREAD-<n> in nat, and nothing else of that shape', () => {
    assert.deepEqual(rulesTextProblems(ONLY_A), [])
    const problems = rulesTextProblems(ONLY_A.replace(':L3LB-SPREAD-1 - [0:0]', ':L3LB-SPREAD-1 - [0:0]\n:L3LB-SPREAD-x - [0:0]'))
    assert.deepEqual(problems, ['line 6: ":L3LB-SPREAD-x - [0:0]": \'L3LB-SPREAD-x\' is not a chain of l3lb in table \'nat\' (L3LB-PREROUTING, L3LB-SPREAD, L3LB-POSTROUTING, L3LB-SPREAD-<n>)'])
    assert.equal(rulesTextProblems(ONLY_A.replace('*filter\n:L3LB-FORWARD - [0:0]', '*filter\n:L3LB-FORWARD - [0:0]\n:L3LB-SPREAD-2 - [0:0]')).length, 1, 'not in filter')
  })

  it('an apply deletes, in the same commit, a service chain the new text no longer declares', () => {
    assert.equal(withStaleChainsDeleted(ONLY_A, parseSave(SAVED)), ONLY_A.replace(
      '-A L3LB-SPREAD-1 -p udp -j DNAT --to-destination 198.18.5.1\nCOMMIT',
      '-A L3LB-SPREAD-1 -p udp -j DNAT --to-destination 198.18.5.1\n-F L3LB-SPREAD-2\n-X L3LB-SPREAD-2\nCOMMIT'))
  })

  it('an apply that keeps every chain adds nothing', () => {
    assert.equal(withStaleChainsDeleted(ONLY_A, parseSave(ONLY_A)), ONLY_A)
  })

  it('removal flushes and deletes the services\' chains too, never someone else\'s', () => {
    const nat = removalText(parseSave(SAVED)).split('COMMIT')[0] ?? ''
    assert.deepEqual(nat.split('\n').filter((line) => line.startsWith('-F') || line.startsWith('-X')), [
      '-F L3LB-PREROUTING', '-F L3LB-SPREAD', '-F L3LB-POSTROUTING', '-F L3LB-SPREAD-1', '-F L3LB-SPREAD-2',
      '-X L3LB-PREROUTING', '-X L3LB-SPREAD', '-X L3LB-POSTROUTING', '-X L3LB-SPREAD-1', '-X L3LB-SPREAD-2'
    ])
  })

  it('a rollback puts back a service chain the failed apply deleted, and deletes one it made', () => {
    const before = parseSave(SAVED)
    const after = parseSave(ONLY_A.replace(':L3LB-SPREAD-1 - [0:0]', ':L3LB-SPREAD-1 - [0:0]\n:L3LB-SPREAD-3 - [0:0]'))
    const nat = (rollbackText(before, after).split('COMMIT')[0] ?? '').split('\n')
    assert.ok(nat.includes(':L3LB-SPREAD-2 - [0:0]'))
    assert.ok(nat.includes('-A L3LB-SPREAD-2 -p udp -j DNAT --to-destination 198.18.6.1'))
    assert.ok(nat.includes('-X L3LB-SPREAD-3'))
  })
})
