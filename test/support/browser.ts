/**
 * Headless Chromium inside a topology's client namespace, so the browser reaches only
 * the test's own network (198.18.0.0/15) and nothing of the host's.
 *
 * Run as a program (`node browser.js`), this file launches Chromium through
 * playwright-core and answers one JSON command a line on stdin. Imported, it is the
 * driver: `startBrowser(topology)` runs the program in the client namespace and turns
 * each method call into one command, bounded by a timeout on both sides.
 *
 * Invariants:
 * - Chromium's profile, cache and home are inside one new temporary folder that the
 *   driver removes at stop(), passed or failed;
 * - every command answers within its timeout, and the driver waits a little longer.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { LineRpc } from './line-rpc.js'
import type { SpawnedProcess, Topology } from './topology.js'

/** Debian's chromium package; scripts/install-prerequisites installs it. */
export const CHROMIUM = '/usr/bin/chromium'

/** What the program passes to Chromium beyond Playwright's own flags. */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

const PROGRAM = fileURLToPath(import.meta.url)
const DEFAULT_TIMEOUT_MS = 15_000
// The driver waits a little longer than the program so the program's own answer wins.
const DRIVER_SLACK_MS = 5_000
const LAUNCH_TIMEOUT_MS = 30_000
// Wide enough for HAProxy's tables on one line; a full-page screenshot grows past the height.
const VIEWPORT = { width: 1600, height: 600 }

/** One server row of a proxy on the stats page. */
export interface StatsRow {
  /** The server's name: `out1`.. */
  readonly name: string
  /** The Status cell's state word: `UP`, `DOWN`, `MAINT`, `NOLB`, `DRAIN`, `no check`... */
  readonly state: string
  /** The Status cell as shown, with how long it has been so: `5s UP`. */
  readonly statusText: string
  /** The row's class, which colours it: `active_up`, `maintain`... */
  readonly rowClass: string
}

/** What one page showed. */
export interface PageSnapshot {
  /** The page's number, for snapshot(), screenshot() and close(). */
  readonly page: number
  /** The HTTP status of the document shown; 0 when the navigation got no response. */
  readonly status: number
  readonly title: string
  /** The start of the page's visible text. */
  readonly text: string
  /** Each proxy table on the page by its name, with its server rows (frontend and backend rows left out). */
  readonly proxies: Record<string, StatsRow[]>
  /** How many times the page has loaded since visit(): 1, then more with each refresh. */
  readonly loads: number
  /** What `stats admin` adds (a POST form, server checkboxes, the action list); a read-only page has none. */
  readonly adminControls: number
  /** Why the navigation failed (`net::ERR_INVALID_AUTH_CREDENTIALS`...), or null when a page loaded. */
  readonly error: string | null
  /** What the page reported as errors since it opened: `console.error` lines, uncaught exceptions, failed loads of its files. */
  readonly consoleErrors: readonly string[]
}

/** A document fetched by the browser, body as text. */
export interface Fetched {
  /** The HTTP status; of the last answer seen when the navigation failed, 0 if none. */
  readonly status: number
  readonly contentType: string
  readonly body: string
  /** Why the navigation failed (`net::ERR_INVALID_AUTH_CREDENTIALS`...), or null. */
  readonly error: string | null
}

export interface Credentials {
  readonly username: string
  readonly password: string
}

export interface BrowserDriver {
  /** The program, for its output in failure messages. */
  readonly process: SpawnedProcess
  /** Opens `url` in a new browser context (with basic-auth credentials when given) and reads it. */
  visit (url: string, options?: { credentials?: Credentials, timeoutMs?: number }): Promise<PageSnapshot>
  /** Reads an open page again; with `afterLoad`, first waits for the page to load again on its own. */
  snapshot (page: number, options?: { afterLoad?: boolean, timeoutMs?: number }): Promise<PageSnapshot>
  /** Fetches `url` in a new context and closes it: the status, content type and body text. */
  fetch (url: string, options?: { credentials?: Credentials, timeoutMs?: number }): Promise<Fetched>
  /** Saves a full-page PNG of an open page to `path`; with `selector`, of that element only. */
  screenshot (page: number, path: string, selector?: string): Promise<void>
  /** Closes an open page and its context. */
  close (page: number): Promise<void>
  /** Clicks the button whose accessible name is exactly `name` (what a screen reader announces). */
  click (page: number, name: string): Promise<void>
  /** Types `value` into the field found by the CSS `selector`, replacing what it held. */
  fill (page: number, selector: string, value: string): Promise<void>
  /** Waits until the page's JavaScript `expression` is true; rejects with the expression after `timeoutMs`. */
  waitUntil (page: number, expression: string, timeoutMs?: number): Promise<void>
  /** The value of the page's JavaScript `expression`, which must be JSON. */
  evaluate<T> (page: number, expression: string): Promise<T>
  /** Closes Chromium, stops the program and removes its temporary folder. */
  stop (): Promise<void>
}

/** Starts the browser program in the topology's client namespace and waits until Chromium runs. */
export async function startBrowser (topology: Topology): Promise<BrowserDriver> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed: ${CHROMIUM} is missing; run \`sudo bash scripts/install-prerequisites\` (it installs Debian's chromium package)`)
  }
  const home = mkdtempSync(join(tmpdir(), 'l3lb-browser-'))
  // Playwright makes Chromium's --user-data-dir under TMPDIR: the new, empty folder above.
  const env = { TMPDIR: home, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache') }
  const child = topology.spawn(topology.names.client, process.execPath, [PROGRAM], { stdin: 'pipe', env })
  const driver = new Driver(child, home)
  try {
    await child.waitForLine('{"ready":true}', LAUNCH_TIMEOUT_MS + DRIVER_SLACK_MS)
  } catch (error) {
    await driver.stop()
    throw new Error(`Chromium did not start in the client namespace: ${(error as Error).message}`, { cause: error })
  }
  return driver
}

class Driver implements BrowserDriver {
  readonly process: SpawnedProcess
  readonly #home: string
  readonly #rpc: LineRpc

  constructor (child: SpawnedProcess, home: string) {
    this.process = child
    this.#home = home
    this.#rpc = new LineRpc(child, {
      name: 'the browser program',
      slackMs: DRIVER_SLACK_MS,
      failure: (op, answer) => new Error(`${op}: ${String(answer.error)}`)
    })
  }

  async visit (url: string, options: { credentials?: Credentials, timeoutMs?: number } = {}): Promise<PageSnapshot> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    return (await this.#rpc.call('visit', { url, credentials: options.credentials ?? null, timeoutMs }, timeoutMs)).snapshot as PageSnapshot
  }

  async snapshot (page: number, options: { afterLoad?: boolean, timeoutMs?: number } = {}): Promise<PageSnapshot> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    return (await this.#rpc.call('snapshot', { page, afterLoad: options.afterLoad ?? false, timeoutMs }, timeoutMs)).snapshot as PageSnapshot
  }

  async fetch (url: string, options: { credentials?: Credentials, timeoutMs?: number } = {}): Promise<Fetched> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    return (await this.#rpc.call('fetch', { url, credentials: options.credentials ?? null, timeoutMs }, timeoutMs)).fetched as Fetched
  }

  async screenshot (page: number, path: string, selector?: string): Promise<void> {
    await this.#rpc.call('screenshot', { page, path, selector: selector ?? null }, DEFAULT_TIMEOUT_MS)
  }

  async close (page: number): Promise<void> {
    await this.#rpc.call('close', { page }, DEFAULT_TIMEOUT_MS)
  }

  async click (page: number, name: string): Promise<void> {
    await this.#rpc.call('click', { page, name, timeoutMs: DEFAULT_TIMEOUT_MS }, DEFAULT_TIMEOUT_MS)
  }

  async fill (page: number, selector: string, value: string): Promise<void> {
    await this.#rpc.call('fill', { page, selector, value, timeoutMs: DEFAULT_TIMEOUT_MS }, DEFAULT_TIMEOUT_MS)
  }

  async waitUntil (page: number, expression: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.#rpc.call('waitUntil', { page, expression, timeoutMs }, timeoutMs)
  }

  async evaluate<T> (page: number, expression: string): Promise<T> {
    return (await this.#rpc.call('evaluate', { page, expression }, DEFAULT_TIMEOUT_MS)).value as T
  }

  async stop (): Promise<void> {
    try {
      this.process.stdin?.end()
      await Promise.race([this.process.exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())])
      await this.process.stop(3000)
    } finally {
      this.#rpc.failAll('the browser was stopped')
      rmSync(this.#home, { recursive: true, force: true })
    }
  }
}

// ---- The program: runs inside the client namespace. ----

/** Runs in the page: every proxy's server rows (a proxy's title and its rows are separate tables). A string, since the page is not Node. */
const READ_STATS_PAGE = `(() => {
  const proxies = {}
  for (const anchor of document.querySelectorAll('th.pxname a[name]')) {
    const proxy = anchor.getAttribute('name')
    const rows = []
    for (const named of document.querySelectorAll('a[name^="' + CSS.escape(proxy) + '/"]')) {
      const name = named.getAttribute('name').slice(proxy.length + 1)
      const row = named.closest('tr')
      if (row === null || name === 'Frontend' || name === 'Backend') continue
      const cells = [...row.cells].map((cell) => cell.innerText.trim())
      const statusText = cells.find((text) => /^(\\d+\\S* )?(UP|DOWN|MAINT|NOLB|DRAIN|no check)\\b/.test(text)) ?? ''
      const state = statusText.replace(/^\\d+\\S* /, '').split(/[ (]/)[0]
      rows.push({ name, state, statusText, rowClass: row.className })
    }
    proxies[proxy] = rows
  }
  return proxies
})()`

async function runProgram (): Promise<void> {
  const { chromium } = await import('playwright-core')
  type Page = Awaited<ReturnType<Awaited<ReturnType<typeof chromium.launch>>['newPage']>>
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS], timeout: LAUNCH_TIMEOUT_MS })
  const pages = new Map<number, { page: Page, loads: number, status: number, errors: string[] }>()
  let nextPage = 1

  const opened = (number: number): { page: Page, loads: number, status: number, errors: string[] } => {
    const found = pages.get(number)
    if (found === undefined) throw new Error(`no open page ${number}`)
    return found
  }
  const contextFor = async (credentials: Credentials | null) => await browser.newContext({
    viewport: VIEWPORT,
    ...(credentials === null ? {} : { httpCredentials: credentials })
  })
  const read = async (number: number, error: string | null = null): Promise<PageSnapshot> => {
    const { page, loads, status, errors } = opened(number)
    const text = await page.evaluate('document.body === null ? "" : document.body.innerText') as string
    return {
      page: number,
      status,
      title: await page.title(),
      text: text.slice(0, 500),
      proxies: await page.evaluate(READ_STATS_PAGE) as Record<string, StatsRow[]>,
      loads,
      adminControls: await page.evaluate('document.querySelectorAll(\'form[method="post" i], input[type="checkbox"], select\').length') as number,
      error,
      consoleErrors: [...errors]
    }
  }

  const commands: Record<string, (command: Record<string, unknown>) => Promise<Record<string, unknown>>> = {
    async visit (command) {
      const context = await contextFor(command.credentials as Credentials | null)
      const page = await context.newPage()
      const number = nextPage++
      const entry = { page, loads: 0, status: 0, errors: [] as string[] }
      pages.set(number, entry)
      page.on('load', () => { entry.loads += 1 })
      page.on('console', (message) => { if (message.type() === 'error') entry.errors.push(message.text()) })
      page.on('pageerror', (error) => { entry.errors.push(`uncaught: ${error.message}`) })
      // Each self-refresh is a new navigation: keep the status of the latest document.
      page.on('response', (response) => {
        if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) entry.status = response.status()
      })
      // Refused credentials end the navigation with an error; the page is still read as it is.
      const failed = await page.goto(String(command.url), { timeout: Number(command.timeoutMs), waitUntil: 'load' }).then(
        () => null,
        (error: unknown) => /net::ERR_[A-Z_]+/.exec((error as Error).message)?.[0] ?? (error as Error).message
      )
      if (failed === null) return { snapshot: await read(number) }
      // Chromium goes on to show its own error page: read that one once it is there.
      for (let attempt = 1; ; attempt++) {
        await page.waitForLoadState('load', { timeout: Number(command.timeoutMs) })
        try {
          return { snapshot: await read(number, failed) }
        } catch (error) {
          if (attempt >= 3 || !/Execution context was destroyed/.test((error as Error).message)) throw error
        }
      }
    },
    async snapshot (command) {
      const number = Number(command.page)
      if (command.afterLoad === true) await opened(number).page.waitForEvent('load', { timeout: Number(command.timeoutMs) })
      return { snapshot: await read(number) }
    },
    async fetch (command) {
      const context = await contextFor(command.credentials as Credentials | null)
      try {
        const page = await context.newPage()
        let status = 0
        page.on('response', (response) => { if (response.request().isNavigationRequest()) status = response.status() })
        const response = await page.goto(String(command.url), { timeout: Number(command.timeoutMs), waitUntil: 'load' }).catch((error: unknown) => error as Error)
        if (response instanceof Error) {
          return { fetched: { status, contentType: '', body: '', error: /net::ERR_[A-Z_]+/.exec(response.message)?.[0] ?? response.message } }
        }
        if (response === null) throw new Error(`no response for ${String(command.url)}`)
        return { fetched: { status: response.status(), contentType: response.headers()['content-type'] ?? '', body: await response.text(), error: null } }
      } finally {
        await context.close()
      }
    },
    async screenshot (command) {
      const page = opened(Number(command.page)).page
      if (typeof command.selector === 'string') await page.locator(command.selector).screenshot({ path: String(command.path) })
      else await page.screenshot({ path: String(command.path), fullPage: true })
      return {}
    },
    async click (command) {
      await opened(Number(command.page)).page.getByRole('button', { name: String(command.name), exact: true }).click({ timeout: Number(command.timeoutMs) })
      return {}
    },
    async fill (command) {
      await opened(Number(command.page)).page.locator(String(command.selector)).fill(String(command.value), { timeout: Number(command.timeoutMs) })
      return {}
    },
    async waitUntil (command) {
      // polled with evaluate, which the page's Content-Security-Policy allows (waitForFunction compiles a string in the page, which it forbids)
      const page = opened(Number(command.page)).page
      const deadline = Date.now() + Number(command.timeoutMs) - 500
      let last: unknown = null
      while (Date.now() < deadline) {
        last = await page.evaluate(String(command.expression)).catch((error: unknown) => (error as Error).message.split('\n')[0])
        if (last === true) return {}
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      throw new Error(`${String(command.expression)} was not true within ${Number(command.timeoutMs)} ms; it was ${JSON.stringify(last)}`)
    },
    async evaluate (command) {
      return { value: await opened(Number(command.page)).page.evaluate(String(command.expression)) }
    },
    async close (command) {
      const number = Number(command.page)
      await opened(number).page.context().close()
      pages.delete(number)
      return {}
    }
  }

  const answer = (fields: Record<string, unknown>): void => { process.stdout.write(`${JSON.stringify(fields)}\n`) }
  let closing = false
  const shutdown = async (): Promise<void> => {
    if (closing) return
    closing = true
    await browser.close().catch(() => {})
    process.exit(0)
  }
  process.on('SIGTERM', () => { shutdown().catch(() => process.exit(1)) })

  const lines = createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    let command: Record<string, unknown>
    try {
      command = JSON.parse(line) as Record<string, unknown>
    } catch {
      answer({ ok: false, error: `not JSON: ${JSON.stringify(line)}` })
      return
    }
    const handler = commands[String(command.op)]
    if (handler === undefined) {
      answer({ id: command.id, ok: false, error: `unknown op ${JSON.stringify(command.op)}` })
      return
    }
    handler(command).then(
      (fields) => answer({ ...fields, id: command.id, ok: true }),
      (error: unknown) => answer({ id: command.id, ok: false, error: (error as Error).message })
    )
  })
  lines.on('close', () => { shutdown().catch(() => process.exit(1)) })
  answer({ ready: true })
}

if (process.argv[1] === PROGRAM) {
  runProgram().catch((error: unknown) => {
    process.stderr.write(`browser: ${(error as Error).stack ?? String(error)}\n`)
    process.exit(1)
  })
}
