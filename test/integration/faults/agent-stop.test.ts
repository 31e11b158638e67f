/**
 * The agent stopped with SIGTERM while its checks run programs stops cleanly and removes its
 * rules, every time. It once died of the signal instead: execa's child cleanup (signal-exit)
 * re-raised a SIGTERM that came while a ping ran, once the agent's own listener had fired.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { l3lbRules } from '../../support/l3lb-rules.js'

const STOPS = 3

let topology: Topology
let client: ClientDriver
let agent: AgentHandle | undefined

before(async () => {
  topology = await createTopology({ backends: 1 })
  client = await startClient(topology)
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology?.destroy()
})

test(`stopped ${STOPS} times while pings are in flight: each time a clean stop, and no rule of l3lb left`, async () => {
  // eight outputs nobody holds on back end 1's link: each ping waits its 0.5 s timeout, one a second each,
  // so a ping is nearly always running when the SIGTERM comes
  const outputs = Array.from({ length: 8 }, (_, i) => `out${i + 1}=198.18.1.${100 + i}`).join('\n')
  const env = `mode=udp_roundrobin\nports=5060\n${outputs}\nhealthcheck_interval=1\n` + ctlEnv(topology)
  for (let stop = 1; stop <= STOPS; stop++) {
    agent = stop === 1 ? await startAgent(topology, client, { env }) : await agent!.restart()
    await agent.process.waitForLine(/ICMP health checks of 8 output\(s\) every 1 s/, 10_000)
    assert.ok((await l3lbRules(topology)).length > 0, 'the rules were not applied')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const exit = await agent.stop()
    const output = agent.process.output()
    const ended = `stop ${stop}: the agent ended ${JSON.stringify(exit)}:\n${output.slice(-2000)}`
    assert.equal(exit.signal ?? null, null, ended)
    assert.equal(exit.exitCode, 0, ended)
    assert.match(output, /SIGTERM: stopping\n(.*\n)*.*stopped$/m)
    assert.deepEqual(await l3lbRules(topology), [], `stop ${stop} left rules`)
  }
})

test('stopped in a TCP mode: HAProxy\'s worker ending on the stop is logged as info, not as an error', async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  // a back end that answers: no output going down to alert about while the agent stops
  await startBackends(topology, { ports: '80' })
  agent = await startAgent(topology, client, { env: `ports=80\nout1=${topology.addresses.backends[0]}\nhealthcheck_interval=1\n` + ctlEnv(topology) })
  await agent.process.waitForLine(/HAProxy serving/, 10_000)
  const exit = await agent.stop()
  const output = agent.process.output()
  assert.equal(exit.exitCode, 0, output)
  assert.match(output, /SIGTERM: stopping$/m)
  const stopping = output.slice(output.indexOf('SIGTERM: stopping'))
  assert.match(stopping, /^l3lb: info: haproxy: \[ALERT\] +\(\d+\) : Current worker \(\d+\) exited with code 143 \(Terminated\)$/m)
  assert.doesNotMatch(stopping, /^l3lb: error:/m)
})
