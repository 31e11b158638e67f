#!/usr/bin/env node
// Takes docs/stats-ui.png: the stats UI of a real agent in a test topology (3 back ends,
// out3 disabled through ctl), seen by headless Chromium in the client namespace.
// As root, after `npx tsc -p .`: node scripts/screenshot-stats-ui.mjs [output.png]
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const support = resolve(root, 'dist/test/support')
if (!existsSync(resolve(support, 'browser.js'))) {
  console.error(`screenshot-stats-ui: ${support}/browser.js is missing; run \`npx tsc -p .\` first`)
  process.exit(1)
}
const output = resolve(process.argv[2] ?? resolve(root, 'docs/stats-ui.png'))

const { createTopology } = await import(resolve(support, 'topology.js'))
const { startBackends } = await import(resolve(support, 'backend-driver.js'))
const { startClient } = await import(resolve(support, 'client-driver.js'))
const { ctlEnv, startAgent } = await import(resolve(support, 'agent-driver.js'))
const { startBrowser } = await import(resolve(support, 'browser.js'))

const topology = await createTopology({ backends: 3 })
let agent
let browser
try {
  await startBackends(topology, { ports: '80' })
  const client = await startClient(topology)
  const [be1, be2, be3] = topology.addresses.backends
  agent = await startAgent(topology, client, {
    env: `mode=tcp_roundrobin\nports=80\nout1=${be1}\nout2=${be2}\nout3=${be3}\nhealthcheck_interval=1\n` + ctlEnv(topology)
  })
  await agent.ctl('/api/disable?channel=out3')
  await waitUntilUp(agent, ['out1', 'out2'])
  // A few sessions, so the counters on the page are not all zero.
  for (let i = 0; i < 12; i++) {
    const held = await client.connect({ host: topology.addresses.lbClientSide, port: 80 })
    await client.close(held.conn)
  }
  browser = await startBrowser(topology)
  const page = await browser.visit(`http://${topology.addresses.lbClientSide}:8404/`)
  const shown = (page.proxies.outputs ?? []).map((row) => `${row.name} ${row.state}`).join(', ')
  if (shown !== 'out1 UP, out2 UP, out3 MAINT') throw new Error(`the page shows '${shown}', expected out1 UP, out2 UP, out3 MAINT`)
  await browser.screenshot(page.page, output)
  console.log(`screenshot-stats-ui: ${output} (${shown})`)
} finally {
  await browser?.stop()
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology.destroy()
}

async function waitUntilUp (agent, outputs) {
  const deadline = Date.now() + 15_000
  for (;;) {
    const { status } = await agent.ctl('/api/status')
    if (outputs.every((name) => status[name] === 'up')) return
    if (Date.now() > deadline) throw new Error(`${outputs.join(', ')} not up within 15 s: ${JSON.stringify(status)}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
