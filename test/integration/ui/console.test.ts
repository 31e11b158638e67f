/**
 * The web console (docs/console.md) in headless Chromium against a running appliance with
 * ctl_token set: the token prompt and its refusal, every service and server shown live, a
 * click on Disable that takes a server out of traffic, a server added through the form that
 * serves, the sessions chart drawing points, the notices of the last hour. With
 * L3LB_SCREENSHOT=docs/console.png it saves the picture docs/console.md shows.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ctlEnv, startAgent, type AgentHandle, writeAgentFiles } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startBrowser, type BrowserDriver } from '../../support/browser.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { waitFor } from '../../support/wait.js'

const TOKEN = 'console-s3cret'
const LOADED = 'document.querySelectorAll("#services tr[data-server]").length'

let topology: Topology
let client: ClientDriver
let browser: BrowserDriver
let agent: AgentHandle
let dir: string
let consoleUrl: string

interface Row { readonly service: string, readonly server: string, readonly health: string, readonly admin: string, readonly buttons: string[] }

// each row as the page shows it, and the accessible names of its visible controls
const READ_ROWS = `[...document.querySelectorAll('#services section[data-service]')].flatMap((section) =>
  [...section.querySelectorAll('tr[data-server]')].map((row) => ({
    service: section.dataset.service,
    server: row.dataset.server,
    health: row.cells[2].textContent,
    admin: row.cells[3].textContent,
    buttons: [...row.querySelectorAll('button')].filter((button) => !button.hidden).map((button) => button.getAttribute('aria-label'))
  })))`

before(async () => {
  topology = await createTopology({ backends: 3 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  browser = await startBrowser(topology)
  const [be1, be2, be3] = topology.addresses.backends as [string, string, string]
  dir = mkdtempSync(join(tmpdir(), 'l3lb-console-'))
  const env = `mode=tcp_roundrobin\nports=80\nout1=${be1}\nout2=${be2}\nhealthcheck_interval=1\nctl_token=${TOKEN}\n${ctlEnv(topology)}`
  // web/dead's port has no listener: its checks fail and its DOWN notice is the page's to show
  writeAgentFiles(dir, env, { web: `ports=8081\nserver_web1=${be1}:80\nserver_web2=${be2}:80\nserver_dead=${be3}:9\nhealthcheck_interval=1\nhealthcheck_fall=2\n` })
  agent = await startAgent(topology, client, { env, dir })
  consoleUrl = `http://${topology.addresses.lbClientSide}:8080/`
})

after(async () => {
  await browser?.stop()
  await agent?.stop().catch(() => undefined)
  await client?.stop().catch(() => undefined)
  await topology?.destroy()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** The back ends that greet `count` new connections to `port`. */
async function greeters (port: number, count: number): Promise<string[]> {
  const seen: string[] = []
  for (let n = 0; n < count; n++) {
    const connection = await client.connect({ host: topology.addresses.lbClientSide, port, timeoutMs: 3000 }).catch(() => null)
    if (connection === null || connection.pending) continue
    await client.close(connection.conn)
    seen.push(String(connection.greeting).split(' ')[0] ?? '')
  }
  return seen
}

/** Every service and server as /api/services has them, `service/server`. */
async function apiServers (): Promise<string[]> {
  const answer = await client.http(`${consoleUrl}api/services`, { headers: { authorization: `Bearer ${TOKEN}` }, timeoutMs: 5000 })
  const { services } = JSON.parse(answer.body) as { services: Array<{ name: string, servers: Array<{ name: string }> }> }
  return services.flatMap((service) => service.servers.map((server) => `${service.name}/${server.name}`))
}

describe('the web console', () => {
  let page: number

  test('the page loads without the token and asks for it; a wrong token is refused and shows no data', async () => {
    const shown = await browser.visit(consoleUrl)
    page = shown.page
    assert.equal(shown.status, 200)
    assert.equal(shown.title, 'l3lb console')
    await browser.waitUntil(page, '!document.getElementById("token-form").hidden')
    await browser.fill(page, '#token', 'not-the-token')
    await browser.click(page, 'Sign in')
    await browser.waitUntil(page, 'document.getElementById("token-error").textContent !== ""')
    const refused = await browser.evaluate<{ error: string, main: boolean, rows: number, text: string }>(page,
      `({ error: document.getElementById('token-error').textContent, main: !document.getElementById('main').hidden, rows: ${LOADED}, text: document.body.innerText })`)
    assert.match(refused.error, /^The token was refused: ctl_token required/)
    assert.deepEqual([refused.main, refused.rows], [false, 0])
    assert.doesNotMatch(refused.text, /198\.18\.|web1|out1/)
  })

  test('with the token it shows every service and server of the appliance, live, and keeps the token for the tab only', async () => {
    await browser.fill(page, '#token', TOKEN)
    await browser.click(page, 'Sign in')
    const expected = await apiServers()
    assert.deepEqual(expected, ['default/out1', 'default/out2', 'web/web1', 'web/web2', 'web/dead'])
    await browser.waitUntil(page, `${LOADED} === ${expected.length}`)
    // live: the dead server's failing checks reach the page without a reload
    await browser.waitUntil(page, `${READ_ROWS}.every((row) => row.health === (row.server === 'dead' ? 'down' : 'up'))`, 20_000)
    const rows = await browser.evaluate<Row[]>(page, READ_ROWS)
    assert.deepEqual(rows.map((row) => `${row.service}/${row.server}`), expected)
    assert.deepEqual(rows.find((row) => row.server === 'out2')?.buttons, ['Disable out2', 'Drain out2'])
    assert.deepEqual(rows.find((row) => row.server === 'web2')?.buttons, ['Disable web/web2', 'Drain web/web2', 'Set weight of web/web2', 'Remove web/web2'])
    assert.equal(await browser.evaluate<string>(page, 'sessionStorage.getItem("l3lb-ctl-token")'), TOKEN)
    // asked once: the tab loaded again shows the data without asking
    await browser.evaluate(page, 'setTimeout(() => location.reload(), 0), true')
    await browser.waitUntil(page, `document.readyState === 'complete' && performance.getEntriesByType('navigation')[0].type === 'reload' && ${LOADED} === ${expected.length}`)
    assert.equal(await browser.evaluate<boolean>(page, 'document.getElementById("token-form").hidden'), true)
    // another tab (a new context) has no token: it asks again
    const other = await browser.visit(consoleUrl)
    await browser.waitUntil(other.page, '!document.getElementById("token-form").hidden')
    assert.equal(await browser.evaluate<number>(other.page, LOADED), 0)
    await browser.close(other.page)
  })

  test('the notices of the last hour show the dead server going down', async () => {
    await browser.waitUntil(page, '[...document.querySelectorAll("#notices li")].some((item) => /service web: server dead \\(.*:9\\) is DOWN/.test(item.textContent))', 20_000)
  })

  test('a click on "Disable web/web2" takes it out of traffic and offers the control that brings it back', async () => {
    assert.ok((await greeters(8081, 6)).includes('be2'), 'be2 served before')
    await browser.click(page, 'Disable web/web2')
    await browser.waitUntil(page, '/^Disable web\\/web2: done/.test(document.getElementById("result").textContent)')
    const seen = await greeters(8081, 8)
    assert.equal(seen.length, 8, `every connection was served: ${seen.join(', ')}`)
    assert.ok(!seen.includes('be2'), `be2 still greeted after the click: ${seen.join(', ')}`)
    await browser.waitUntil(page, `${READ_ROWS}.find((row) => row.server === 'web2').admin === 'disabled'`)
    const web2 = (await browser.evaluate<Row[]>(page, READ_ROWS)).find((row) => row.server === 'web2')
    assert.deepEqual(web2?.buttons.slice(0, 1), ['Enable web/web2'])
    await browser.click(page, 'Enable web/web2')
    await browser.waitUntil(page, '/^Enable web\\/web2: done/.test(document.getElementById("result").textContent)')
    await waitFor('be2 serves web again', async () => (await greeters(8081, 4)).includes('be2'), 5000)
  })

  test('a server added through the form serves; its weight changes; a refusal is shown', async () => {
    const be3 = topology.addresses.backends[2] ?? ''
    await browser.fill(page, '#add-web-name', 'web3')
    await browser.fill(page, '#add-web-address', be3)
    await browser.fill(page, '#add-web-port', '80')
    await browser.click(page, 'Add server to web')
    await browser.waitUntil(page, '/^Add web\\/web3: done: .*\\(applied: runtime\\)$/.test(document.getElementById("result").textContent)')
    await waitFor('be3 greets through web', async () => (await greeters(8081, 6)).includes('be3'), 5000)
    await browser.waitUntil(page, `${READ_ROWS}.some((row) => row.server === 'web3')`)

    await browser.fill(page, '#weight-web-web3', '7')
    await browser.click(page, 'Set weight of web/web3')
    await browser.waitUntil(page, '/^Set weight of web\\/web3 to 7: done/.test(document.getElementById("result").textContent)')
    await browser.waitUntil(page, 'document.querySelector(\'section[data-service="web"] tr[data-server="web3"]\').cells[4].textContent === "7"')

    await browser.fill(page, '#weight-web-web3', '300')
    await browser.click(page, 'Set weight of web/web3')
    await browser.waitUntil(page, 'document.getElementById("result").classList.contains("refused")')
    assert.match(await browser.evaluate<string>(page, 'document.getElementById("result").textContent'), /^Set weight of web\/web3 to 300: refused \(HTTP 400\): .*weight is a whole number from 0 to 256/)
  })

  test('the sessions chart draws points from the counters', async () => {
    await greeters(8081, 5)
    await browser.waitUntil(page, 'Number(document.querySelector(\'section[data-service="web"] figure.chart\').dataset.points) >= 2', 40_000)
    assert.equal(await browser.evaluate<number>(page, 'document.querySelectorAll(\'section[data-service="web"] figure.chart canvas\').length'), 1)
    const shot = process.env.L3LB_SCREENSHOT
    if (shot !== undefined && shot !== '') await browser.screenshot(page, resolve(shot), 'body')
  })

  test('the page reported no error but the refusals the test asked for', async () => {
    // Chromium logs each refused call: the first load's and the wrong token's 401s, the weight of 300's 400
    const { consoleErrors } = await browser.snapshot(page)
    const refusal = /^Failed to load resource: the server responded with a status of (401 \(Unauthorized\)|400 \(Bad Request\))$/
    assert.deepEqual(consoleErrors.filter((line) => !refusal.test(line)), [])
    assert.equal(consoleErrors.filter((line) => line.includes('400')).length, 1, consoleErrors.join('\n'))
  })
})
