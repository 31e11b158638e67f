// The checks benchmark's pure parts (scripts/bench/lib/checks.mjs): the plan and the report's section.
import { test } from 'node:test'
import assert from 'node:assert/strict'

const lib = (file: string): string => new URL(`../../../../scripts/bench/lib/${file}`, import.meta.url).href
const { checksPlan, checksSection } = await import(lib('checks.mjs'))

test('checks plan: 1,000 UDP servers, 8 outputs and 4 files of 248, each address once, bound on its service\'s port in its back end', () => {
  const plan = checksPlan({ servers: 1000, outputs: 8, files: 4, backends: 2 })
  assert.equal(plan.total, 1000)
  assert.equal(plan.outputs.length, 8)
  assert.deepEqual(plan.services.map((s: { servers: string[] }) => s.servers.length), [248, 248, 248, 248])
  const binds = [...plan.binds[0], ...plan.binds[1]] as string[]
  assert.equal(binds.length, 1000)
  assert.equal(new Set(binds.map((line) => line.split(' ')[0])).size, 1000)
  assert.ok(plan.binds[0].every((line: string) => /^198\.18\.10[0-3]\.\d+ 700[0-4]$/.test(line)))
  assert.ok(plan.binds[1].every((line: string) => /^198\.18\.10[4-7]\.\d+ 700[0-4]$/.test(line)))
  assert.ok(binds.includes(`${plan.services[2].servers[0]} 7003`))
})

test('checks section: each kind\'s CPU, its cost above checks off, and a kind that failed said so', () => {
  const figure = (cpu: number, children: number): object => ({ cpuPerSecond: cpu, childrenCpuPerSecond: children, rss: 70 * 2 ** 20, answeredPerSecond: 1000, upAfter: 1000 })
  const text = checksSection({ servers: 1000, services: 5, windowSeconds: 20, settleSeconds: 5, kinds: { off: figure(0.01, 0.005), udp: figure(0.1, 0.03), icmp: { failed: 'the agent ran out of V8 heap' } } }, []).join('\n')
  assert.match(text, /\| `udp` \| 10\.0 % \| 3\.0 % \| 11\.5 % \| 70\.0 MiB \| 1,000 \| 1000\/1000 \|/)
  assert.match(text, /\| `icmp` \| \*\*failed\*\*: the agent ran out of V8 heap/)
})
