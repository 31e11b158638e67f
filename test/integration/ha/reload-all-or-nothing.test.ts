/**
 * A node of a pair with real keepalived, HAProxy and agent: a SIGHUP whose keepalived part
 * fails after HAProxy reloaded puts HAProxy back on its old haproxy.cfg, leaves keepalived on
 * its old file, keeps the settings the pair sees, and logs that the previous configuration
 * runs. The same file without the part keepalived refuses then runs whole.
 * keepalived is the real one behind a wrapper first on the agent's PATH that refuses (`-t`) a
 * file with `priority 151`: the real one accepts every file l3lb renders, so only a stand-in
 * can refuse one that HAProxy took.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { reloadAgent } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { HaPair, type NodeName } from '../../support/ha-pair.js'
import { createHaTopology, type HaTopology } from '../../support/ha-topology.js'
import { backendsGreeting } from '../../support/traffic.js'
import { parseShowProc, parseShowStat } from '../../../src/haproxy/parse.js'
import { sendCommand } from '../../../src/haproxy/socket-client.js'
import { findProgram } from '../../../src/process/find-program.js'

const TOKEN = 'whole-or-nothing-3'
const REFUSED_PRIORITY = 151

let topology: HaTopology
let client: ClientDriver
let pair: HaPair
const wrapperDir = mkdtempSync(join(tmpdir(), 'l3lb-keepalived-wrapper-'))

function envFor (name: NodeName, { outputs = 2, priority = 150 } = {}): string {
  const own = topology.addresses[name]
  return [
    'mode=tcp_roundrobin', 'ports=80', ...topology.addresses.backends.slice(0, outputs).map((address, i) => `out${i + 1}=${address}`),
    `in_addr=${own}`, `ctl_addr=${own}`, 'ctl_port=8080', `ctl_token=${TOKEN}`, `ui_addr=${own}`,
    `ha_vip=${topology.addresses.virtual}`, `ha_interface=${topology.lbInterface}`,
    `ha_peer=${topology.addresses[name === 'lb1' ? 'lb2' : 'lb1']}`, `ha_priority=${priority}`, 'ha_router_id=45', ''
  ].join('\n')
}

function runtimeFile (name: string): string {
  return readFileSync(join(pair.runtimeDir('lb1'), name), 'utf8')
}

/** The servers of backend `outputs` in lb1's running HAProxy. */
async function runningOutputs (): Promise<string[]> {
  const rows = parseShowStat(await sendCommand(join(pair.runtimeDir('lb1'), 'haproxy.sock'), 'show stat', 2000))
  return rows.filter((row) => row.pxname === 'outputs' && row.svname !== 'BACKEND').map((row) => row.svname ?? '')
}

/** The outputs of the pair's shared settings, as lb1's ctl service shows them to the peer. */
/** How many times lb1's HAProxy master has reloaded. */
async function masterReloads (): Promise<number> {
  const table = parseShowProc(await sendCommand(join(pair.runtimeDir('lb1'), 'master.sock'), 'show proc', 2000))
  assert.ok(table !== null, 'the master socket does not answer show proc')
  return table.reloads
}

async function sharedOutputs (): Promise<string[]> {
  const answer = await client.http(`http://${topology.addresses.lb1}:8080/api/admin`, { headers: { authorization: `Bearer ${TOKEN}` }, timeoutMs: 5000 })
  const settings = (JSON.parse(answer.body) as { status: { settings: Record<string, string> } }).status.settings
  return Object.entries(settings).filter(([key, value]) => /^out\d$/.test(key) && value !== '').map(([key]) => key).sort()
}

async function backendsServing (): Promise<string[]> {
  return [...new Set(await backendsGreeting(client, topology.addresses.lb1, 9))].sort()
}

before(async () => {
  const keepalived = await findProgram('keepalived')
  assert.ok(keepalived !== null, 'keepalived is not installed: sudo bash scripts/install-prerequisites')
  const wrapper = join(wrapperDir, 'keepalived')
  writeFileSync(wrapper, [
    '#!/bin/sh',
    '# the real keepalived, except that its check (-t -f FILE) refuses one priority',
    `if [ "$1" = "-t" ] && grep -q 'priority ${REFUSED_PRIORITY}$' "$3"; then`,
    `  echo "test wrapper: priority ${REFUSED_PRIORITY} refused" >&2`,
    '  exit 1',
    'fi',
    `exec ${keepalived} "$@"`, ''
  ].join('\n'))
  chmodSync(wrapper, 0o755)
  topology = await createHaTopology({ backends: 3 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  pair = new HaPair(topology, (name) => envFor(name))
  // alone on the link: a node of a pair whose peer is away, which is all this needs
  await pair.start('lb1', { PATH: `${wrapperDir}:${process.env.PATH ?? ''}` })
  // the active node: its file decides the shared settings, which a standby would keep as the pair has them
  await pair.waitFor('lb1 holds the virtual address', () => topology.holds(topology.names.lb1, topology.addresses.virtual), 15_000)
})

after(async () => {
  await pair?.stop()
  await topology?.destroy()
  rmSync(wrapperDir, { recursive: true, force: true })
})

test('keepalived refusing its part after HAProxy reloaded: HAProxy is put back and the log says the previous configuration runs', async () => {
  const haproxyCfg = runtimeFile('haproxy.cfg')
  const keepalivedConf = runtimeFile('keepalived.conf')
  assert.deepEqual(await runningOutputs(), ['out1', 'out2'])
  assert.deepEqual(await backendsServing(), ['be1', 'be2'])
  const reloads = await masterReloads()

  writeFileSync(pair.envFile('lb1'), envFor('lb1', { outputs: 3, priority: REFUSED_PRIORITY }))
  const agent = pair.agent('lb1')
  const outcome = await reloadAgent(agent)

  // HAProxy took the new file before keepalived refused its part, then the old one again
  assert.equal(await masterReloads(), reloads + 2)
  assert.equal(runtimeFile('haproxy.cfg'), haproxyCfg, 'haproxy.cfg is not the previous one')
  assert.deepEqual(await runningOutputs(), ['out1', 'out2'], 'HAProxy does not run the previous outputs')
  assert.deepEqual(await backendsServing(), ['be1', 'be2'])
  assert.equal(runtimeFile('keepalived.conf'), keepalivedConf, 'keepalived.conf is not the previous one')
  assert.deepEqual(await sharedOutputs(), ['out1', 'out2'], 'the peer is offered settings that do not run')
  assert.match(outcome, /reload refused: keepalived failed; HAProxy was put back: the previous configuration runs\. keepalived: .*priority 151 refused \[L3LB_RELOAD_UNDONE\]$/)

  // the same outputs with a priority keepalived takes: all of it runs
  writeFileSync(pair.envFile('lb1'), envFor('lb1', { outputs: 3, priority: 140 }))
  assert.match(await reloadAgent(agent), /properties reloaded .*: reload$/)
  assert.deepEqual(await runningOutputs(), ['out1', 'out2', 'out3'])
  assert.deepEqual(await backendsServing(), ['be1', 'be2', 'be3'])
  assert.match(runtimeFile('keepalived.conf'), /priority 140$/m)
  assert.deepEqual(await sharedOutputs(), ['out1', 'out2', 'out3'])
})
