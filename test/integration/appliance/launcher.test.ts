/**
 * The launcher, appliance/l3lb (docs/limits.md, "The agent's own memory"): the agent it
 * starts runs with its V8 flags and malloc setting, and what the agent starts does not
 * inherit that setting.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'

// dist/test/integration/appliance/ is four levels below the package's root
const LAUNCHER = fileURLToPath(new URL('../../../../appliance/l3lb', import.meta.url))
const MALLOC_SETTING = 'MALLOC_MMAP_THRESHOLD_=32768'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle | undefined

before(async () => {
  topology = await createTopology({ backends: 1 })
  client = await startClient(topology)
})

after(async () => {
  await agent?.stop()
  agent?.removeFiles()
  await client?.stop()
  await topology?.destroy()
})

function environOf (pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
}

test('the launcher starts the agent with its flags and malloc setting; HAProxy gets neither', async () => {
  const env = ctlEnv(topology) + `mode=tcp_roundrobin\nports=80\nout1=${topology.addresses.backends[0]}\n`
  agent = await startAgent(topology, client, { env, launcher: LAUNCHER })
  // exec: the launcher's pid is the agent's
  const argv = readFileSync(`/proc/${agent.process.pid}/cmdline`, 'utf8').split('\0')
  assert.match(argv[0] ?? '', /node$/)
  for (const flag of ['--max-semi-space-size=1', '--max-old-space-size=64', '--no-opt', '--v8-pool-size=1']) {
    assert.ok(argv.includes(flag), `${flag} not in the agent's command line: ${argv.join(' ')}`)
  }
  assert.ok(environOf(agent.process.pid).includes(MALLOC_SETTING), 'the agent was started without the launcher\'s malloc setting')
  assert.match(agent.process.output(), /V8 heap bound \d+ MiB\n/)
  const master = Number(readFileSync(join(agent.runtimeDir, 'haproxy.pid'), 'utf8').trim())
  assert.ok(master > 0)
  assert.ok(!environOf(master).some((entry) => entry.startsWith('MALLOC_MMAP_THRESHOLD_=')), 'HAProxy inherited the agent\'s malloc setting')
})
