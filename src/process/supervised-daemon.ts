/**
 * A helper program the agent keeps running beside HAProxy (keepalived, conntrackd): started
 * in the foreground, ready once it prints a line that says so, restarted with backoff when
 * it dies, stopped with SIGTERM (SIGKILL after a bound) on the way out.
 * Invariants: at most one child at a time; a restart that is due is cancelled by stop() or
 * by a start() the owner asks for; a start() that fails leaves nothing running.
 */
import type { ResultPromise } from 'execa'
import type { Log } from '../model/log.js'
import { setTimeout as delay } from 'node:timers/promises'
import { L3lbError } from '../errors.js'
import { startDaemon } from './daemon.js'

export interface SupervisedDaemonOptions {
  /** The program's name, for messages: `keepalived`. */
  readonly name: string
  readonly binary: string
  readonly args: readonly string[]
  /** Each non-blank line it prints, as printed. */
  readonly onLine: (line: string) => void
  /** Whether this line says it is ready (the start waits for one). */
  readonly isReady: (line: string) => boolean
  /** What `ready` means, for the timeout message: `reported no VRRP state`. */
  readonly notReady: string
  /** The error when the program is not installed. */
  readonly missing: () => L3lbError
  /** Run before each start, restarts included: stop leftovers, remove stale lock files. */
  readonly beforeStart?: () => Promise<void>
  /** Run once the child has a pid (to write a pid file). */
  readonly started?: (pid: number) => Promise<void>
  /** Run when the child has exited, whatever the reason. */
  readonly exited?: () => void
  readonly log: Pick<Log, 'info' | 'error'>
  readonly readyTimeoutMs?: number
}

const READY_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5000
/** A program that dies is started again after this, doubling up to MAX_BACKOFF_MS. */
export const FIRST_BACKOFF_MS = 250
export const MAX_BACKOFF_MS = 30_000
const POLL_MS = 50
const RECENT_LINES = 20

export class SupervisedDaemon {
  readonly #options: SupervisedDaemonOptions
  #child: ResultPromise | null = null
  #stopping = false
  #backoffMs = FIRST_BACKOFF_MS
  #timer: NodeJS.Timeout | null = null

  constructor (options: SupervisedDaemonOptions) {
    this.#options = options
  }

  get running (): boolean {
    return this.#child !== null
  }

  /** Sends a signal to the running child (SIGHUP: read the file again). */
  signal (signal: NodeJS.Signals): void {
    this.#child?.kill(signal)
  }

  /** Starts it and resolves once it is ready; throws why it is not (missing, exited, timed out). */
  async start (): Promise<void> {
    this.#cancelRestart()
    this.#stopping = false
    await this.#options.beforeStart?.()
    const { name } = this.#options
    const recent: string[] = []
    let ready = false
    let exited: string | null = null
    let missing = false
    const child = startDaemon(this.#options.binary, this.#options.args, (line) => {
      recent.push(line)
      if (recent.length > RECENT_LINES) recent.shift()
      if (this.#options.isReady(line)) ready = true
      this.#options.onLine(line)
    })
    this.#child = child
    if (child.pid !== undefined) await this.#options.started?.(child.pid)
    child.then((result) => {
      missing = result.code === 'ENOENT' || /ENOENT/.test(result.originalMessage ?? '')
      exited = result.signal !== undefined ? `killed by ${result.signal}` : `exited with code ${String(result.exitCode)}`
      if (this.#child !== child) return
      this.#child = null
      this.#options.exited?.()
      if (!this.#stopping && ready) this.#restartLater(exited)
    }, () => undefined)
    const deadline = Date.now() + (this.#options.readyTimeoutMs ?? READY_TIMEOUT_MS)
    while (Date.now() < deadline) {
      if (missing) throw this.#options.missing()
      if (exited !== null) throw new L3lbError('L3LB_START_FAILED', `could not start L3LB: ${name} ${String(exited)} while starting:\n${recent.join('\n')}`)
      if (ready) {
        this.#backoffMs = FIRST_BACKOFF_MS
        return
      }
      await delay(POLL_MS)
    }
    // not stop(): a restart that times out is tried again later
    await this.#end(child)
    throw new L3lbError('L3LB_START_FAILED', `could not start L3LB: ${name} ${this.#options.notReady} within ${this.#options.readyTimeoutMs ?? READY_TIMEOUT_MS} ms:\n${recent.join('\n')}`)
  }

  /** Stops it (SIGTERM, SIGKILL after 5 s) and any restart that was due. */
  async stop (): Promise<void> {
    this.#stopping = true
    this.#cancelRestart()
    const child = this.#child
    if (child !== null) await this.#end(child)
  }

  async #end (child: ResultPromise): Promise<void> {
    // not a death to restart from: it is being ended on purpose
    if (this.#child === child) this.#child = null
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    await child
    clearTimeout(timer)
    this.#options.exited?.()
  }

  #restartLater (why: string): void {
    const wait = this.#backoffMs
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS)
    this.#options.log.error(`${this.#options.name} ${why}; restarting it in ${wait} ms`)
    this.#timer = setTimeout(() => {
      this.#timer = null
      if (this.#stopping) return
      this.start().catch((error: unknown) => {
        if (!this.#stopping) this.#restartLater(`did not start again: ${(error as Error).message}`)
      })
    }, wait)
  }

  #cancelRestart (): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }
}
