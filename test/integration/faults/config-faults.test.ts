import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { backendsGreeting } from '../../support/traffic.js'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let dir: string
let runtimeDir: string
let refuseFlag: string
let env: string

before(async () => {
  topology = await createTopology({ backends: 2 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  dir = mkdtempSync(join(tmpdir(), 'l3lb-faults-'))
  runtimeDir = join(dir, 'run')
  mkdirSync(runtimeDir)
  // a tiny disk of its own for the runtime folder, to fill up
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0750', 'tmpfs', runtimeDir])
  // a haproxy that refuses every configuration check while a flag file exists
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  refuseFlag = join(dir, 'refuse')
  writeFileSync(join(bin, 'haproxy'), `#!/bin/sh\nif [ "$1" = "-c" ] && [ -e '${refuseFlag}' ]; then echo '[ALERT]    (0) : config : stand-in HAProxy refuses this configuration' >&2; exit 1; fi\nexec /usr/sbin/haproxy "$@"\n`)
  chmodSync(join(bin, 'haproxy'), 0o755)
  const outputs = topology.addresses.backends.map((address, i) => `out${i + 1}=${address}`).join('\n')
  env = `ports=80\n${outputs}\nhealthcheck_interval=1\n` + ctlEnv(topology)
  writeFileSync(join(dir, 'l3lb.env'), env)
  agent = await startAgent(topology, client, { env, dir, extraEnv: { PATH: `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin'}` } })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  await topology?.destroy()
  await execa('umount', [runtimeDir], { reject: false })
  rmSync(dir, { recursive: true, force: true })
})

async function servedBy (count: number): Promise<string[]> {
  return [...new Set(await backendsGreeting(client, topology.addresses.lbClientSide, count, { timeoutMs: 2000 }))].sort()
}

test('a full disk when writing the config: reload refused with the seed message, the running system unchanged', async () => {
  const config = readFileSync(join(runtimeDir, 'haproxy.cfg'), 'utf8')
  // fill the runtime folder's disk to the last byte
  await execa('dd', ['if=/dev/zero', `of=${join(runtimeDir, 'filler')}`, 'bs=4k'], { reject: false })
  try {
    agent.writeEnv(env.replace('healthcheck_interval=1', 'healthcheck_interval=2'))
    assert.match(await agent.reload(), /reload refused, the running configuration stays: could not create HAProxy configuration file/)
    assert.equal(readFileSync(join(runtimeDir, 'haproxy.cfg'), 'utf8'), config)
    assert.deepEqual(await servedBy(4), ['be1', 'be2'])
    // a ctl change cannot write the file either: refused, and nothing changed
    const { status } = await agent.ctl('/api/disable?channel=out1')
    assert.equal(status.code, 100)
    assert.match(String(status.message), /could not create HAProxy configuration file/)
    assert.deepEqual(await servedBy(4), ['be1', 'be2'], 'out1 was disabled although the change was refused')
    assert.equal((await agent.ctl('/api/status')).status.out1, 'up')
  } finally {
    rmSync(join(runtimeDir, 'filler'), { force: true })
  }
  assert.match(await agent.reload(), /: reload$/)
})

test('a HAProxy that refuses the new configuration: reload refused with its alert, the running system unchanged', async () => {
  const config = readFileSync(join(runtimeDir, 'haproxy.cfg'), 'utf8')
  writeFileSync(refuseFlag, '')
  try {
    agent.writeEnv(env.replace('healthcheck_interval=1', 'healthcheck_interval=3'))
    const outcome = await agent.reload()
    assert.match(outcome, /reload refused, the running configuration stays: HAProxy rejected the configuration/)
    assert.match(agent.process.output(), /stand-in HAProxy refuses this configuration/)
    assert.equal(readFileSync(join(runtimeDir, 'haproxy.cfg'), 'utf8'), config)
    assert.deepEqual(await servedBy(4), ['be1', 'be2'])
  } finally {
    rmSync(refuseFlag, { force: true })
  }
  assert.match(await agent.reload(), /: reload$/)
})
