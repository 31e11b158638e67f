/**
 * A pair whose env file is TCP with a UDP service file (a SIP service beside a web one): the
 * agent runs conntrackd for it as it does for udp_roundrobin in the env file, so each UDP flow
 * opened through the active node keeps its server after that node fails.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { HaPair, type NodeName } from '../../support/ha-pair.js'
import { createHaTopology, type HaTopology } from '../../support/ha-topology.js'
import { backendOfFlow, flowsInExternalCache } from '../../support/udp-pair.js'

const FLOWS = 12
const SIP_PORT = 5060
const FIRST_SOURCE_PORT = 42000
const REPLY_TIMEOUT_MS = 2000

let topology: HaTopology
let client: ClientDriver
let pair: HaPair

function envFor (name: NodeName): string {
  const own = topology.addresses[name]
  const peer = topology.addresses[name === 'lb1' ? 'lb2' : 'lb1']
  const [be1] = topology.addresses.backends
  return [
    'mode=tcp_roundrobin', 'ports=80', `out1=${be1}`, `in_addr=${own}`, `ctl_addr=${own}`, 'ctl_token=udp-svc-t0ken', `ui_addr=${own}`,
    `ha_vip=${topology.addresses.virtual}`, `ha_interface=${topology.lbInterface}`, `ha_peer=${peer}`,
    `ha_priority=${name === 'lb1' ? 150 : 100}`, 'ha_router_id=45',
    // the UDP service's flows leave from the pair's address on the back-end segment, so replies reach the new active node
    `ha_out_vip=${topology.addresses.outputsVirtual}`, `ha_out_interface=${topology.lbOutputsInterface}`, ''
  ].join('\n')
}

before(async () => {
  topology = await createHaTopology({ backends: 3 })
  await startBackends(topology, { ports: String(SIP_PORT), udp: true })
  client = await startClient(topology)
  pair = new HaPair(topology, envFor)
  const [be1, be2, be3] = topology.addresses.backends
  for (const name of ['lb1', 'lb2'] as const) {
    const folder = join(dirname(pair.envFile(name)), 'services.d')
    mkdirSync(folder)
    writeFileSync(join(folder, 'sip.env'), `mode=udp_roundrobin\nports=${SIP_PORT}\nserver_a=${be1}\nserver_b=${be2}\nserver_c=${be3}\n`)
  }
  await pair.startActiveThenStandby(topology.addresses.virtual)
})

after(async () => {
  await pair?.stop()
  await topology?.destroy()
})

test('conntrackd runs on both nodes of a TCP pair with a UDP service file', () => {
  for (const name of ['lb1', 'lb2'] as const) assert.match(pair.agent(name).output(), /conntrackd running: UDP flows shared with the peer/, `${name}\n${pair.logs()}`)
})

test('the active node fails: every flow of the UDP service file is answered by the server it had', async () => {
  const sourcePorts = Array.from({ length: FLOWS }, (_, i) => FIRST_SOURCE_PORT + i)
  const first = new Map<number, string | null>()
  for (const sourcePort of sourcePorts) first.set(sourcePort, await backendOfFlow(topology, client, SIP_PORT, sourcePort, REPLY_TIMEOUT_MS))
  assert.ok([...first.values()].every((backend) => backend !== null), `a flow was not answered before the failover: ${JSON.stringify([...first])}\n${pair.logs()}`)
  // spread over every server: a flow spread anew could land elsewhere, so the test can fail
  assert.equal(new Set(first.values()).size, 3, `the flows did not reach all three servers: ${JSON.stringify([...first])}`)
  await pair.waitFor(`lb2's conntrackd holds all ${FLOWS} flows`, async () => await flowsInExternalCache(topology, 'lb2', pair.runtimeDir('lb2'), SIP_PORT) >= FLOWS, 10_000)

  // the active node fails: its agent stops (keepalived first, so lb2 takes over), then its links go down
  const agent1 = pair.agent('lb1')
  process.kill(agent1.pid, 'SIGTERM')
  await pair.waitFor('lb2 holds the virtual address', () => topology.holds(topology.names.lb2, topology.addresses.virtual), 10_000)
  await pair.agent('lb2').waitForLine(/conntrackd: .*Committed \d+ new entries/, 10_000)
  await agent1.exited
  for (const link of [topology.lbInterface, topology.lbOutputsInterface]) await topology.exec(topology.names.lb1, 'ip', ['link', 'set', link, 'down'])

  // in reverse order: lb2's round robin, spreading anew, would give most flows another server
  const changed: string[] = []
  for (const sourcePort of [...sourcePorts].reverse()) {
    const now = await backendOfFlow(topology, client, SIP_PORT, sourcePort, REPLY_TIMEOUT_MS)
    if (now !== first.get(sourcePort)) changed.push(`${sourcePort}: ${first.get(sourcePort) ?? ''} -> ${now ?? 'no answer'}`)
  }
  assert.deepEqual(changed, [], `flows changed server across the failover\n${pair.logs()}`)
})
