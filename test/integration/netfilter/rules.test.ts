import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isL3lbError } from '../../../src/errors.js'
import type { IpFamily } from '../../../src/render/iptables-chains.js'
import { countFlowsTo, forgetFlowsTo } from '../../../src/netfilter/conntrack.js'
import { applyRules, listRules, removeRules } from '../../../src/netfilter/rules.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'

let topology: Topology
let client: ClientDriver

before(async () => {
  topology = await createTopology({ backends: 2, ipv6: true })
  await startBackends(topology, { ports: '5060', udp: true })
  client = await startClient(topology)
})

after(async () => {
  await topology?.destroy()
})

/** A small udp_roundrobin rules text, written by hand: every datagram to the lb on 5060 goes to `backend`. */
function rulesText (family: IpFamily, lb: string, backend: string, filterRule = '-A L3LB-FORWARD -p udp -m conntrack --ctstate DNAT -j ACCEPT'): string {
  return `*nat
:L3LB-PREROUTING - [0:0]
:L3LB-SPREAD - [0:0]
:L3LB-POSTROUTING - [0:0]
-A L3LB-PREROUTING -d ${lb}/${family === 4 ? 32 : 128} -p udp -m udp --dport 5060 -j L3LB-SPREAD
-A L3LB-SPREAD -p udp -j DNAT --to-destination ${backend}
-A L3LB-POSTROUTING -p udp -m conntrack --ctstate DNAT -j MASQUERADE
COMMIT
*filter
:L3LB-FORWARD - [0:0]
${filterRule}
COMMIT
`
}

for (const family of [4, 6] as const) {
  describe(`IPv${family}`, () => {
    const iptables = family === 4 ? 'iptables' : 'ip6tables'
    // Not l3lb's: must survive every apply and removal.
    const foreign = [
      ['-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', '9', '-j', 'ACCEPT'],
      ['-t', 'filter', '-A', 'FORWARD', '-p', 'tcp', '--dport', '9', '-j', 'ACCEPT']
    ]
    const foreignSaved = ['-A PREROUTING -p tcp -m tcp --dport 9 -j ACCEPT', '-A FORWARD -p tcp -m tcp --dport 9 -j ACCEPT']
    const sourcePort = 40000 + family
    let lb: string
    let be1: string
    let be2: string
    let command: string[]

    before(async () => {
      lb = (family === 4 ? topology.addresses.lbClientSide : topology.addresses.lbClientSide6) ?? ''
      ;[be1 = '', be2 = ''] = family === 4 ? topology.addresses.backends : topology.addresses.backends6
      command = ['ip', 'netns', 'exec', topology.names.lb]
      for (const rule of foreign) await topology.exec(topology.names.lb, iptables, rule)
    })

    after(async () => {
      await removeRules(family, { command }).catch(() => undefined)
    })

    async function saved (): Promise<string[]> {
      const { stdout } = await topology.exec(topology.names.lb, `${iptables}-save`)
      return stdout.split('\n')
    }

    /** The rules of a built-in chain, as `iptables -S` prints them, without its policy. */
    async function chainRules (table: string, chain: string): Promise<string[]> {
      const { stdout } = await topology.exec(topology.names.lb, iptables, ['-t', table, '-S', chain])
      return stdout.split('\n').filter((line) => line.startsWith('-A '))
    }

    async function answeredBy (localPort?: number): Promise<string | null> {
      const reply = await client.udp({ host: lb, port: 5060, payload: 'ping', timeoutMs: 2000, ...(localPort === undefined ? {} : { localPort }) })
      return reply === null ? null : (reply.split(' ')[0] ?? '')
    }

    it('applied twice, leaves one copy of each rule and one jump each, first in its chain', async () => {
      await applyRules(family, rulesText(family, lb, be1), { command })
      await applyRules(family, rulesText(family, lb, be1), { command })
      const lines = (await listRules(family, { command })).split('\n')
      assert.equal(new Set(lines).size, lines.length, `a line is there twice:\n${lines.join('\n')}`)
      assert.equal(lines.length, 11, `4 chains, 4 rules and 3 jumps expected:\n${lines.join('\n')}`)
      assert.ok(lines.some((line) => line.includes(`--to-destination ${be1}`)))
      assert.equal((await chainRules('nat', 'PREROUTING'))[0], '-A PREROUTING -j L3LB-PREROUTING')
      assert.equal((await chainRules('nat', 'POSTROUTING'))[0], '-A POSTROUTING -j L3LB-POSTROUTING')
      assert.equal((await chainRules('filter', 'FORWARD'))[0], '-A FORWARD -j L3LB-FORWARD')
      for (const rule of foreignSaved) assert.ok((await saved()).includes(rule), `foreign rule gone: ${rule}`)
    })

    it('sends a datagram to the lb on to be1, which answers', async () => {
      assert.equal(await answeredBy(), 'be1')
      assert.equal(await answeredBy(sourcePort), 'be1')
    })

    it('sends new flows to be2 once the rules point there; a known flow stays on be1 until forgotten', async () => {
      await applyRules(family, rulesText(family, lb, be2), { command })
      assert.equal(await answeredBy(), 'be2')
      assert.equal(await answeredBy(), 'be2')
      // Same client source port: conntrack still holds the flow's DNAT to be1.
      assert.equal(await answeredBy(sourcePort), 'be1')
      assert.ok(await countFlowsTo(be1, { command }) > 0)
      assert.ok(await forgetFlowsTo(be1, { command }) > 0)
      assert.equal(await countFlowsTo(be1, { command }), 0)
      assert.equal(await forgetFlowsTo(be1, { command }), 0, 'nothing left to forget is not an error')
      assert.equal(await answeredBy(sourcePort), 'be2')
      assert.ok(await countFlowsTo(be2, { command }) > 0)
    })

    it('refuses, changing nothing, a text that touches a built-in chain', async () => {
      const before = await listRules(family, { command })
      const text = rulesText(family, lb, be1).replace('COMMIT\n*filter', '-A PREROUTING -j ACCEPT\nCOMMIT\n*filter')
      await assert.rejects(applyRules(family, text, { command }), (error: unknown) => {
        assert.ok(isL3lbError(error, 'L3LB_RULES_INVALID'), String(error))
        assert.match(error.message, /'PREROUTING', not a chain of l3lb/)
        return true
      })
      assert.equal(await listRules(family, { command }), before)
    })

    it('refuses, changing nothing, a text iptables-restore --test refuses, quoting its line', async () => {
      const before = await listRules(family, { command })
      const text = rulesText(family, lb, be1).replace(/-j DNAT --to-destination \S+/, '-j DNAT')
      await assert.rejects(applyRules(family, text, { command }), (error: unknown) => {
        assert.ok(isL3lbError(error, 'L3LB_RULES_INVALID'), String(error))
        assert.match(error.message, /--to-destination.*must be specified.*input line 6: "-A L3LB-SPREAD -p udp -j DNAT"/)
        return true
      })
      assert.equal(await listRules(family, { command }), before)
      assert.equal(await answeredBy(), 'be2')
    })

    it('puts the previous rules back when the kernel refuses the second table after the first was committed', async () => {
      const before = await listRules(family, { command })
      // Passes --test; iptables-restore commits nat (now to be1), then fails on filter.
      const text = rulesText(family, lb, be1, '-A L3LB-FORWARD -j NO-SUCH-TARGET')
      await assert.rejects(applyRules(family, text, { command }), (error: unknown) => {
        assert.ok(isL3lbError(error, 'L3LB_RULES_APPLY'), String(error))
        assert.match(error.message, /NO-SUCH-TARGET.*the previous rules were put back/s)
        return true
      })
      assert.equal(await listRules(family, { command }), before)
      assert.equal(await answeredBy(), 'be2')
    })

    it('leaves one jump, first, after a crash left two copies and a rule was put before it', async () => {
      await topology.exec(topology.names.lb, iptables, ['-t', 'nat', '-A', 'PREROUTING', '-j', 'L3LB-PREROUTING'])
      await topology.exec(topology.names.lb, iptables, ['-t', 'filter', '-I', 'FORWARD', '1', '-p', 'tcp', '--dport', '10', '-j', 'ACCEPT'])
      await applyRules(family, rulesText(family, lb, be2), { command })
      const prerouting = await chainRules('nat', 'PREROUTING')
      assert.deepEqual(prerouting.filter((rule) => rule.includes('L3LB-')), ['-A PREROUTING -j L3LB-PREROUTING'])
      assert.equal(prerouting[0], '-A PREROUTING -j L3LB-PREROUTING')
      const forward = await chainRules('filter', 'FORWARD')
      assert.deepEqual(forward, ['-A FORWARD -j L3LB-FORWARD', '-A FORWARD -p tcp -m tcp --dport 10 -j ACCEPT', '-A FORWARD -p tcp -m tcp --dport 9 -j ACCEPT'])
    })

    it('removes every rule, chain and jump of l3lb and nothing else, twice without error', async () => {
      await removeRules(family, { command })
      assert.equal(await listRules(family, { command }), '')
      await removeRules(family, { command })
      assert.equal(await listRules(family, { command }), '')
      for (const rule of foreignSaved) assert.ok((await saved()).includes(rule), `foreign rule gone: ${rule}`)
      assert.equal(await answeredBy(), null, 'no DNAT any more: nothing on the lb answers on 5060')
    })

    it('leaves nothing of l3lb behind when a first apply fails half way', async () => {
      await assert.rejects(applyRules(family, rulesText(family, lb, be1, '-A L3LB-FORWARD -j NO-SUCH-TARGET'), { command }),
        (error: unknown) => isL3lbError(error, 'L3LB_RULES_APPLY'))
      assert.equal(await listRules(family, { command }), '')
      // Accepted in a chain no hook reaches yet; the kernel refuses the jump from PREROUTING.
      const masquerade = rulesText(family, lb, be1).replace('-A L3LB-SPREAD', '-A L3LB-PREROUTING -j MASQUERADE\n-A L3LB-SPREAD')
      await assert.rejects(applyRules(family, masquerade, { command }), (error: unknown) => {
        assert.ok(isL3lbError(error, 'L3LB_RULES_APPLY'), String(error))
        assert.match(error.message, /refused the jumps into l3lb's chains.*the previous rules were put back/s)
        return true
      })
      assert.equal(await listRules(family, { command }), '')
      for (const rule of foreignSaved) assert.ok((await saved()).includes(rule), `foreign rule gone: ${rule}`)
    })
  })
}
