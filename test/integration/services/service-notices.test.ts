/**
 * Notices of service files' servers (SPEC §11), for real, beside a TCP default: a TCP
 * service's server whose back end refuses connections is noticed in the log and at mon,
 * naming the service and the server, and up again when it returns; a UDP service's server
 * that stops answering pings too; a disabled server and a server or service that a SIGHUP
 * removes are not noticed as down; the env file's outputs keep the seed's words.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type SpawnedProcess, type Topology } from '../../support/topology.js'

const MON_PORT = 9100
const CHECKS = 'healthcheck_interval=1\nhealthcheck_fall=1\nhealthcheck_rise=1\nconn_timeout=1\n'
const UDP_FALL = 2

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let mon: SpawnedProcess
let dir: string
const monBodies: string[] = []

function webFile (withWeb2: boolean): string {
  const [be1, be2] = topology.addresses.backends
  return `mode=tcp_roundrobin\nports=8081\nserver_web1=${be1}:80\n${withWeb2 ? `server_web2=${be2}:80\n` : ''}${CHECKS}`
}

before(async () => {
  topology = await createTopology({ backends: 3 })
  await startBackends(topology, { ports: '80,5060', udp: true })
  client = await startClient(topology)
  mon = topology.spawn(topology.names.client, process.execPath, ['-e', `
    require('node:http').createServer((request, response) => {
      let body = ''
      request.on('data', (chunk) => { body += chunk })
      request.on('end', () => { console.log('BODY ' + body); response.end() })
    }).listen(${MON_PORT}, '${topology.addresses.client[0]}', () => console.log('ready'))`])
  mon.onLine((line) => { if (line.startsWith('BODY ')) monBodies.push(line.slice(5)) })
  await mon.waitForLine('ready')
  const [be1, , be3] = topology.addresses.backends
  dir = mkdtempSync(join(tmpdir(), 'l3lb-service-notices-'))
  const env = `mode=tcp_roundrobin\nports=80\nout1=${be1}\n${CHECKS}mon_url=http://${topology.addresses.client[0]}:${MON_PORT}/notices\nmon_interval=3600\n${ctlEnv(topology)}`
  writeFileSync(join(dir, 'l3lb.env'), env)
  mkdirSync(join(dir, 'services.d'))
  writeFileSync(join(dir, 'services.d', 'web.env'), webFile(true))
  writeFileSync(join(dir, 'services.d', 'sip.env'), `mode=udp_roundrobin\nports=5060\nserver_a=${be1}\nserver_b=${be3}\nhealthcheck_interval=1\nhealthcheck_fall=${UDP_FALL}\nhealthcheck_rise=1\n`)
  agent = await startAgent(topology, client, { env, dir })
  await until('every server up', async () => Object.values((await agent.ctl('/api/status?service=web')).status).filter((value) => value === 'up').length === 2, 10_000)
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  await mon?.stop().catch(() => undefined)
  await topology?.destroy()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

async function until (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.fail(`${what}: not within ${timeoutMs} ms\n${agent.process.output().slice(-3000)}`)
}

/** Makes back end `index` (1-based) refuse TCP port 80 (RST) or accept it again: its checks fail or pass. */
async function refuse (index: number, on: boolean): Promise<void> {
  await topology.exec(topology.names.backends[index - 1]!, 'iptables', [on ? '-I' : '-D', 'INPUT', '-p', 'tcp', '--dport', '80', '-j', 'REJECT', '--reject-with', 'tcp-reset'])
}

/** The agent's notice lines printed since `mark` (a length of its output). */
function noticesSince (mark: number): string[] {
  return agent.process.output().slice(mark).split('\n').filter((line) => line.includes('notice: '))
}

function monNotices (from: number, kind: string): Array<Record<string, unknown>> {
  return monBodies.slice(from).map((body) => JSON.parse(body) as Record<string, unknown>).filter((body) => body.notice === kind)
}

test('a TCP service file\'s server whose back end refuses: noticed down and up again, naming service and server, in the log and at mon', async () => {
  const be2 = topology.addresses.backends[1]!
  const mark = agent.process.output().length
  const monMark = monBodies.length
  await refuse(2, true)
  try {
    await until('web2 noticed down', async () => noticesSince(mark).some((line) => line.includes('server web2')), 10_000)
  } finally {
    await refuse(2, false)
  }
  await until('web2 noticed up', async () => noticesSince(mark).length >= 2, 10_000)
  const lines = noticesSince(mark).map((line) => line.replace(/^.*? (warning|info|error): /, '$1: '))
  assert.deepEqual(lines, [
    `warning: notice: service web: server web2 (${be2}:80) is DOWN: Layer4 connection problem: Connection refused`,
    `info: notice: service web: server web2 (${be2}:80) is UP`
  ])
  await until('both at mon', async () => monNotices(monMark, 'server').length >= 2, 5000)
  assert.deepEqual(monNotices(monMark, 'server').map(({ service, server, address, port, state, reason, message }) => ({ service, server, address, port, state, reason, message })), [
    { service: 'web', server: 'web2', address: be2, port: 80, state: 'down', reason: 'Layer4 connection problem: Connection refused', message: `service web: server web2 (${be2}:80) is DOWN: Layer4 connection problem: Connection refused` },
    { service: 'web', server: 'web2', address: be2, port: 80, state: 'up', reason: '', message: `service web: server web2 (${be2}:80) is UP` }
  ])
  assert.deepEqual(monNotices(monMark, 'output'), [], 'the env file\'s outputs did not change')
})

test('the env file\'s output keeps the seed\'s words, beside a service file\'s server on the same back end', async () => {
  const be1 = topology.addresses.backends[0]!
  const mark = agent.process.output().length
  await refuse(1, true)
  try {
    await until('out1 and web1 noticed down', async () => noticesSince(mark).filter((line) => / is DOWN/.test(line)).length >= 2, 10_000)
  } finally {
    await refuse(1, false)
  }
  await until('both up again', async () => noticesSince(mark).filter((line) => / is UP/.test(line)).length >= 2, 10_000)
  const lines = noticesSince(mark).join('\n')
  assert.match(lines, new RegExp(`warning: notice: output out1 \\(${be1.replaceAll('.', '\\.')}\\) is DOWN: Layer4 connection problem: Connection refused`))
  assert.match(lines, new RegExp(`warning: notice: service web: server web1 \\(${be1.replaceAll('.', '\\.')}:80\\) is DOWN`))
  assert.match(lines, /info: notice: output out1 \(.*\) is UP/)
})

test('a UDP service file\'s server that stops answering pings: noticed down and up again', async () => {
  const be3 = topology.addresses.backends[2]!
  const mark = agent.process.output().length
  await topology.exec(topology.names.backends[2]!, 'iptables', ['-A', 'INPUT', '-p', 'icmp', '-j', 'DROP'])
  try {
    await until('sip/b noticed down', async () => noticesSince(mark).some((line) => line.includes('server b ')), (UDP_FALL + 1) * 1000 + 5000)
  } finally {
    await topology.exec(topology.names.backends[2]!, 'iptables', ['-D', 'INPUT', '-p', 'icmp', '-j', 'DROP'])
  }
  await until('sip/b noticed up', async () => noticesSince(mark).length >= 2, 8000)
  assert.deepEqual(noticesSince(mark).map((line) => line.replace(/^.*? (warning|info|error): /, '$1: ')), [
    `warning: notice: service sip: server b (${be3}) is DOWN: ${UDP_FALL} pings in a row went unanswered`,
    `info: notice: service sip: server b (${be3}) is UP`
  ])
})

test('a disabled server is not noticed as down', async () => {
  assert.equal((await agent.ctl('/api/disable?service=web&channel=web2')).status.code, 0)
  const mark = agent.process.output().length
  await refuse(2, true)
  try {
    // three checks' time, and HAProxy does not check a server in maintenance at all
    await new Promise((resolve) => setTimeout(resolve, 3500))
    assert.deepEqual(noticesSince(mark), [])
  } finally {
    await refuse(2, false)
    assert.equal((await agent.ctl('/api/enable?service=web&channel=web2')).status.code, 0)
  }
  await until('web2 up again', async () => (await agent.ctl('/api/status?service=web')).status.web2 === 'up', 10_000)
})

test('a server and a service that a SIGHUP removes are not noticed as down', async () => {
  const mark = agent.process.output().length
  writeFileSync(join(dir, 'services.d', 'web.env'), webFile(false))
  rmSync(join(dir, 'services.d', 'sip.env'))
  assert.match(await agent.reload(), /properties reloaded/)
  // a few polls of the watch after the reload
  await new Promise((resolve) => setTimeout(resolve, 3000))
  assert.deepEqual(noticesSince(mark), [])
  assert.deepEqual(Object.keys((await agent.ctl('/api/status?service=web')).status).sort(), ['code', 'message', 'web1'])
})
