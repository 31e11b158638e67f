import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { programsInNamespace } from '../../support/namespace-processes.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { l3lbRules } from '../../support/l3lb-rules.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle

const PORTS = '5060,10000-10002'
const INTERVAL_S = 1
const FALL = 2

function udpEnv (family: 4 | 6 = 4, extra = ''): string {
  const addresses = family === 4 ? topology.addresses.backends : topology.addresses.backends6
  const outputs = addresses.map((address, i) => `out${i + 1}=${address}`).join('\n')
  return `mode=udp_roundrobin\nports=${PORTS}\n${outputs}\nbackup_outputs=out4\nhealthcheck_interval=${INTERVAL_S}\nhealthcheck_fall=${FALL}\nhealthcheck_rise=1\n${extra}` + ctlEnv(topology)
}

before(async () => {
  topology = await createTopology({ backends: 4, ipv6: true })
  await startBackends(topology, { ports: PORTS, udp: true })
  client = await startClient(topology)
  agent = await startAgent(topology, client, { env: udpEnv() })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology?.destroy()
})

/** Sends one datagram from a new socket (a new flow) and returns which back end answered. */
async function newFlow (port = 5060, host = topology.addresses.lbClientSide, localPort?: number): Promise<string> {
  const reply = await client.udp({ host, port, payload: 'ping', timeoutMs: 2000, ...(localPort === undefined ? {} : { localPort }) })
  assert.notEqual(reply, null, `no answer to a datagram for ${host}:${port}`)
  const [backend, answeredPort, payload] = String(reply).split(' ')
  assert.equal(answeredPort, String(port), 'the back end got the datagram on another port than the client used')
  assert.equal(payload, 'ping')
  return backend ?? ''
}

async function flowsByBackend (count: number, port = 5060, host?: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (let i = 0; i < count; i++) {
    const backend = await newFlow(port, host)
    counts[backend] = (counts[backend] ?? 0) + 1
  }
  return counts
}

async function waitForStatus (expected: Record<string, unknown>, timeoutMs: number): Promise<number> {
  const started = Date.now()
  let last: unknown
  while (Date.now() - started < timeoutMs) {
    const { status } = await agent.ctl('/api/status')
    last = status
    if (Object.entries(expected).every(([name, state]) => status[name] === state)) return Date.now() - started
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.fail(`status did not become ${JSON.stringify(expected)} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`)
}

test('300 new flows over 3 outputs land within ±10% of 100 each; the backup gets none', async () => {
  const counts = await flowsByBackend(300)
  assert.deepEqual(Object.keys(counts).sort(), ['be1', 'be2', 'be3'])
  for (const [backend, count] of Object.entries(counts)) assert.ok(count >= 90 && count <= 110, `${backend} got ${count} of 300`)
})

test('every port and range forwards, each on the port the client used; others do not', async () => {
  for (const port of [5060, 10000, 10001, 10002]) assert.match(await newFlow(port), /^be[123]$/)
  assert.equal(await client.udp({ host: topology.addresses.lbClientSide, port: 10003, payload: 'ping', timeoutMs: 500 }), null)
})

test('one-arm layout: outputs with no route back through the load balancer still answer, thanks to udp_snat', async () => {
  const backends = topology.names.backends.slice(0, 3)
  for (const ns of backends) await topology.exec(ns, 'ip', ['route', 'del', 'default'])
  try {
    // replies go to the load balancer's own address on each link, which the outputs reach directly
    assert.deepEqual(Object.keys(await flowsByBackend(9)).sort(), ['be1', 'be2', 'be3'])
    agent.writeEnv(udpEnv(4, 'udp_snat=off\n'))
    assert.match(await agent.reload(), /properties reloaded/)
    // without source NAT the replies to the client's address have no route: nothing comes back
    assert.equal(await client.udp({ host: topology.addresses.lbClientSide, port: 5060, payload: 'ping', timeoutMs: 800 }), null)
  } finally {
    for (const [i, ns] of backends.entries()) await topology.exec(ns, 'ip', ['route', 'add', 'default', 'via', topology.addresses.lbBackendSide[i]!])
    agent.writeEnv(udpEnv())
    assert.match(await agent.reload(), /properties reloaded/)
  }
})

test('a SIP-like request and response go through end to end', async () => {
  const invite = 'INVITE sip:alice@l3lb.test SIP/2.0'
  const reply = await client.udp({ host: topology.addresses.lbClientSide, port: 5060, payload: invite, timeoutMs: 2000 })
  assert.match(String(reply), new RegExp(`^be[123] 5060 ${invite}$`))
})

test('an output that stops answering pings leaves within interval × fall + 1 s, its flows move, and it comes back', async () => {
  const clientPort = 41000
  // find a flow that lands on be2 and keep its source port
  let port = clientPort
  while ((await newFlow(5060, undefined, port)) !== 'be2') port++
  await topology.exec(topology.names.backends[1]!, 'iptables', ['-A', 'INPUT', '-p', 'icmp', '-j', 'DROP'])
  try {
    const took = await waitForStatus({ out2: 'down' }, (INTERVAL_S * FALL + 1) * 1000 + 2000)
    assert.ok(took <= (INTERVAL_S * FALL + 1) * 1000 + 1000, `out2 left after ${took} ms`)
    await agent.process.waitForLine(new RegExp(`notice: output out2 \\(.*\\) is DOWN: ${FALL} pings in a row went unanswered$`), 5000)
    // l3lb status: down since the agent saw it go; out1 has not changed since the agent started
    const { table, json } = await agent.cliStatus()
    assert.deepEqual(json.outputs.slice(0, 2).map((output) => [output.state, output.reason]), [['up', ''], ['down', `${FALL} pings in a row went unanswered`]])
    assert.equal(json.outputs[0]?.for_seconds, null)
    assert.ok((json.outputs[1]?.for_seconds ?? 99) <= 5)
    assert.match(table, new RegExp(`^out2 is down: ${FALL} pings in a row went unanswered$`, 'm'))
    // the same flow (same source port) now goes elsewhere: its conntrack entry was removed
    assert.notEqual(await newFlow(5060, undefined, port), 'be2')
    const counts = await flowsByBackend(30)
    assert.equal(counts.be2, undefined)
  } finally {
    await topology.exec(topology.names.backends[1]!, 'iptables', ['-D', 'INPUT', '-p', 'icmp', '-j', 'DROP'])
  }
  await waitForStatus({ out2: 'up' }, (INTERVAL_S + 1) * 1000 + 2000)
  assert.ok((await flowsByBackend(30)).be2 !== undefined)
})

test('counters: flows per output from conntrack, failed pings, no queue or totals', async () => {
  await flowsByBackend(30)
  const answer = await client.http(`http://${topology.addresses.lbClientSide}:8080/api/counters`, { timeoutMs: 5000 })
  const { group, counters } = JSON.parse(answer.body) as { group: string, counters: Record<string, number | undefined> }
  assert.equal(group, 'L3LB')
  assert.deepEqual([counters.out1_status, counters.out4_status, counters.out5_status], [0, 0, 100])
  for (const output of ['out1', 'out2', 'out3']) {
    assert.ok((counters[`${output}_sessions`] ?? 0) >= 1, `${output}_sessions is ${counters[`${output}_sessions`]}`)
    assert.ok((counters[`${output}_sessions_max`] ?? 0) >= (counters[`${output}_sessions`] ?? 0))
  }
  assert.ok((counters.out2_errors ?? 0) >= FALL, `out2 missed ${counters.out2_errors} pings while it dropped them`)
  assert.equal(counters.errors, [1, 2, 3, 4].reduce((sum, i) => sum + (counters[`out${i}_errors`] ?? 0), 0))
  for (const absent of ['out1_queue', 'out1_queue_max', 'out1_sessions_total', 'queue', 'queue_max', 'sessions_total']) assert.equal(counters[absent], undefined, absent)
})

test('disable and enable through ctl; backups only when every primary is unavailable', async () => {
  assert.equal((await agent.ctl('/api/disable?channel=out1')).status.code, 0)
  assert.equal((await agent.ctl('/api/disable?channel=out1')).status.code, 10)
  const without1 = await flowsByBackend(20)
  assert.deepEqual(Object.keys(without1).sort(), ['be2', 'be3'])
  assert.equal((await agent.ctl(`/api/disable?${topology.addresses.backends[1]}`)).status.code, 0)
  assert.equal((await agent.ctl('/api/disable?channel=out3')).status.code, 0)
  assert.deepEqual(await flowsByBackend(10), { be4: 10 })
  for (const output of ['out1', 'out2', 'out3']) assert.equal((await agent.ctl(`/api/enable?channel=${output}`)).status.code, 0)
  assert.deepEqual(Object.keys(await flowsByBackend(30)).sort(), ['be1', 'be2', 'be3'])
  assert.deepEqual((await agent.ctl('/api/status')).status, { code: 0, message: '', out1: 'up', out2: 'up', out3: 'up', out4: 'up' })
})

test('restart leaves one copy of the rules; stop leaves nothing of l3lb', async () => {
  const rules = await l3lbRules(topology)
  assert.ok(rules.length > 0)
  await agent.stop()
  assert.deepEqual(await l3lbRules(topology), [])
  agent = await agent.restart()
  assert.deepEqual((await l3lbRules(topology)).sort(), [...rules].sort())
  assert.match(await newFlow(), /^be[123]$/)
})

test('the agent killed with SIGKILL: the rules keep forwarding; a new agent takes them over, one copy', async () => {
  const rules = await l3lbRules(topology)
  process.kill(agent.process.pid, 'SIGKILL')
  await agent.process.exited
  assert.deepEqual(Object.keys(await flowsByBackend(9)).sort(), ['be1', 'be2', 'be3'])
  agent = await agent.restart()
  assert.deepEqual((await l3lbRules(topology)).sort(), [...rules].sort())
  assert.deepEqual(Object.keys(await flowsByBackend(9)).sort(), ['be1', 'be2', 'be3'])
})

test('IPv6: outputs and clients over IPv6 the same way', async () => {
  agent.writeEnv(udpEnv(6))
  assert.match(await agent.reload(), /: (apply|reload)/)
  const counts = await flowsByBackend(60, 5060, topology.addresses.lbClientSide6)
  assert.deepEqual(Object.keys(counts).sort(), ['be1', 'be2', 'be3'])
  for (const count of Object.values(counts)) assert.ok(count >= 14 && count <= 26, JSON.stringify(counts))
})

test('switching to tcp_roundrobin and back leaves nothing of the other mode behind', async () => {
  const tcpEnv = `ports=5060\n${topology.addresses.backends.map((address, i) => `out${i + 1}=${address}`).join('\n')}\n` + ctlEnv(topology)
  agent.writeEnv(tcpEnv)
  assert.match(await agent.reload(), /properties reloaded/)
  assert.deepEqual(await l3lbRules(topology), [])
  const tcp = await client.connect({ host: topology.addresses.lbClientSide, port: 5060, timeoutMs: 5000 })
  assert.match(String(tcp.greeting), /^be[1234] 5060$/)
  await client.close(tcp.conn)

  agent.writeEnv(udpEnv())
  assert.match(await agent.reload(), /properties reloaded/)
  assert.deepEqual(await programsInNamespace(topology.names.lb, 'haproxy'), [])
  await assert.rejects(client.connect({ host: topology.addresses.lbClientSide, port: 5060, timeoutMs: 2000 }), /ECONNREFUSED/)
  assert.match(await newFlow(), /^be[123]$/)
})
