/**
 * Notices of outputs going down and up, for real: HAProxy's checks find a back end dead, the
 * agent mails a test SMTP receiver (smtp-server in the client namespace), posts the notice to
 * mon and logs it; an output that flaps ten times costs a bounded number of mails and loses
 * no change; ctl's own disable/enable mails nothing; every output down is the outage, said on
 * its own; a dead relay is logged, nothing else.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { startSmtpReceiver, type ReceivedMail, type SmtpReceiver } from '../../support/smtp-driver.js'
import { createTopology, type SpawnedProcess, type Topology } from '../../support/topology.js'

const SMTP_PORT = 2525
const MON_PORT = 9100
const HOLD_S = 8
const FLAPS = 10

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let smtp: SmtpReceiver
let mon: SpawnedProcess
const monBodies: string[] = []

function env (mailServer: string): string {
  const outputs = topology.addresses.backends.map((address, i) => `out${i + 1}=${address}`).join('\n')
  return `ports=80\n${outputs}\nhealthcheck_interval=1\nhealthcheck_fall=1\nhealthcheck_rise=1\nconn_timeout=1\n` +
    `mail_to=ops@example.test, oncall@example.test\nmail_from=lb@example.test\nmail_server=${mailServer}\nmail_hold=${HOLD_S}\n` +
    `mon_url=http://${topology.addresses.client[0]}:${MON_PORT}/notices\nmon_interval=3600\n` + ctlEnv(topology)
}

before(async () => {
  topology = await createTopology({ backends: 2 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  smtp = await startSmtpReceiver((ns, file, args, options) => topology.spawn(ns, file, args, options), topology.names.client, topology.addresses.client[0]!, SMTP_PORT)
  mon = topology.spawn(topology.names.client, process.execPath, ['-e', `
    require('node:http').createServer((request, response) => {
      let body = ''
      request.on('data', (chunk) => { body += chunk })
      request.on('end', () => { console.log('BODY ' + body); response.end() })
    }).listen(${MON_PORT}, '${topology.addresses.client[0]}', () => console.log('ready'))`])
  mon.onLine((line) => { if (line.startsWith('BODY ')) monBodies.push(line.slice(5)) })
  await mon.waitForLine('ready')
  agent = await startAgent(topology, client, { env: env(`${topology.addresses.client[0]}:${SMTP_PORT}`) })
  await until('both outputs up', async () => (await agent.ctl('/api/status')).status.out2 === 'up', 10_000)
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology?.destroy()
})

async function until (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.fail(`${what}: not within ${timeoutMs} ms\n${agent.process.output().slice(-3000)}`)
}

/** Makes back end `index` refuse (RST) or accept TCP port 80 again: its checks fail or pass. */
async function refuse (index: number, on: boolean): Promise<void> {
  await topology.exec(topology.names.backends[index - 1]!, 'iptables', [on ? '-I' : '-D', 'INPUT', '-p', 'tcp', '--dport', '80', '-j', 'REJECT', '--reject-with', 'tcp-reset'])
}

async function statusOf (output: string): Promise<unknown> {
  return (await agent.ctl('/api/status')).status[output]
}

function about (mails: readonly ReceivedMail[], output: string): ReceivedMail[] {
  return mails.filter((mail) => mail.subject.includes(`output ${output} `))
}

test('an output going down and up: one e-mail each to every recipient, a notice to mon and a log line', async () => {
  const before = smtp.mails.length
  await refuse(1, true)
  await until('out1 down', async () => await statusOf('out1') === 'down', 10_000)
  const [down] = (await smtp.waitFor(before + 1, 10_000)).slice(before)
  // why, in HAProxy's words: its check was refused (no client connected meanwhile)
  assert.match(down!.subject, /output out1 \(198\.18\.1\.2\) is DOWN: Layer4 connection problem: Connection refused$/)
  assert.deepEqual(down!.to, ['ops@example.test', 'oncall@example.test'])
  assert.equal(down!.from, 'lb@example.test')
  assert.match(down!.text, /mode tcp_roundrobin/)

  await refuse(1, false)
  await until('out1 up', async () => await statusOf('out1') === 'up', 10_000)
  // the hold has not passed: the up waits for the next mail, which comes when it ends
  const [up] = (await smtp.waitFor(before + 2, (HOLD_S + 5) * 1000)).slice(before + 1)
  assert.match(up!.subject, /output out1 \(198\.18\.1\.2\) is UP$/)
  assert.equal(smtp.mails.length, before + 2, smtp.mails.map((mail) => mail.subject).join('\n'))

  await until('both notices at mon', async () => monBodies.filter((body) => body.includes('"notice":"output"')).length >= 2, 5000)
  const notices = monBodies.map((body) => JSON.parse(body) as Record<string, unknown>).filter((body) => body.notice === 'output')
  assert.deepEqual(notices.map((notice) => [notice.output, notice.state, notice.reason]), [['out1', 'down', 'Layer4 connection problem: Connection refused'], ['out1', 'up', '']])
  const log = agent.process.output()
  assert.match(log, /warning: notice: output out1 \(198\.18\.1\.2\) is DOWN/)
  assert.match(log, /info: notice: output out1 \(198\.18\.1\.2\) is UP/)
})

test('ten flaps in under a minute: a bounded number of mails, and every change is in them', async () => {
  // a fresh hold for out2: nothing was mailed about it yet
  const before = smtp.mails.length
  const started = Date.now()
  for (let flap = 0; flap < FLAPS; flap++) {
    await refuse(2, true)
    await until(`out2 down (flap ${flap + 1})`, async () => await statusOf('out2') === 'down', 10_000)
    await refuse(2, false)
    await until(`out2 up (flap ${flap + 1})`, async () => await statusOf('out2') === 'up', 10_000)
  }
  const flapping = Date.now() - started
  assert.ok(flapping < 60_000, `ten flaps took ${flapping} ms`)
  // the last held changes come out when the hold after the last mail ends
  await new Promise((resolve) => setTimeout(resolve, (HOLD_S + 3) * 1000))
  const mails = about(smtp.mails.slice(before), 'out2')
  const bound = 1 + Math.ceil((flapping + HOLD_S * 1000) / (HOLD_S * 1000))
  assert.ok(mails.length <= bound, `${mails.length} mails for ${FLAPS} flaps in ${flapping} ms (bound ${bound} with mail_hold ${HOLD_S})`)
  assert.ok(mails.length < FLAPS, `${mails.length} mails: the rate limit did not hold`)
  const changes = mails.flatMap((mail) => mail.text.split('\n').filter((line) => /output out2 .* is (UP|DOWN)/.test(line)))
  assert.equal(changes.length, 2 * FLAPS, changes.join('\n'))
  assert.match(changes.at(-1)!, /is UP/)
  assert.match(mails.at(-1)!.subject, /changes, last: output out2 .* is UP/)
})

test('ctl disable and enable are the operator\'s own doing: no mail', async () => {
  const before = smtp.mails.length
  assert.equal((await agent.ctl('/api/disable?channel=out1')).status.code, 0)
  await new Promise((resolve) => setTimeout(resolve, 2500))
  assert.equal((await agent.ctl('/api/enable?channel=out1')).status.code, 0)
  await new Promise((resolve) => setTimeout(resolve, 2500))
  assert.equal(smtp.mails.length, before, smtp.mails.slice(before).map((mail) => mail.subject).join('\n'))
})

test('every output down is the outage: an error in the log, a mail of its own at once, a notice to mon, and its end', async () => {
  const before = smtp.mails.length
  const monBefore = monBodies.length
  await refuse(1, true)
  await refuse(2, true)
  try {
    await until('the outage mailed', async () => smtp.mails.slice(before).some((mail) => /: NO OUTPUT IS UP: out1, out2 are all down, clients are not served$/.test(mail.subject)), 10_000)
    assert.match(agent.process.output(), /error: notice: NO OUTPUT IS UP: out1, out2 are all down, clients are not served/)
  } finally {
    await refuse(1, false)
    await refuse(2, false)
  }
  // the service's hold began with the outage's mail: its end comes when that hold ends
  await until('its end mailed', async () => smtp.mails.slice(before).some((mail) => /serving again: out[12](, out2)? up$/.test(mail.subject)), (HOLD_S + 10) * 1000)
  assert.match(agent.process.output(), /info: notice: serving again: out[12](, out2)? up/)
  await until('both at mon', async () => monBodies.slice(monBefore).filter((body) => body.includes('"notice":"service"')).length >= 2, 5000)
  const service = monBodies.slice(monBefore).map((body) => JSON.parse(body) as Record<string, unknown>).filter((body) => body.notice === 'service')
  assert.deepEqual(service.map((notice) => notice.state), ['down', 'up'])
  assert.deepEqual(service[0]?.outputs, ['out1', 'out2'])
})

test('a relay that refuses connections: the failure is logged with its reason, the notice still in the log', async () => {
  agent.writeEnv(env(`${topology.addresses.client[0]}:${SMTP_PORT + 1}`))
  assert.match(await agent.reload(), /properties reloaded/)
  const lines = agent.process.output().split('\n').length
  await refuse(1, true)
  await until('the failed mail logged', async () => /e-mail notice to ops@example\.test, oncall@example\.test through .*:2526 failed: .*ECONNREFUSED/.test(agent.process.output().split('\n').slice(lines - 1).join('\n')), 15_000)
  await refuse(1, false)
  assert.equal((await agent.ctl('/api/status')).status.code, 0)
})
