/**
 * A service file's outage (SPEC §11), for real: when every server of a TCP service file goes
 * down, after their own notices, the log says `service web: NO SERVER IS UP` as an error and
 * `/api/notices` lists it with the service and its servers; one server back says `serving
 * again`. The env file's output, up all along, has no outage of its own.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ctlEnv, startAgent, writeAgentFiles, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { waitFor } from '../../support/wait.js'

const CHECKS = 'healthcheck_interval=1\nhealthcheck_fall=1\nhealthcheck_rise=1\nconn_timeout=1\n'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let dir: string

before(async () => {
  topology = await createTopology({ backends: 3 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  const [be1, be2, be3] = topology.addresses.backends
  dir = mkdtempSync(join(tmpdir(), 'l3lb-service-outage-'))
  const env = `mode=tcp_roundrobin\nports=80\nout1=${be1}\n${CHECKS}${ctlEnv(topology)}`
  writeAgentFiles(dir, env, { web: `mode=tcp_roundrobin\nports=8081\nserver_web1=${be2}:80\nserver_web2=${be3}:80\n${CHECKS}` })
  agent = await startAgent(topology, client, { env, dir })
  await waitFor('every server up', async () => Object.values((await agent.ctl('/api/status?service=web')).status).filter((value) => value === 'up').length === 2, 10_000, { context: log })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  await topology?.destroy()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

function log (): string {
  return agent.process.output().slice(-3000)
}

/** Makes back end `index` (1-based) refuse TCP port 80 (RST) or accept it again: its checks fail or pass. */
async function refuse (index: number, on: boolean): Promise<void> {
  await topology.exec(topology.names.backends[index - 1]!, 'iptables', [on ? '-I' : '-D', 'INPUT', '-p', 'tcp', '--dport', '80', '-j', 'REJECT', '--reject-with', 'tcp-reset'])
}

/** The agent's notice lines printed since `mark` (a length of its output), from their level on. */
function noticesSince (mark: number): string[] {
  return agent.process.output().slice(mark).split('\n').filter((line) => line.includes('notice: ')).map((line) => line.replace(/^.*? (warning|info|error): /, '$1: '))
}

async function listedNotices (): Promise<Array<Record<string, unknown>>> {
  const answer = await client.http(`http://${topology.addresses.lbClientSide}:8080/api/notices`, { timeoutMs: 10_000 })
  return (JSON.parse(answer.body) as { notices: Array<Record<string, unknown>> }).notices
}

test('every server of a service file down: the service\'s outage after its servers\' notices; one back: serving again', async () => {
  const [, be2, be3] = topology.addresses.backends
  const mark = agent.process.output().length
  const outage = 'error: notice: service web: NO SERVER IS UP: web1, web2 are all down, clients are not served'
  const refusing = new Set<number>()
  try {
    for (const index of [2, 3]) {
      await refuse(index, true)
      refusing.add(index)
    }
    await waitFor('the outage noticed', async () => noticesSince(mark).includes(outage), 10_000, { context: log })
    await refuse(2, false)
    refusing.delete(2)
    await waitFor('its end noticed', async () => noticesSince(mark).some((line) => line.includes('serving again')), 10_000, { context: log })
  } finally {
    for (const index of refusing) await refuse(index, false)
  }
  const lines = noticesSince(mark)
  const said = lines.indexOf(outage)
  assert.deepEqual(lines.slice(0, said).sort(), [
    `warning: notice: service web: server web1 (${be2}:80) is DOWN: Layer4 connection problem: Connection refused`,
    `warning: notice: service web: server web2 (${be3}:80) is DOWN: Layer4 connection problem: Connection refused`
  ])
  assert.deepEqual(lines.slice(said + 1, said + 3), [
    `info: notice: service web: server web1 (${be2}:80) is UP`,
    'info: notice: service web: serving again: web1 up'
  ])
  assert.ok(!lines.some((line) => line.includes('NO OUTPUT IS UP')), 'out1 stayed up: the env file\'s service has no outage')
  const listed = (await listedNotices()).filter((notice) => notice.notice === 'service')
  assert.deepEqual(listed.map(({ message, service, state, servers }) => ({ message, service, state, servers })), [
    { message: 'service web: NO SERVER IS UP: web1, web2 are all down, clients are not served', service: 'web', state: 'down', servers: ['web1', 'web2'] },
    { message: 'service web: serving again: web1 up', service: 'web', state: 'up', servers: ['web1'] }
  ])
})
