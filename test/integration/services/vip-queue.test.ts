/**
 * Virtual services on one port, each on an address of its own (SPEC §11, in_addr), for real:
 * the connections waiting in one service's listen backlog are that service's `queue`, not
 * the other's. Until 2026-12-05 the backlog was matched by port alone, and both counted them.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ctlEnv, startAgent, writeAgentFiles, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver, type ConnectionState } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'

const PORT = 8090

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let dir: string
const opened: ConnectionState[] = []

before(async () => {
  topology = await createTopology({ backends: 1, ipv6: true })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  const [be1] = topology.addresses.backends
  const env = `mode=tcp_roundrobin\nports=80\nout1=${be1}\n${ctlEnv(topology)}`
  dir = mkdtempSync(join(tmpdir(), 'l3lb-vip-queue-'))
  writeAgentFiles(dir, env, {
    // one session at a time: the next connections wait in the kernel's accept queue of shop's listener
    shop: `ports=${PORT}\nin_addr=${topology.addresses.lbClientSide}\nmax_connections=1\nserver_a=${be1}:80\n`,
    mail: `ports=${PORT}\nin_addr=${topology.addresses.lbClientSide6 ?? ''}\nserver_a=${be1}:80\n`
  })
  agent = await startAgent(topology, client, { env, dir })
})

after(async () => {
  for (const connection of opened) await client.close(connection.conn).catch(() => undefined)
  await agent?.stop().catch(() => undefined)
  await topology?.destroy()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

async function queueOf (service: string): Promise<number> {
  const answer = await client.http(`http://${topology.addresses.lbClientSide}:8080/api/counters?service=${service}`, { timeoutMs: 5000 })
  assert.equal(answer.status, 200, answer.body)
  return (JSON.parse(answer.body) as { counters: { queue: number } }).counters.queue
}

test('connections waiting at one virtual service\'s address count in its queue alone, not in the one beside it on the same port', async () => {
  const open = async (): Promise<ConnectionState> => {
    const connection = await client.connect({ host: topology.addresses.lbClientSide, port: PORT, timeoutMs: 1500 })
    opened.push(connection)
    return connection
  }
  // the one session shop takes, then two that wait
  assert.equal((await open()).pending, false, 'shop forwards its first connection')
  const waiting = [await open(), await open()]
  for (const connection of waiting) assert.equal(connection.pending, true, 'past max_connections a connection waits')
  const deadline = Date.now() + 10_000
  let shop = await queueOf('shop')
  while (shop !== 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    shop = await queueOf('shop')
  }
  assert.equal(shop, 2, 'shop\'s queue: the two connections in its listen backlog')
  assert.equal(await queueOf('mail'), 0, 'mail listens on the same port at another address: none of them is waiting for it')
  assert.equal(await queueOf('default'), 0)
})
