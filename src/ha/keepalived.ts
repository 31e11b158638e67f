/**
 * keepalived as a child of the agent, beside HAProxy: renders its configuration, starts it in
 * the foreground with its files in the runtime folder, applies changes with SIGHUP, restarts
 * it with backoff when it dies, and stops it first on the way out so the virtual addresses
 * move to the peer at once.
 * Invariants: at most one keepalived per Keepalived; the file on disk is the one in force;
 * a keepalived left by an agent that was killed is stopped before a new one starts.
 */
import { readFile, writeFile, rename } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa, type ResultPromise } from 'execa'
import { L3lbError } from '../errors.js'
import { processGone } from '../haproxy/process-state.js'
import { startDaemon } from '../process/daemon.js'
import type { HaSettings } from '../properties/model.js'
import { renderKeepalivedConfig, unicastSource, VRRP_INSTANCE } from './keepalived-config.js'

/** The program keepalived runs to check HAProxy (compiled next to this file). */
export const HEALTH_CHECK_PROGRAM = fileURLToPath(new URL('./health-check.js', import.meta.url))

export interface KeepalivedOptions {
  readonly runtimeDir: string
  /** HAProxy's stats socket, which the health check asks. */
  readonly statsSocket: string
  /** The keepalived program; `keepalived` from PATH by default. */
  readonly binary?: string
  readonly log: { info (message: string): void, error (message: string): void }
  /** Called when keepalived reports a new VRRP state (the failover notices hang on this). */
  readonly onState?: (state: VrrpState, previous: VrrpState) => void
}

/** The VRRP state keepalived last reported, `unknown` before its first report. */
export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'unknown'

const READY_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5000
const FIRST_BACKOFF_MS = 250
const MAX_BACKOFF_MS = 30_000
const POLL_MS = 50
// gratuitous ARP and neighbour adverts come by the dozen on each change: not worth a log line each
const QUIET = /Sending (?:gratuitous ARP|unsolicited Neighbour Advert)/
// keepalived -l prefixes each line with the date: the agent's log has its own
const DATE_PREFIX = /^\w{3} \w{3} +\d+ [\d:]+ \d{4}: /

export class Keepalived {
  readonly configFile: string
  readonly pidFile: string
  readonly vrrpPidFile: string
  readonly #options: KeepalivedOptions
  #child: ResultPromise | null = null
  #text: string | null = null
  #state: VrrpState = 'unknown'
  #stopping = false
  #backoffMs = FIRST_BACKOFF_MS
  #timer: NodeJS.Timeout | null = null

  constructor (options: KeepalivedOptions) {
    this.#options = options
    this.configFile = join(options.runtimeDir, 'keepalived.conf')
    this.pidFile = join(options.runtimeDir, 'keepalived.pid')
    this.vrrpPidFile = join(options.runtimeDir, 'keepalived-vrrp.pid')
  }

  /** The VRRP state of this node as keepalived last logged it. */
  get state (): VrrpState {
    return this.#state
  }

  get running (): boolean {
    return this.#child !== null
  }

  /** Brings keepalived to `ha`: start, SIGHUP with a new file, stop (null), or nothing. */
  async apply (ha: HaSettings | null): Promise<'none' | 'start' | 'reload' | 'stop'> {
    if (ha === null) {
      if (!this.running) return 'none'
      await this.stop()
      return 'stop'
    }
    const source = unicastSource(ha, networkInterfaces()[ha.interface] ?? [])
    const text = renderKeepalivedConfig(ha, [process.execPath, HEALTH_CHECK_PROGRAM, this.#options.statsSocket], source)
    if (this.running && text === this.#text) return 'none'
    await this.#install(text)
    if (this.running) {
      this.#child?.kill('SIGHUP')
      this.#text = text
      return 'reload'
    }
    await this.#stopLeftover()
    await this.#start()
    this.#text = text
    return 'start'
  }

  /** Stops keepalived; it gives the virtual addresses up (priority 0), so the peer takes them at once. */
  async stop (): Promise<void> {
    this.#stopping = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    const child = this.#child
    if (child === null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    await child
    clearTimeout(timer)
    this.#child = null
    this.#text = null
    this.#state = 'STOP'
  }

  // `keepalived -t` first, so a file it refuses never replaces the one in force
  async #install (text: string): Promise<void> {
    const candidate = `${this.configFile}.new`
    await writeFile(candidate, text, { mode: 0o600 })
    const checked = await execa(this.#binary(), ['-t', '-f', candidate], { reject: false, timeout: 10_000 })
    if (checked.failed) {
      throw programError(checked, `keepalived refused the rendered configuration: ${(checked.stderr || checked.stdout).trim().split('\n').slice(-5).join('\n')}`)
    }
    await rename(candidate, this.configFile)
  }

  async #start (): Promise<void> {
    this.#stopping = false
    const recent: string[] = []
    let ready = false
    let exited: string | null = null
    const args = ['-n', '-l', '-G', '-P', '-f', this.configFile, '-p', this.pidFile, '-r', this.vrrpPidFile]
    const child = startDaemon(this.#binary(), args, (raw) => {
      const line = raw.replace(DATE_PREFIX, '').trim()
      if (line === '') return
      recent.push(line)
      if (recent.length > 20) recent.shift()
      const entered = new RegExp(`^\\(${VRRP_INSTANCE}\\) Entering (MASTER|BACKUP|FAULT) STATE`).exec(line)
      if (entered !== null) {
        const previous = this.#state
        this.#state = entered[1] as VrrpState
        ready = true
        if (previous !== this.#state) this.#options.onState?.(this.#state, previous)
      }
      if (!QUIET.test(line)) this.#options.log.info(`keepalived: ${line}`)
    })
    this.#child = child
    child.then((result) => {
      exited = result.signal !== undefined ? `killed by ${result.signal}` : `exited with code ${String(result.exitCode)}`
      if (this.#child !== child) return
      this.#child = null
      this.#state = 'unknown'
      if (!this.#stopping && ready) this.#exited(exited)
    }, () => undefined)
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (Date.now() < deadline) {
      if (exited !== null) throw new L3lbError('L3LB_START_FAILED', `could not start L3LB: keepalived ${String(exited)} while starting:\n${recent.join('\n')}`)
      if (ready) {
        this.#backoffMs = FIRST_BACKOFF_MS
        return
      }
      await delay(POLL_MS)
    }
    await this.stop()
    throw new L3lbError('L3LB_START_FAILED', `could not start L3LB: keepalived reported no VRRP state within ${READY_TIMEOUT_MS} ms:\n${recent.join('\n')}`)
  }

  #exited (why: string): void {
    const wait = this.#backoffMs
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS)
    this.#options.log.error(`keepalived ${why}; restarting it in ${wait} ms`)
    const text = this.#text
    this.#text = null
    this.#timer = setTimeout(() => {
      this.#timer = null
      if (this.#stopping || text === null) return
      this.#stopLeftover()
        .then(() => this.#start())
        .then(() => { this.#text = text })
        .catch((error: unknown) => { this.#exited(`did not start again: ${(error as Error).message}`) })
    }, wait)
  }

  // a keepalived whose agent was killed still holds the pid files (and maybe the addresses)
  async #stopLeftover (): Promise<void> {
    for (const file of [this.pidFile, this.vrrpPidFile]) {
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim())
      if (!Number.isInteger(pid) || pid <= 1 || processGone(pid) || programName(pid) !== 'keepalived') continue
      this.#options.log.info(`stopping the keepalived an earlier agent left running (pid ${pid})`)
      killQuietly(pid, 'SIGTERM')
      const deadline = Date.now() + STOP_TIMEOUT_MS
      while (!processGone(pid) && Date.now() < deadline) await delay(POLL_MS)
      if (!processGone(pid)) killQuietly(pid, 'SIGKILL')
    }
  }

  #binary (): string {
    return this.#options.binary ?? 'keepalived'
  }
}

function programError (result: { code?: string, originalMessage?: string }, message: string): L3lbError {
  if (result.code === 'ENOENT' || /ENOENT/.test(result.originalMessage ?? '')) {
    return new L3lbError('L3LB_PROGRAM_MISSING', 'keepalived is not installed (ha_vip needs it): install Debian\'s keepalived package')
  }
  return new L3lbError('L3LB_START_FAILED', `could not start L3LB: ${message}`)
}

function programName (pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return ''
  }
}

function killQuietly (pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}

function delay (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
