import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { getPriority, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLI_PROGRAM, ctlEnv } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { programsInNamespace } from '../../support/namespace-processes.js'
import { createTopology, type Topology } from '../../support/topology.js'

const APPLIANCE_SH = fileURLToPath(new URL('../../../../appliance/appliance.sh', import.meta.url))

let topology: Topology
let dir: string
let envFile: string
let files: Record<string, string>

// out2 is a backup; checks every second; ctl behind a token
function cliEnv (out1: string, out2: string, extra = ''): string {
  return `ports=80\nout1=${out1}\nout2=${out2}\nbackup_outputs=out2\nhealthcheck_interval=1\nctl_token=cli-token\n${extra}` + ctlEnv(topology)
}

before(async () => {
  topology = await createTopology({ backends: 2 })
  await startBackends(topology, { ports: '80' })
  dir = mkdtempSync(join(tmpdir(), 'l3lb-cli-'))
  envFile = join(dir, 'l3lb.env')
  const [be1, be2] = topology.addresses.backends
  writeFileSync(envFile, cliEnv(be1!, be2!))
  files = { RUNTIME_DIRECTORY: join(dir, 'run'), STATE_DIRECTORY: join(dir, 'state'), L3LB_ENV: envFile, L3LB_LOG: join(dir, 'l3lb.log') }
})

after(async () => {
  await topology.exec(topology.names.lb, 'bash', [APPLIANCE_SH, 'stop'], { reject: false, env: files, timeoutMs: 30_000 })
  await topology?.destroy()
  rmSync(dir, { recursive: true, force: true })
})

async function applianceSh (command: string): Promise<{ exitCode: number | undefined, stdout: string, stderr: string }> {
  return await topology.exec(topology.names.lb, 'bash', [APPLIANCE_SH, command], { reject: false, env: files, timeoutMs: 40_000 })
}

async function l3lb (...args: string[]): Promise<{ exitCode: number | undefined, stdout: string, stderr: string }> {
  return await topology.exec(topology.names.lb, process.execPath, [CLI_PROGRAM, ...args, '--env', envFile], { reject: false, env: files })
}

test('appliance.sh start runs the agent in the background and waits until ctl answers', async () => {
  const started = await applianceSh('start')
  assert.equal(started.exitCode, 0, started.stdout + started.stderr)
  assert.match(started.stdout, /l3lb started \(pid \d+\)/)
  assert.match((await applianceSh('start')).stdout, /already running/)
})

test('the agent runs above the data plane: niceness -10, HAProxy\'s master and workers at 0', async () => {
  const niceness = (pid: number): number => getPriority(pid)
  const agents = (await programsInNamespace(topology.names.lb, 'node')).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start'))
  assert.equal(agents.length, 1)
  assert.equal(niceness(agents[0]!), -10)
  const haproxies = await programsInNamespace(topology.names.lb, 'haproxy')
  assert.ok(haproxies.length >= 2, `master and worker: ${haproxies.join(' ')}`)
  assert.deepEqual(haproxies.map(niceness), haproxies.map(() => 0))
})

test('every thread of the agent runs at its niceness: V8\'s and libuv\'s workers (garbage collection, file writes) with the event loop', async () => {
  const agents = (await programsInNamespace(topology.names.lb, 'node')).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start'))
  assert.equal(agents.length, 1)
  const threads = readdirSync(`/proc/${agents[0]!}/task`).map(Number)
  assert.ok(threads.length > 1, `the agent has threads beside its event loop: ${threads.join(' ')}`)
  assert.deepEqual(threads.map((thread) => getPriority(thread)), threads.map(() => -10))
})

test('l3lb status prints a table of the outputs; --json prints the ctl answers', async () => {
  const deadline = Date.now() + 10_000
  let table = ''
  while (Date.now() < deadline) {
    table = (await l3lb('status')).stdout
    if (/out2 .*backup\s+up\s/.test(table)) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  assert.match(table, /^OUTPUT\s+ADDRESS\s+ROLE\s+STATE\s+FOR\s+SESSIONS\s+MAX\s+TOTAL\s+QUEUE\s+ERRORS$/m)
  assert.match(table, new RegExp(`^out1\\s+${topology.addresses.backends[0]!.replaceAll('.', '\\.')}\\s+primary\\s+up\\s+\\d+s\\s+0\\s+0\\s+0\\s+0\\s+0$`, 'm'))
  assert.match(table, /^out2\s+\S+\s+backup\s+up\s+\d+s\s+0\s+0\s+0\s+0\s+0$/m)
  assert.match(table, /^total\s+0\s+0\s+0\s+0\s+0$/m)
  const json = JSON.parse((await l3lb('status', '--json')).stdout)
  assert.deepEqual(json.status, { code: 0, message: '' })
  assert.deepEqual(json.outputs.map((output: { name: string, role: string, state: string }) => [output.name, output.role, output.state]), [['out1', 'primary', 'up'], ['out2', 'backup', 'up']])
  assert.equal(json.counters.out3_status, 100)
})

test('l3lb status shows the outputs the agent runs, not an env file edited since', async () => {
  const [be1, be2] = topology.addresses.backends
  writeFileSync(envFile, cliEnv(be2!, be1!, 'out5=198.18.9.9\n'))
  try {
    const json = JSON.parse((await l3lb('status', '--json')).stdout)
    assert.deepEqual(json.outputs.map((output: { name: string, address: string }) => [output.name, output.address]), [['out1', be1], ['out2', be2]])
  } finally {
    writeFileSync(envFile, cliEnv(be1!, be2!))
  }
})

test('l3lb status shows an output failing its checks before it goes down, then why it is down', async () => {
  const rule = ['INPUT', '-p', 'tcp', '--dport', '80', '-j', 'REJECT', '--reject-with', 'tcp-reset']
  await topology.exec(topology.names.backends[0]!, 'iptables', ['-A', ...rule])
  const seen: string[] = []
  try {
    // checks every second, down after 3 failed (the default fall): two rounds of "failing" first
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline && !seen.some((line) => line.startsWith('out1 is down'))) {
      seen.push(...(await l3lb('status')).stdout.split('\n').filter((line) => line.startsWith('out1 is')))
    }
  } finally {
    await topology.exec(topology.names.backends[0]!, 'iptables', ['-D', ...rule])
  }
  assert.ok(seen.some((line) => /^out1 is up, checks failing: [12] more takes? it down \(Layer4 connection problem: Connection refused\)$/.test(line)), seen.join('\n'))
  assert.ok(seen.includes('out1 is down: Layer4 connection problem: Connection refused'), seen.join('\n'))
  // back up once its checks pass again (rise 2), with nothing said under the table
  const deadline = Date.now() + 10_000
  let table = ''
  while (Date.now() < deadline && !/^out1\s+\S+\s+primary\s+up\s/m.test(table = (await l3lb('status')).stdout)) await new Promise((resolve) => setTimeout(resolve, 200))
  assert.match(table, /^out1\s+\S+\s+primary\s+up\s/m)
  assert.doesNotMatch(table, /^out1 is/m)
})

test('l3lb disable and enable take a channel or an address, with the seed codes', async () => {
  const disabled = await l3lb('disable', 'out1')
  assert.equal(disabled.exitCode, 0)
  assert.equal(disabled.stdout.trim(), '0 out1 disabled')
  assert.match((await l3lb('status')).stdout, /^out1\s+\S+\s+primary\s+disabled\s/m)
  assert.match((await l3lb('disable', 'out1')).stdout, /^10 /)
  const enabled = await l3lb('enable', topology.addresses.backends[0]!)
  assert.equal(enabled.stdout.trim(), '0 out1 enabled')
  const bad = await l3lb('enable', 'out9')
  assert.equal(bad.exitCode, 1)
  assert.match(bad.stdout, /^100 /)
})

test('appliance.sh reload checks the file first; status and stop', async () => {
  const reloaded = await applianceSh('reload')
  assert.equal(reloaded.exitCode, 0, reloaded.stderr)
  const status = await applianceSh('status')
  assert.equal(status.exitCode, 0)
  assert.match(status.stdout, /l3lb is running/)
  const stopped = await applianceSh('stop')
  assert.match(stopped.stdout, /l3lb stopped/)
  assert.equal((await applianceSh('status')).exitCode, 3)
  assert.deepEqual(await programsInNamespace(topology.names.lb, 'haproxy'), [])
  const unreachable = await l3lb('status')
  assert.equal(unreachable.exitCode, 1)
  assert.match(unreachable.stderr, /ctl service at .* cannot be reached/)
})
