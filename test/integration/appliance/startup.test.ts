import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI_PROGRAM, ctlEnv } from '../../support/agent-driver.js'
import { programsInNamespace } from '../../support/namespace-processes.js'
import { createTopology, type Topology } from '../../support/topology.js'

let topology: Topology
let dir: string

before(async () => {
  topology = await createTopology({ backends: 1 })
  dir = mkdtempSync(join(tmpdir(), 'l3lb-startup-'))
})

after(async () => {
  await topology?.destroy()
  rmSync(dir, { recursive: true, force: true })
})

/** Runs `l3lb ARGS` in the lb namespace with its files in the test's folder. */
async function l3lb (args: string[], envText: string): Promise<{ exitCode: number | undefined, stdout: string, stderr: string }> {
  const envFile = join(dir, 'l3lb.env')
  writeFileSync(envFile, envText)
  return await topology.exec(topology.names.lb, process.execPath, [CLI_PROGRAM, ...args, '--env', envFile], {
    reject: false,
    timeoutMs: 30_000,
    env: { RUNTIME_DIRECTORY: join(dir, 'run'), STATE_DIRECTORY: join(dir, 'state') }
  })
}

async function haproxyProcesses (): Promise<string> {
  return (await programsInNamespace(topology.names.lb, 'haproxy')).join(' ')
}

test('a bad env file at start prints every error and exits non-zero, starting nothing', async () => {
  const result = await l3lb(['start'], 'mode=tcp_fast\nctl_port=70000\nports=80-70\nhelthcheck_interval=5\nout1=10.0.0.1:80\n')
  assert.notEqual(result.exitCode, 0)
  assert.match(result.stderr, /invalid mode specified/)
  assert.match(result.stderr, /ctl_port value must be between 1 and 65535/)
  assert.match(result.stderr, /ports: "80-70"/)
  assert.match(result.stderr, /helthcheck_interval.*did you mean "?healthcheck_interval/)
  assert.match(result.stderr, /out1: "10\.0\.0\.1:80"/)
  assert.equal(await haproxyProcesses(), '')
})

test('l3lb check reports the same errors; a good file is valid', async () => {
  const bad = await l3lb(['check'], 'mode=tcp_fast\n')
  assert.notEqual(bad.exitCode, 0)
  assert.match(bad.stderr, /invalid mode specified.*tcp_roundrobin, tcp_source, udp_roundrobin/)
  const good = await l3lb(['check'], `out1=${topology.addresses.backends[0]}\n`)
  assert.equal(good.exitCode, 0, good.stderr)
  assert.match(good.stdout, /valid/)
})

test('l3lb render prints exactly a haproxy.cfg that HAProxy accepts, and changes nothing', async () => {
  const rendered = await l3lb(['render'], `mode=tcp_source\nports=80,90-91\nout1=${topology.addresses.backends[0]}\n`)
  assert.equal(rendered.exitCode, 0, rendered.stderr)
  assert.match(rendered.stdout, /^# Rendered by l3lb/)
  const file = join(dir, 'rendered.cfg')
  // execa strips the output's final newline, which HAProxy requires on the last line
  writeFileSync(file, `${rendered.stdout}\n`)
  const check = await topology.exec(topology.names.lb, 'haproxy', ['-c', '-L', 'l3lb', '-f', file], { reject: false })
  assert.equal(check.exitCode, 0, check.stderr)
  assert.equal(await haproxyProcesses(), '')
})

/** Runs `check` while another program holds `port` on the lb's client-side address. */
async function withPortTaken (port: number, check: () => Promise<void>): Promise<void> {
  const squatter = topology.spawn(topology.names.lb, process.execPath, ['-e', `require('node:net').createServer().listen(${port}, '${topology.addresses.lbClientSide}', () => console.log('ready'))`])
  await squatter.waitForLine('ready')
  try {
    await check()
  } finally {
    await squatter.stop()
  }
}

test('a ctl port that is taken: "could not initialize control web service interface", HAProxy stopped again', async () => {
  await withPortTaken(8080, async () => {
    const result = await l3lb(['start'], `out1=${topology.addresses.backends[0]}\n` + ctlEnv(topology))
    assert.notEqual(result.exitCode, 0)
    assert.match(result.stderr, /could not initialize control web service interface/)
    assert.equal(await haproxyProcesses(), '')
  })
})

test('a stats UI port that is taken: "could not initialize user interface terminal"', async () => {
  await withPortTaken(8404, async () => {
    const result = await l3lb(['start'], `out1=${topology.addresses.backends[0]}\n` + ctlEnv(topology))
    assert.notEqual(result.exitCode, 0)
    assert.match(result.stderr, /could not initialize user interface terminal/)
    assert.equal(await haproxyProcesses(), '')
  })
})
