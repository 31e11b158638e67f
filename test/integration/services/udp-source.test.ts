/**
 * udp_source (SPEC §14) for real: 30 client addresses, each sending to two ports of the service,
 * land on one server each (both ports on the same one), and every server gets some; a disabled
 * server's clients alone move, at their next datagram; enabled again, exactly its clients come
 * back, also on flows conntrack already knew; counters count each server's flows.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ctlEnv, startAgent, type AgentHandle, writeAgentFiles } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { l3lbRules } from '../../support/l3lb-rules.js'
import { createTopology, type Topology } from '../../support/topology.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let dir: string

const CLIENTS = 30
const PORTS = [5060, 10000] as const

before(async () => {
  topology = await createTopology({ backends: 3, clientAddresses: CLIENTS })
  await startBackends(topology, { ports: '80,5060,10000', udp: true })
  client = await startClient(topology)
  const [be1, be2, be3] = topology.addresses.backends
  dir = mkdtempSync(join(tmpdir(), 'l3lb-udp-source-'))
  const env = `mode=tcp_roundrobin\nports=80\nout1=${be1}\n${ctlEnv(topology)}`
  writeAgentFiles(dir, env, { sip: `mode=udp_source\nports=5060 10000\nserver_a=${be1}\nserver_b=${be2}\nserver_c=${be3}\nhealthcheck_interval=1\n` })
  agent = await startAgent(topology, client, { env, dir })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  await topology?.destroy()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** The back end that answered one datagram from `localAddress`:`localPort` to `port`. */
async function answeredBy (localAddress: string, port: number, localPort: number): Promise<string> {
  const reply = await client.udp({ host: topology.addresses.lbClientSide, port, payload: 'ping', timeoutMs: 2000, localAddress, localPort })
  assert.notEqual(reply, null, `no answer to ${localAddress}:${localPort} -> ${port}`)
  return String(reply).split(' ')[0] ?? ''
}

/** Each client address's back end, sending from `localPort` to both ports; both must be answered by the same one. */
async function serverPerClient (localPort: number): Promise<Map<string, string>> {
  const result = new Map<string, string>()
  for (const address of topology.addresses.client) {
    const [first, second] = [await answeredBy(address, PORTS[0], localPort), await answeredBy(address, PORTS[1], localPort)]
    assert.equal(first, second, `${address}: port ${PORTS[0]} went to ${first}, port ${PORTS[1]} to ${second}`)
    result.set(address, first)
  }
  return result
}

const clientsOf = (map: ReadonlyMap<string, string>, backend: string): string[] => [...map].filter(([, to]) => to === backend).map(([address]) => address)

let initial: Map<string, string>

test('30 client addresses, two ports each: one server per client for both ports, every server gets some, the same on new flows', async () => {
  assert.equal(topology.addresses.client.length, CLIENTS)
  const rules = await l3lbRules(topology)
  assert.ok(rules.some((line) => line.includes('-j HMARK')), rules.join('\n'))
  initial = await serverPerClient(40000)
  for (const backend of ['be1', 'be2', 'be3']) assert.ok(clientsOf(initial, backend).length > 0, `${backend} got no client: ${JSON.stringify([...initial])}`)
  // new flows (other source ports) of each client go where its last ones went: the hash, not conntrack
  assert.deepEqual(await serverPerClient(40001), initial)
  // each server's flows, from conntrack: two source ports times two ports per client
  const { counters } = JSON.parse((await client.http(`http://${topology.addresses.lbClientSide}:8080/api/counters?service=sip`, { timeoutMs: 10_000 })).body) as { counters: Record<string, number> }
  assert.deepEqual([counters.a_sessions, counters.b_sessions, counters.c_sessions], ['be1', 'be2', 'be3'].map((backend) => clientsOf(initial, backend).length * 4))
})

test('disable a server: only its clients move, at their next datagram; enable it: exactly its clients come back', async () => {
  const moving = clientsOf(initial, 'be2')
  assert.deepEqual((await agent.ctl('/api/disable?service=sip&channel=b')).status, { code: 0, message: 'sip/b disabled' })
  // flows conntrack knows (the first test's source port): b's were forgotten, the others keep their server
  const without = await serverPerClient(40000)
  for (const [address, backend] of initial) {
    if (backend === 'be2') assert.notEqual(without.get(address), 'be2', `${address} stayed on the disabled server`)
    else assert.equal(without.get(address), backend, `${address} moved off ${backend}, which stayed`)
  }
  assert.ok(moving.some((address) => without.get(address) === 'be1') || moving.length < 2, 'b\'s clients spread over a and c')
  assert.deepEqual(await serverPerClient(40002), without)
  assert.deepEqual((await agent.ctl('/api/enable?service=sip&channel=b')).status, { code: 0, message: 'sip/b enabled' })
  // the same known flows: those of b's clients, held by a and c, were forgotten, so b's clients come back and no other moves
  assert.deepEqual(await serverPerClient(40000), initial)
  assert.deepEqual(await serverPerClient(40003), initial)
})

test('drain a server: its clients\' known flows stay, their new flows go elsewhere; enable: back as they were', async () => {
  assert.deepEqual((await agent.ctl('/api/drain?service=sip&channel=c')).status, { code: 0, message: 'sip/c draining' })
  assert.deepEqual(await serverPerClient(40000), initial)
  const fresh = await serverPerClient(40004)
  for (const [address, backend] of initial) {
    if (backend === 'be3') assert.notEqual(fresh.get(address), 'be3', `${address}'s new flow went to the draining server`)
    else assert.equal(fresh.get(address), backend)
  }
  assert.deepEqual((await agent.ctl('/api/enable?service=sip&channel=c')).status, { code: 0, message: 'sip/c enabled' })
  assert.deepEqual(await serverPerClient(40005), initial)
})
