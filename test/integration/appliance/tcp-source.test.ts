import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle

const CLIENTS = 12

before(async () => {
  topology = await createTopology({ backends: 3, clientAddresses: CLIENTS })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  const [be1, be2, be3] = topology.addresses.backends
  agent = await startAgent(topology, client, {
    env: `mode=tcp_source\nports=80\nout1=${be1}\nout2=${be2}\nout3=${be3}\nhealthcheck_interval=1\n` + ctlEnv(topology)
  })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology?.destroy()
})

/** For each client source address, the back end a new connection from it lands on. */
async function outputsByClient (): Promise<Map<string, string>> {
  const seen = new Map<string, string>()
  for (const localAddress of topology.addresses.client) {
    const connection = await client.connect({ host: topology.addresses.lbClientSide, port: 80, localAddress, timeoutMs: 5000 })
    assert.equal(connection.pending, false, `no greeting for a client at ${localAddress}`)
    seen.set(localAddress, String(connection.greeting).split(' ')[0] ?? '')
    await client.close(connection.conn)
  }
  return seen
}

test('each client source address keeps its output, and the clients are spread over every output', async () => {
  const first = await outputsByClient()
  assert.equal(first.size, CLIENTS)
  assert.deepEqual(new Set(first.values()), new Set(['be1', 'be2', 'be3']))
  for (let round = 0; round < 3; round++) assert.deepEqual(await outputsByClient(), first)
})

test('clients keep their output while another output is disabled and re-enabled', async () => {
  const before = await outputsByClient()
  assert.equal((await agent.ctl('/api/disable?channel=out2')).status.code, 0)
  const during = await outputsByClient()
  for (const [address, output] of before) {
    if (output === 'be2') assert.notEqual(during.get(address), 'be2', `${address} still reaches the disabled out2`)
    else assert.equal(during.get(address), output, `${address} moved off ${output} although only out2 was disabled`)
  }
  assert.equal((await agent.ctl('/api/enable?channel=out2')).status.code, 0)
  const afterwards = await outputsByClient()
  for (const [address, output] of during) assert.equal(afterwards.get(address), output, `${address} moved when out2 came back`)
})

test('clients keep their output across a reload of HAProxy', async () => {
  const before = await outputsByClient()
  agent.writeEnv(`mode=tcp_source\nports=80\nout1=${topology.addresses.backends[0]}\nout2=${topology.addresses.backends[1]}\n` +
    `out3=${topology.addresses.backends[2]}\nhealthcheck_interval=2\n` + ctlEnv(topology))
  assert.match(await agent.reload(), /properties reloaded .*: reload/)
  assert.deepEqual(await outputsByClient(), before)
})
