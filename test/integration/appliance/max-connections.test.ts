import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle

before(async () => {
  topology = await createTopology({ backends: 2 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  const [be1, be2] = topology.addresses.backends
  agent = await startAgent(topology, client, { env: `ports=80\nout1=${be1}\nout2=${be2}\nmax_connections=2\n` + ctlEnv(topology) })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology?.destroy()
})

test('connections past max_connections are accepted, wait, and complete once others close', async () => {
  const host = topology.addresses.lbClientSide
  const first = await client.connect({ host, port: 80, timeoutMs: 5000 })
  const second = await client.connect({ host, port: 80, timeoutMs: 5000 })
  assert.equal(first.pending, false)
  assert.equal(second.pending, false)

  const waiting = [await client.connect({ host, port: 80, timeoutMs: 1000 }), await client.connect({ host, port: 80, timeoutMs: 1000 })]
  for (const connection of waiting) {
    assert.equal(connection.closed, false, 'a connection past the limit was refused')
    assert.equal(connection.pending, true, 'a connection past the limit was served at once')
  }
  // still waiting a while later: nothing is served until a slot frees
  assert.equal((await client.waitGreeting(waiting[0]!.conn, 1500)).pending, true)

  await client.close(first.conn)
  const served = await client.waitGreeting(waiting[0]!.conn, 5000)
  assert.equal(served.pending, false)
  assert.match(String(served.greeting), /^be[12] 80$/)
  assert.equal((await client.waitGreeting(waiting[1]!.conn, 500)).pending, true, 'only one slot freed')

  await client.close(second.conn)
  assert.equal((await client.waitGreeting(waiting[1]!.conn, 5000)).pending, false)
  for (const connection of waiting) await client.close(connection.conn)
})
