import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createTopology, type Topology } from '../../support/topology.js'
import { icmpProbe } from '../../../src/health/icmp-probe.js'
import { HealthChecker } from '../../../src/health/health-checker.js'
import type { Probe } from '../../../src/health/health-checker.js'
import type { OutputName } from '../../../src/properties/model.js'
import type { OutputHealth } from '../../../src/model/health.js'

const TIMEOUT_MS = 500
// inside be1's subnet, held by nobody: ARP goes unanswered
const NOBODY = '198.18.1.99'
const INTERVAL_MS = 200
const FALL = 2
const RISE = 2
const DROP_ICMP = ['-A', 'INPUT', '-p', 'icmp', '-j', 'DROP']

describe('ICMP health checks from the lb namespace', () => {
  let topology: Topology
  let probe: Probe

  before(async () => {
    topology = await createTopology({ backends: 2, ipv6: true })
    probe = icmpProbe({ command: ['ip', 'netns', 'exec', topology.names.lb] })
  })

  after(async () => {
    await topology?.destroy()
  })

  it('answers true for both back ends over IPv4 and IPv6 (iputils picks the family from the address)', async () => {
    const { backends, backends6 } = topology.addresses
    for (const address of [...backends, ...backends6]) {
      assert.equal(await probe(address, TIMEOUT_MS), true, `ping ${address} from lb`)
    }
  })

  it('answers false for an address nobody has, within the timeout', async () => {
    const began = Date.now()
    assert.equal(await probe(NOBODY, TIMEOUT_MS), false)
    const took = Date.now() - began
    // a -W ping ignored as a fraction would wait whole seconds
    assert.ok(took < TIMEOUT_MS + 400, `the probe of ${NOBODY} took ${took} ms`)
  })

  it('takes a back end down when it stops answering and up again when it answers', async () => {
    const be1 = topology.names.backends[0] ?? ''
    const [out1Address = ''] = topology.addresses.backends
    const out2Address = topology.addresses.backends6[1] ?? ''
    const changes: Array<{ output: OutputName, health: OutputHealth, at: number }> = []
    const lines: string[] = []
    const answers = new Map<string, boolean[]>()
    // records what ping answered, so the test knows both outputs were checked before the drop
    const recorded: Probe = async (address, timeoutMs) => {
      const ok = await probe(address, timeoutMs)
      answers.set(address, [...(answers.get(address) ?? []), ok])
      return ok
    }
    const checker = new HealthChecker({
      probe: recorded,
      intervalMs: INTERVAL_MS,
      timeoutMs: INTERVAL_MS,
      rise: RISE,
      fall: FALL,
      onChange: (output, health) => changes.push({ output, health, at: Date.now() }),
      log: { info: (line) => lines.push(line) }
    })
    const seen = (): string => `changes: ${JSON.stringify(changes)}; answers: ${JSON.stringify([...answers])}; log:\n${lines.join('\n')}`
    const answeredTwice = (address: string): boolean => (answers.get(address) ?? []).filter((ok) => ok).length >= 2
    const budgetMs = INTERVAL_MS * FALL + 1000
    try {
      checker.start([{ name: 'out1', address: out1Address }, { name: 'out2', address: out2Address }])
      await waitUntil(() => `two good checks of each output\n${seen()}`, 3000, () => answeredTwice(out1Address) && answeredTwice(out2Address))
      assert.equal(changes.length, 0, seen())

      const dropped = Date.now()
      await topology.exec(be1, 'iptables', DROP_ICMP)
      await waitUntil(() => `out1 down within ${budgetMs} ms\n${seen()}`, budgetMs, () => changes.length >= 1)
      assert.deepEqual(changes.map(({ output, health }) => [output, health]), [['out1', 'down']], seen())
      assert.ok((changes[0]?.at ?? 0) - dropped <= budgetMs, seen())

      await topology.exec(be1, 'iptables', ['-D', ...DROP_ICMP.slice(1)])
      await waitUntil(() => `out1 up within ${INTERVAL_MS * RISE + 1000} ms\n${seen()}`, INTERVAL_MS * RISE + 1000, () => changes.length >= 2)
      assert.deepEqual(changes.map(({ output, health }) => [output, health]), [['out1', 'down'], ['out1', 'up']], seen())
      assert.deepEqual([...checker.health()], [['out1', 'up'], ['out2', 'up']])
      assert.ok((checker.failures().get('out1') ?? 0) >= FALL, seen())
      assert.equal(checker.failures().get('out2'), 0, seen())
    } finally {
      await checker.stop()
    }
  })
})

// `what` is called only on failure, so the message shows the state at the deadline.
async function waitUntil (what: () => string, timeoutMs: number, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`expected ${what()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
