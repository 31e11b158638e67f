import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startBrowser, type BrowserDriver, type Fetched, type PageSnapshot } from '../../support/browser.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'

// A password with `:` and `$`: basic auth splits at the first colon only, and HAProxy must not expand it.
const CREDENTIALS = { username: 'viewer', password: 's3cret:$HOME!' }

let topology: Topology
let client: ClientDriver
let browser: BrowserDriver
let ui: string

before(async () => {
  topology = await createTopology({ backends: 3 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  browser = await startBrowser(topology)
  ui = `http://${topology.addresses.lbClientSide}:8404/`
})

after(async () => {
  await browser?.stop()
  await topology?.destroy()
})

/** The agent on out1..out3 with out3 disabled through ctl, once out1 and out2 are up. */
async function startAppliance (extraEnv: string): Promise<AgentHandle> {
  const [be1, be2, be3] = topology.addresses.backends
  const env = `mode=tcp_roundrobin\nports=80\nout1=${be1}\nout2=${be2}\nout3=${be3}\nhealthcheck_interval=1\n${extraEnv}` + ctlEnv(topology)
  const agent = await startAgent(topology, client, { env })
  try {
    assert.equal((await agent.ctl('/api/disable?channel=out3')).status.code, 0)
    const deadline = Date.now() + 15_000
    let last = {}
    while (Date.now() < deadline) {
      const { status } = await agent.ctl('/api/status')
      last = status
      if (status.out1 === 'up' && status.out2 === 'up') return agent
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    throw new Error(`out1 and out2 were not up within 15 s; last status: ${JSON.stringify(last)}`)
  } catch (error) {
    await stopAppliance(agent)
    throw error
  }
}

async function stopAppliance (agent: AgentHandle | undefined): Promise<void> {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
}

/** The `outputs` rows as `name state` pairs. */
function outputStates (snapshot: PageSnapshot): string[] {
  const rows = snapshot.proxies.outputs
  assert.ok(rows !== undefined, `no 'outputs' table on the page; it showed: ${JSON.stringify(snapshot)}`)
  return rows.map((row) => `${row.name} ${row.state}`)
}

/** The value of each `haproxy_server_status` line of backend outputs whose state is 1: `out1 UP`... */
function metricServerStates (body: string): string[] {
  const states: string[] = []
  for (const match of body.matchAll(/^haproxy_server_status\{proxy="outputs",server="(out\d)",state="([A-Z_]+)"\} 1$/gm)) {
    states.push(`${match[1] ?? ''} ${match[2] ?? ''}`)
  }
  return states.sort()
}

function assertMetrics (fetched: Fetched): void {
  assert.equal(fetched.status, 200, `${fetched.status} ${String(fetched.error)}: ${fetched.body.slice(0, 200)}`)
  assert.match(fetched.contentType, /^text\/plain; version=0\.0\.4/)
  assert.match(fetched.body, /^# TYPE haproxy_server_status gauge$/m)
  const servers = new Set([...fetched.body.matchAll(/^haproxy_server_status\{proxy="outputs",server="([^"]+)"/gm)].map((match) => match[1]))
  assert.deepEqual([...servers].sort(), ['out1', 'out2', 'out3'])
}

describe('stats UI without ui_user and ui_password', () => {
  let agent: AgentHandle | undefined

  before(async () => { agent = await startAppliance('') })
  after(async () => { await stopAppliance(agent) })

  test('Chromium sees every output with its state, read-only, and the page refreshes itself with the live state', async () => {
    const shown = await browser.visit(ui)
    assert.equal(shown.status, 200)
    assert.deepEqual(outputStates(shown), ['out1 UP', 'out2 UP', 'out3 MAINT'])
    assert.equal(shown.adminControls, 0, 'no admin form: the page cannot change a server')
    assert.ok(shown.proxies.in !== undefined && shown.proxies.ui !== undefined, `frontend in and the ui listener are listed too: ${Object.keys(shown.proxies).join(', ')}`)

    assert.equal((await agent?.ctl('/api/disable?channel=out2'))?.status.code, 0)
    // A refresh that was already on its way may still show out2 up: wait for up to three.
    let refreshed = shown
    for (let i = 0; i < 3 && !outputStates(refreshed).includes('out2 MAINT'); i++) {
      refreshed = await browser.snapshot(shown.page, { afterLoad: true, timeoutMs: 12_000 })
    }
    assert.ok(refreshed.loads > shown.loads, 'the page loaded again on its own')
    assert.deepEqual(outputStates(refreshed), ['out1 UP', 'out2 MAINT', 'out3 MAINT'])
    await browser.close(shown.page)
  })

  test('/metrics is HAProxy\'s Prometheus exporter, with haproxy_server_status for out1..out3', async () => {
    // out2 as the test before leaves it, whether or not it ran.
    assert.ok([0, 10].includes(Number((await agent?.ctl('/api/disable?channel=out2'))?.status.code)))
    const fetched = await browser.fetch(`${ui}metrics`)
    assertMetrics(fetched)
    assert.deepEqual(metricServerStates(fetched.body), ['out1 UP', 'out2 MAINT', 'out3 MAINT'])
  })
})

describe('stats UI with ui_user and ui_password', () => {
  let agent: AgentHandle | undefined

  before(async () => { agent = await startAppliance(`ui_user=${CREDENTIALS.username}\nui_password=${CREDENTIALS.password}\n`) })
  after(async () => { await stopAppliance(agent) })

  test('without credentials, or with a wrong password, Chromium gets 401 and no stats page', async () => {
    for (const credentials of [undefined, { ...CREDENTIALS, password: 's3cret' }]) {
      const refused = await browser.visit(ui, credentials === undefined ? {} : { credentials })
      // No credentials: Chromium gives up on the challenge (net::ERR_INVALID_AUTH_CREDENTIALS); wrong ones: HAProxy's 401 page.
      assert.equal(refused.status, 401, JSON.stringify(refused))
      assert.deepEqual(refused.proxies, {}, `no proxy table shown: ${JSON.stringify(refused)}`)
      assert.doesNotMatch(`${refused.title} ${refused.text}`, /Statistics Report|outputs/)
      await browser.close(refused.page)
    }
    const answer = await client.http(ui, { timeoutMs: 5000 })
    assert.equal(answer.status, 401)
    assert.equal(answer.headers['www-authenticate'], 'Basic realm="L3LB"')
  })

  test('with the credentials Chromium sees every output with its state', async () => {
    const shown = await browser.visit(ui, { credentials: CREDENTIALS })
    assert.equal(shown.status, 200)
    assert.deepEqual(outputStates(shown), ['out1 UP', 'out2 UP', 'out3 MAINT'])
    assert.equal(shown.adminControls, 0)
    await browser.close(shown.page)
  })

  test('/metrics asks for the same credentials', async () => {
    const refused = await browser.fetch(`${ui}metrics`)
    assert.equal(refused.status, 401, `${refused.status} ${String(refused.error)}: ${refused.body.slice(0, 200)}`)
    assert.doesNotMatch(refused.body, /haproxy_/)
    const fetched = await browser.fetch(`${ui}metrics`, { credentials: CREDENTIALS })
    assertMetrics(fetched)
    assert.deepEqual(metricServerStates(fetched.body), ['out1 UP', 'out2 UP', 'out3 MAINT'])
  })
})
