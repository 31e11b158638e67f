/**
 * UDP service files (SPEC §11) for real, beside a TCP default: the kernel's nth rules spread
 * new flows by weight in exact proportions, a server's own port replaces the client's, a
 * server whose host stops answering pings leaves its service at once (its flows move), and
 * a SIGHUP that removes a service file removes every rule and chain of it.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { l3lbRules } from '../../support/l3lb-rules.js'
import { createTopology, type Topology } from '../../support/topology.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let dir: string

const INTERVAL_S = 1
const FALL = 2

before(async () => {
  topology = await createTopology({ backends: 3 })
  await startBackends(topology, { ports: '80,5060,6000', udp: true })
  client = await startClient(topology)
  const [be1, be2, be3] = topology.addresses.backends
  dir = mkdtempSync(join(tmpdir(), 'l3lb-udp-services-'))
  const env = `mode=tcp_roundrobin\nports=80\nout1=${be1}\n${ctlEnv(topology)}`
  writeFileSync(join(dir, 'l3lb.env'), env)
  mkdirSync(join(dir, 'services.d'))
  const checks = `healthcheck_interval=${INTERVAL_S}\nhealthcheck_fall=${FALL}\nhealthcheck_rise=1\n`
  writeFileSync(join(dir, 'services.d', 'sip.env'), `mode=udp_roundrobin\nports=5060\nserver_a=${be1}\nserver_b=${be2}\nserver_c=${be3} weight=2\n${checks}`)
  writeFileSync(join(dir, 'services.d', 'media.env'), `mode=udp_roundrobin\nports=7000\nserver_x=${be1}:6000\n${checks}`)
  agent = await startAgent(topology, client, { env, dir })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  await topology?.destroy()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** One datagram from `localPort` (a new flow unless conntrack knows it): the back end that answered, and on which port. */
async function flow (port: number, localPort: number): Promise<{ backend: string, port: string }> {
  const reply = await client.udp({ host: topology.addresses.lbClientSide, port, payload: 'ping', timeoutMs: 2000, localPort })
  assert.notEqual(reply, null, `no answer to a datagram for port ${port} from port ${localPort}`)
  const [backend, answeredPort] = String(reply).split(' ')
  return { backend: backend ?? '', port: answeredPort ?? '' }
}

async function flowsByBackend (count: number, firstPort: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (let i = 0; i < count; i++) {
    const { backend } = await flow(5060, firstPort + i)
    counts[backend] = (counts[backend] ?? 0) + 1
  }
  return counts
}

test('weights 1:1:2: 40 new flows from distinct source ports are exactly 10, 10 and 20; the TCP default serves beside it', async () => {
  assert.deepEqual(await flowsByBackend(40, 42000), { be1: 10, be2: 10, be3: 20 })
  const tcp = await client.connect({ host: topology.addresses.lbClientSide, port: 80, timeoutMs: 5000 })
  assert.match(String(tcp.greeting), /^be1 80$/)
  await client.close(tcp.conn)
})

test('a server with its own port gets the flows there, whatever port the client used', async () => {
  assert.deepEqual(await flow(7000, 43000), { backend: 'be1', port: '6000' })
})

test('a server whose host stops answering pings leaves its service at once, and its flows move', async () => {
  let port = 44000
  while ((await flow(5060, port)).backend !== 'be2') port++
  await topology.exec(topology.names.backends[1]!, 'iptables', ['-A', 'INPUT', '-p', 'icmp', '-j', 'DROP'])
  try {
    await agent.process.waitForLine(/sip\/b \(.*\) is down after 2 failed checks in a row/, (INTERVAL_S * FALL + 1) * 1000 + 3000)
    // the apply follows the check at once; give it a moment
    await new Promise((resolve) => setTimeout(resolve, 500))
    // the same flow (same source port) goes elsewhere: its conntrack entry was removed
    assert.notEqual((await flow(5060, port)).backend, 'be2')
    // 1:2 of the servers left
    assert.deepEqual(await flowsByBackend(30, 45000), { be1: 10, be3: 20 })
  } finally {
    await topology.exec(topology.names.backends[1]!, 'iptables', ['-D', 'INPUT', '-p', 'icmp', '-j', 'DROP'])
  }
  await agent.process.waitForLine(/sip\/b \(.*\) is up after 1 good checks in a row/, (INTERVAL_S + 1) * 1000 + 3000)
  await new Promise((resolve) => setTimeout(resolve, 500))
  assert.deepEqual(await flowsByBackend(40, 46000), { be1: 10, be2: 10, be3: 20 })
})

test('ctl disables a UDP service\'s server: its flows move at their next datagram, and enable brings it back', async () => {
  // ports of their own: a flow's conntrack entry outlives this test
  let port = 50000
  while ((await flow(5060, port)).backend !== 'be3') port++
  assert.deepEqual((await agent.ctl('/api/disable?service=sip&channel=c')).status, { code: 0, message: 'sip/c disabled' })
  assert.notEqual((await flow(5060, port)).backend, 'be3', 'a flow kept its disabled server')
  assert.deepEqual(await flowsByBackend(20, 51000), { be1: 10, be2: 10 })
  assert.deepEqual((await agent.ctl('/api/status?service=sip')).status, { code: 0, message: '', a: 'up', b: 'up' })
  assert.deepEqual((await agent.ctl('/api/enable?service=sip&channel=c')).status, { code: 0, message: 'sip/c enabled' })
  assert.deepEqual(await flowsByBackend(40, 52000), { be1: 10, be2: 10, be3: 20 })
})

test('drain a UDP service\'s server: its flows keep it, new flows avoid it; enable ends it', async () => {
  let port = 53000
  while ((await flow(5060, port)).backend !== 'be3') port++
  assert.deepEqual((await agent.ctl('/api/drain?service=sip&channel=c')).status, { code: 0, message: 'sip/c draining' })
  assert.equal((await flow(5060, port)).backend, 'be3', 'a flow of the draining server moved')
  assert.deepEqual(await flowsByBackend(20, 54000), { be1: 10, be2: 10 })
  assert.deepEqual((await agent.ctl('/api/enable?service=sip&channel=c')).status, { code: 0, message: 'sip/c enabled' })
  assert.deepEqual(await flowsByBackend(40, 55000), { be1: 10, be2: 10, be3: 20 })
})

test('(SPEC §12) the management API on a UDP service: a server removed and put back, the rules re-applied with no process; flows to staying servers keep them', async () => {
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: { code: number, message: string }, applied?: string }> => {
    const answer = await client.http(`http://${topology.addresses.lbClientSide}:8080${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      timeoutMs: 20_000
    })
    assert.equal(answer.status, 200, answer.body)
    return JSON.parse(answer.body)
  }
  const before = new Map<number, string>()
  for (let port = 56000; port < 56012; port++) before.set(port, (await flow(5060, port)).backend)
  assert.ok([...before.values()].includes('be3') && [...before.values()].some((backend) => backend !== 'be3'), JSON.stringify([...before]))
  const removed = await api('DELETE', '/api/services/sip/servers/c')
  assert.deepEqual(removed, { status: { code: 0, message: 'server c of service sip removed' }, applied: 'runtime' })
  for (const [port, backend] of before) {
    const now = (await flow(5060, port)).backend
    if (backend === 'be3') assert.notEqual(now, 'be3', `the flow from ${port} stayed on the removed server`)
    else assert.equal(now, backend, `the flow from ${port} moved off a staying server`)
  }
  assert.deepEqual(await flowsByBackend(20, 57000), { be1: 10, be2: 10 })
  const [, , be3] = topology.addresses.backends
  const back = await api('PUT', '/api/services/sip/servers/c', { address: be3, weight: 2 })
  assert.deepEqual(back, { status: { code: 0, message: 'server c of service sip added' }, applied: 'runtime' })
  assert.deepEqual(await flowsByBackend(40, 58000), { be1: 10, be2: 10, be3: 20 })
})

test('a SIGHUP that removes a service file removes its chain and rules; removing the last one leaves nothing of l3lb', async () => {
  const before = await l3lbRules(topology)
  assert.ok(before.some((line) => line.includes('"service sip"')), before.join('\n'))
  assert.ok(before.includes(':L3LB-SPREAD-2 - [0:0]'), 'sip, second by name, has chain L3LB-SPREAD-2')
  rmSync(join(dir, 'services.d', 'sip.env'))
  assert.match(await agent.reload(), /properties reloaded/)
  const rules = await l3lbRules(topology)
  assert.deepEqual(rules.filter((line) => line.includes('sip') || line.includes('L3LB-SPREAD-2')), [])
  assert.equal(await client.udp({ host: topology.addresses.lbClientSide, port: 5060, payload: 'ping', timeoutMs: 800, localPort: 47000 }), null)
  assert.deepEqual(await flow(7000, 47001), { backend: 'be1', port: '6000' })
  rmSync(join(dir, 'services.d', 'media.env'))
  assert.match(await agent.reload(), /properties reloaded/)
  assert.deepEqual(await l3lbRules(topology), [])
  const tcp = await client.connect({ host: topology.addresses.lbClientSide, port: 80, timeoutMs: 5000 })
  assert.match(String(tcp.greeting), /^be1 80$/)
  await client.close(tcp.conn)
})
