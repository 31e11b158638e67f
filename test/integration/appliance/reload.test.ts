import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { backendsGreeting } from '../../support/traffic.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle

function envWith (outputs: number, extra = ''): string {
  const lines = topology.addresses.backends.slice(0, outputs).map((address, i) => `out${i + 1}=${address}`)
  return `ports=80\n${lines.join('\n')}\nhealthcheck_interval=1\n${extra}` + ctlEnv(topology)
}

before(async () => {
  topology = await createTopology({ backends: 3 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  agent = await startAgent(topology, client, { env: envWith(2) })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology?.destroy()
})

async function backendsInUse (count: number): Promise<string[]> {
  return [...new Set(await backendsGreeting(client, topology.addresses.lbClientSide, count))].sort()
}

test('SIGHUP with a new output reloads HAProxy without dropping an open connection', async () => {
  const held = await client.connect({ host: topology.addresses.lbClientSide, port: 80, timeoutMs: 5000 })
  assert.equal(await client.send(held.conn, 'before'), 'before')
  assert.deepEqual(await backendsInUse(4), ['be1', 'be2'])

  agent.writeEnv(envWith(3))
  assert.match(await agent.reload(), /properties reloaded .*: reload$/)
  assert.deepEqual(await backendsInUse(6), ['be1', 'be2', 'be3'])
  assert.equal(await client.send(held.conn, 'after the reload'), 'after the reload')
  await client.close(held.conn)
})

test('SIGHUP with a bad env file keeps the running configuration and logs every error', async () => {
  const config = readFileSync(join(agent.runtimeDir, 'haproxy.cfg'), 'utf8')
  agent.writeEnv(envWith(3, 'mode=tcp_fast\nhealthcheck_fall=0\n'))
  const outcome = await agent.reload()
  assert.match(outcome, /reload refused, the running configuration stays/)
  assert.match(agent.process.output(), /invalid mode specified/)
  assert.match(agent.process.output(), /healthcheck_fall/)
  assert.equal(readFileSync(join(agent.runtimeDir, 'haproxy.cfg'), 'utf8'), config)
  assert.deepEqual(await backendsInUse(6), ['be1', 'be2', 'be3'])
  assert.equal((await agent.ctl('/api/status')).status.code, 0)
})

test('SIGHUP with an unchanged file does nothing; a removed output stops getting traffic', async () => {
  agent.writeEnv(envWith(3))
  assert.match(await agent.reload(), /nothing changed$/)
  agent.writeEnv(envWith(1))
  assert.match(await agent.reload(), /: reload$/)
  assert.deepEqual(await backendsInUse(4), ['be1'])
  assert.deepEqual(Object.keys((await agent.ctl('/api/status')).status).filter((key) => key.startsWith('out')), ['out1'])
})

test('SIGHUP may move the ctl service and change its token; the old port then refuses', async () => {
  const lb = topology.addresses.lbClientSide
  agent.writeEnv(envWith(1).replace('ctl_port=8080', 'ctl_port=8081') + 'ctl_token=moved-token\n')
  assert.match(await agent.reload(), /: nothing changed$/)
  await assert.rejects(client.http(`http://${lb}:8080/api/status`, { timeoutMs: 2000 }), /ECONNREFUSED/)
  const refused = await client.http(`http://${lb}:8081/api/status`, { timeoutMs: 2000 })
  assert.equal(refused.status, 401)
  const answered = await client.http(`http://${lb}:8081/api/status`, { headers: { authorization: 'Bearer moved-token' }, timeoutMs: 2000 })
  assert.equal(JSON.parse(answered.body).status.out1, 'up')

  agent.writeEnv(envWith(1))
  assert.match(await agent.reload(), /: nothing changed$/)
  assert.equal((await agent.ctl('/api/status')).status.code, 0)
})
