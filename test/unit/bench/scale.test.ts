// The scale benchmark's pure parts (scripts/bench/lib/scale-plan.mjs, scale-report.mjs).
import { test } from 'node:test'
import assert from 'node:assert/strict'

// scripts/ is plain JavaScript outside the TypeScript build: loaded from beside dist/
const lib = (file: string): string => new URL(`../../../../scripts/bench/lib/${file}`, import.meta.url).href
const plans = await import(lib('scale-plan.mjs'))
const { scaleSection } = await import(lib('scale-report.mjs'))

interface Server { name: string, address: string }
interface Service { name: string, port: number, servers: Server[] }

test('scale plan: 256 services and 999 servers, spread evenly, every address distinct and on one back end', () => {
  const plan = plans.scalePlan({ services: 256, servers: 999, backends: 2, spares: 2 })
  const services = plan.services as Service[]
  assert.equal(services.length, 256)
  const counts = services.map((s) => s.servers.length)
  assert.equal(counts.reduce((a, b) => a + b, 0), 999)
  assert.deepEqual([...new Set(counts)].sort(), [3, 4])
  const addresses = [...services.flatMap((s) => s.servers.map((v) => v.address)), ...plan.spare]
  assert.equal(new Set(addresses).size, 1001, 'each server and spare on its own address')
  assert.deepEqual([...plan.perBackend[0], ...plan.perBackend[1]].sort(), [...addresses].sort())
  for (const a of plan.perBackend[0]) assert.match(a, /^198\.18\.10[0-3]\.\d+$/)
  for (const a of plan.perBackend[1]) assert.match(a, /^198\.18\.10[4-7]\.\d+$/)
  assert.deepEqual(services.map((s) => s.port), Array.from({ length: 256 }, (_, i) => 10000 + i))
  assert.equal(plan.ports, '10000-10255')
  assert.equal(services[255]!.name, 's255')
})

test('scale plan: addresses stay inside a back end\'s /22, and fewer servers than services is refused', () => {
  assert.equal(plans.backendAddress(1, 0), '198.18.104.1')
  assert.equal(plans.backendAddress(0, 999), '198.18.103.250')
  assert.throws(() => plans.backendAddress(0, 1000), /past the 1000/)
  assert.equal(plans.backendRange(1), '198.18.104.0/22')
  assert.throws(() => plans.scalePlan({ services: 8, servers: 7, backends: 2 }), /7 servers cannot give each of 8 services one/)
})

test('scale plan: a service file, the bare HAProxy config and the one change', () => {
  const plan = plans.scalePlan({ services: 2, servers: 3, backends: 1, spares: 1 })
  const first = plan.services[0] as Service
  assert.equal(plans.serviceFileText(first), 'mode=tcp_roundrobin\nports=10000\nhealthcheck_interval=2\nserver_a=198.18.100.1:9000\nserver_b=198.18.100.2:9000\n')
  const config: string = plans.bareHaproxyConfig(plan.services, '198.18.0.1', '/tmp/s.sock')
  assert.equal(config.match(/^frontend /gm)?.length, 2)
  assert.equal(config.match(/^ {2}server /gm)?.length, 3)
  assert.match(config, /frontend s001\n {2}bind 198\.18\.0\.1:10001\n/)
  const moved = plans.withServerAddress(plan, 's000', 'a', plan.spare[0])
  assert.equal(moved.services[0].servers[0].address, '198.18.100.4')
  assert.equal(plan.services[0].servers[0].address, '198.18.100.1', 'the plan it came from is unchanged')
  assert.deepEqual(moved.services[1], plan.services[1])
  assert.equal(plans.addressBatch(['198.18.100.1'], 'eth0'), 'address add 198.18.100.1/32 dev eth0\n')
})

function figures (put: Record<string, unknown>): Record<string, unknown> {
  const ctl = { count: 100, statusP50: 3, statusP99: 8, changeP50: 4, changeP99: 9, errors: 0 }
  return {
    scale: {
      services: 256,
      serversAtStart: 999,
      serversAfterPut: 1000,
      backends: 2,
      bare: { startMs: 150, firstForwardMs: 80, reloadMs: 90, rss: 30 * 2 ** 20 },
      profile: { nodeStartMs: 60, renderOneMs: 500, renderMs: 520, checkMs: 40 },
      startMs: 1500,
      firstForwardMs: 900,
      startSteps: { propertiesRead: 500, haproxyServing: 1000, ctlListening: 1200 },
      sighup: { lineMs: 700, inForceMs: 1200, line: 'properties reloaded: reload', reloadedHaproxy: true, loadSeconds: 6, loadPorts: 8, connections: 1000, failed: 0, failures: [] },
      put,
      ctl: { idle: ctl, loaded: ctl, metrics: { count: 20, p50: 150, p99: 250, max: 250 } },
      agentRss: 100 * 2 ** 20,
      haproxyRss: 33 * 2 ** 20
    }
  }
}

test('scale report: each aim judged on its figure, ratios to the bare HAProxy', () => {
  const aims: string[] = []
  const lines: string[] = scaleSection(figures({ url: 'http://198.18.0.1:8080/api/services/s001/servers/added', httpStatus: 200, applied: 'runtime', answerMs: 20, firstForwardMs: 60, sameWorker: true }), aims)
  const text = lines.join('\n')
  assert.match(text, /\| start to every service forwarding \| 1500 ms \| 150 ms \| × 10\.0 \|/)
  assert.match(text, /`"applied": "runtime"`/)
  const verdict = (start: string): string => aims.find((a) => a.startsWith(`| scale: ${start}`))?.split('|').at(-2)?.trim() ?? 'missing'
  assert.equal(verdict('start'), 'met')
  assert.equal(verdict('a SIGHUP'), '**not met**', '1,200 ms is over the 1 s aim')
  assert.equal(verdict('0 failed'), 'met')
  assert.equal(verdict('PUT'), 'met')
  assert.equal(verdict('ctl'), 'met')
  assert.equal(verdict('/metrics'), '**not met**', 'judged on the p99, 250 ms')
})

test('scale report: a PUT the API does not answer yet is said plainly, not as a figure', () => {
  const aims: string[] = []
  const text = scaleSection(figures({ url: 'http://198.18.0.1:8080/api/services/s001/servers/added', httpStatus: 404, message: 'unknown path', notMeasured: 'the API answers 404: unknown path' }), aims).join('\n')
  assert.match(text, /not measured: the API answers 404/)
  assert.ok(aims.some((a) => /PUT.*not measured: the API answers 404.*\*\*not met\*\*/.test(a)))
})
