/**
 * The agent's surface with ctl_token set: refused without the right token, listening on
 * ctl_addr only, and its sockets and files closed to other users.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { ClientCommandError, startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'

const TOKEN = 'sec-Token_0123456789'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle

before(async () => {
  topology = await createTopology({ backends: 2 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  const [be1, be2] = topology.addresses.backends
  agent = await startAgent(topology, client, { env: `ports=80\nout1=${be1}\nout2=${be2}\nhealthcheck_interval=1\nctl_token=${TOKEN}\n` + ctlEnv(topology) })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology?.destroy()
})

const AUTH = { authorization: `Bearer ${TOKEN}` }

test('without the right token every request to every path is refused with 401 and code 100', async () => {
  const wrong: Array<Record<string, string>> = [
    {},
    { authorization: '' },
    { authorization: 'Bearer' },
    { authorization: 'Bearer wrong' },
    { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, // shorter
    { authorization: `Bearer ${TOKEN}x` }, // longer
    { authorization: `Bearer ${TOKEN.slice(0, -1)}X` }, // same length, last character differs
    { authorization: `Bearer ${TOKEN.toLowerCase()}` },
    { authorization: `Bearer ${'x'.repeat(4000)}` },
    { authorization: `Basic ${TOKEN}` },
    { authorization: TOKEN },
    { authorization: `Bearer ${TOKEN} ${TOKEN}` },
    { 'x-authorization': `Bearer ${TOKEN}` }
  ]
  for (const path of ['/api/status', '/api/outputs', '/api/disable?channel=out1', '/api/enable?channel=out1', '/api/counters', '/metrics', '/api/nothing']) {
    for (const headers of wrong) {
      const { httpStatus, status } = await agent.ctl(path, headers)
      assert.equal(httpStatus, 401, `${path} ${JSON.stringify(headers).slice(0, 80)}`)
      assert.deepEqual(status, { code: 100, message: 'ctl_token required: send Authorization: Bearer <token>' })
    }
  }
  // a POST without the token learns nothing either, not even that POST is refused
  const post = await client.http(`http://${topology.addresses.lbClientSide}:8080/api/disable?channel=out1`, { method: 'POST' })
  assert.equal(post.status, 401)
  assert.doesNotMatch(post.body, new RegExp(TOKEN))
  const { httpStatus, status } = await agent.ctl('/api/status', AUTH)
  assert.equal(httpStatus, 200)
  assert.ok(status.out1 !== undefined && status.out2 !== undefined, `nothing was disabled: ${JSON.stringify(status)}`)
})

test('the ctl service listens on ctl_addr:ctl_port only', async () => {
  const listening = await topology.exec(topology.names.lb, 'ss', ['-Hltnp'])
  const on8080 = listening.stdout.split('\n').filter((line) => /:8080\s/.test(line))
  assert.equal(on8080.length, 1, `one listener on port 8080 in lb:\n${listening.stdout}`)
  const [, , , local = '', , owner = ''] = (on8080[0] ?? '').trim().split(/\s+/)
  assert.equal(local, `${topology.addresses.lbClientSide}:8080`)
  assert.match(owner, new RegExp(`pid=${agent.process.pid}\\b|"node"`), `the agent owns it: ${on8080[0]}`)

  // another address of lb on 8080 is refused, from the client and from inside lb
  const other = topology.addresses.lbBackendSide[0] as string
  await assert.rejects(client.connect({ host: other, port: 8080, timeoutMs: 3000 }), (error: unknown) => error instanceof ClientCommandError && error.code === 'ECONNREFUSED')
  for (const host of ['127.0.0.1', other]) {
    const probe = `require('node:net').connect(8080, '${host}').on('connect', () => { console.log('connected'); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(0) })`
    const result = await topology.exec(topology.names.lb, process.execPath, ['-e', probe], { timeoutMs: 5000 })
    assert.equal(result.stdout.trim(), 'ECONNREFUSED', `${host}:8080 inside lb`)
  }
})

test('sockets and files are closed to other users', async () => {
  // an admin change writes admin-state.json and the server-state file
  assert.equal((await agent.ctl('/api/disable?channel=out2', AUTH)).status.code, 0)
  assert.equal((await agent.ctl('/api/enable?channel=out2', AUTH)).status.code, 0)
  const modeOf = (path: string): number => statSync(path).mode & 0o777
  const show = (mode: number): string => mode.toString(8).padStart(3, '0')

  const runtime = modeOf(agent.runtimeDir)
  assert.equal(runtime & 0o027, 0, `runtime folder ${show(runtime)}: 0750 or stricter`)
  const state = modeOf(agent.stateDir)
  assert.equal(state & 0o027, 0, `state folder ${show(state)}: 0750 or stricter`)
  const files = [
    join(agent.runtimeDir, 'haproxy.sock'),
    join(agent.runtimeDir, 'master.sock'),
    join(agent.runtimeDir, 'haproxy.cfg'),
    join(agent.runtimeDir, 'server-state'),
    join(agent.stateDir, 'admin-state.json')
  ]
  const checkFiles = (paths: readonly string[]): void => {
    for (const path of paths) {
      const mode = modeOf(path)
      // no o+r (o+w would let anyone drive a socket), no g+w
      assert.equal(mode & 0o026, 0, `${path} is ${show(mode)}`)
      if (path.endsWith('.sock')) assert.equal(mode & 0o007, 0, `${path} is ${show(mode)}: no access for others`)
    }
  }
  checkFiles(files)

  // counters.json is written at stop
  await agent.stop()
  checkFiles([join(agent.stateDir, 'counters.json'), join(agent.stateDir, 'admin-state.json')])
})
