/**
 * The mon push: POST the counters document to `mon_url` every `mon_interval` seconds.
 *
 * Invariants: at most one push (read + POST) is in flight; a tick that finds one in flight
 * is skipped and counted, never queued; every push is bounded by `timeoutMs` through an
 * AbortSignal, so a slow or dead receiver costs one pending request and nothing else;
 * an outage is logged twice, when it starts and when it ends, never once per tick.
 */
import { createRequire } from 'node:module'
import type * as NodeCron from 'node-cron'
import type { CountersDocument } from './model.js'

/** Sends `body` as JSON to `url`; resolves with the HTTP status; rejects when `signal` aborts. */
export type PostJson = (url: string, body: string, signal: AbortSignal) => Promise<number>

export interface PushLog {
  info (message: string): void
  warn (message: string): void
}

export interface CountersPushOptions {
  /** `mon_url`: an http:// or https:// URL. */
  readonly url: string
  /** `mon_interval`: whole seconds, 1..86400. */
  readonly intervalSeconds: number
  /** The document to send, read fresh for each push. */
  readonly read: () => Promise<CountersDocument>
  readonly log: PushLog
  /** Bound on one push (read and POST); default the smaller of the interval and 5 s. */
  readonly timeoutMs?: number
  /** The HTTP client; default `fetch`. */
  readonly post?: PostJson
}

/** What the push has done since it was made. */
export interface PushStats {
  readonly sent: number
  readonly failed: number
  /** Ticks that found a push still in flight. */
  readonly skipped: number
  readonly inFlight: boolean
}

const DEFAULT_TIMEOUT_MS = 5000

/**
 * Pushes the counters document on a schedule. `configure()` takes a reloaded `mon_url` and
 * `mon_interval`; when `mon_url` becomes empty the caller calls `stop()`.
 */
export class CountersPush {
  #url: string
  #intervalSeconds: number
  #timeoutMs: number
  readonly #fixedTimeoutMs: number | undefined
  readonly #read: () => Promise<CountersDocument>
  readonly #log: PushLog
  readonly #post: PostJson
  #schedule: (() => void) | undefined
  #inFlight: { readonly abort: AbortController, done: Promise<void> } | undefined
  #sent = 0
  #failed = 0
  #skipped = 0
  // Failed and skipped pushes of the outage in progress; undefined while pushes go through.
  #outage: { failed: number, skipped: number } | undefined

  constructor (options: CountersPushOptions) {
    checkInterval(options.intervalSeconds)
    this.#url = options.url
    this.#intervalSeconds = options.intervalSeconds
    this.#fixedTimeoutMs = options.timeoutMs
    this.#timeoutMs = options.timeoutMs ?? defaultTimeoutMs(options.intervalSeconds)
    this.#read = options.read
    this.#log = options.log
    this.#post = options.post ?? postJson
  }

  /** Starts the schedule; the first push is at the first tick, not at once. Idempotent. */
  start (): void {
    if (this.#schedule === undefined) this.#schedule = every(this.#intervalSeconds, () => this.#tick())
  }

  /** Stops the schedule and aborts the push in flight; resolves when nothing is in flight. */
  async stop (): Promise<void> {
    this.#schedule?.()
    this.#schedule = undefined
    if (this.#outage !== undefined) {
      this.#log.info(`mon push to ${shown(this.#url)} stopped during an outage of ${outageSummary(this.#outage)}`)
      this.#outage = undefined
    }
    const inFlight = this.#inFlight
    if (inFlight === undefined) return
    inFlight.abort.abort(new Error('the counters push was stopped'))
    await inFlight.done
  }

  /**
   * Takes a reloaded `mon_url` and `mon_interval`: a running schedule follows the new
   * interval; a push in flight finishes against the old URL.
   */
  configure (url: string, intervalSeconds: number): void {
    checkInterval(intervalSeconds)
    if (url !== this.#url && this.#outage !== undefined) {
      // A new receiver starts with a clean slate; the old outage still gets its closing line.
      this.#log.info(`mon push: mon_url changed to ${shown(url)}, ending an outage of ${outageSummary(this.#outage)} to ${shown(this.#url)}`)
      this.#outage = undefined
    }
    this.#url = url
    this.#timeoutMs = this.#fixedTimeoutMs ?? defaultTimeoutMs(intervalSeconds)
    if (intervalSeconds === this.#intervalSeconds) return
    this.#intervalSeconds = intervalSeconds
    if (this.#schedule === undefined) return
    this.#schedule()
    this.#schedule = every(intervalSeconds, () => this.#tick())
  }

  /** Counts since the push was made. */
  stats (): PushStats {
    return { sent: this.#sent, failed: this.#failed, skipped: this.#skipped, inFlight: this.#inFlight !== undefined }
  }

  #tick (): void {
    if (this.#inFlight !== undefined) {
      this.#skipped += 1
      if (this.#outage !== undefined) this.#outage.skipped += 1
      return
    }
    // Recorded before the push starts: a push that fails synchronously clears it in its finally.
    const push = { abort: new AbortController(), done: Promise.resolve() }
    this.#inFlight = push
    push.done = this.#pushOnce(push.abort)
  }

  async #pushOnce (abort: AbortController): Promise<void> {
    const url = this.#url
    const timeoutMs = this.#timeoutMs
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    try {
      const document = await untilAborted(readDocument(this.#read), abort.signal)
      const status = await this.#post(url, JSON.stringify(document), abort.signal)
      if (status < 200 || status > 299) throw new Error(`the receiver answered HTTP ${status}`)
      this.#succeeded(url)
    } catch (error) {
      // A push cut short by stop() says nothing about the receiver.
      if (this.#schedule !== undefined) this.#failedWith(url, abort.signal.aborted ? abort.signal.reason : error)
    } finally {
      clearTimeout(timer)
      if (this.#inFlight?.abort === abort) this.#inFlight = undefined
    }
  }

  #succeeded (url: string): void {
    this.#sent += 1
    // A push that outlived a change of mon_url says nothing about the new receiver.
    if (this.#outage === undefined || url !== this.#url) return
    this.#log.info(`mon push to ${shown(url)} works again after ${outageSummary(this.#outage)}`)
    this.#outage = undefined
  }

  #failedWith (url: string, error: unknown): void {
    this.#failed += 1
    if (url !== this.#url) return
    if (this.#outage !== undefined) {
      this.#outage.failed += 1
      return
    }
    this.#outage = { failed: 1, skipped: 0 }
    this.#log.warn(`mon push to ${shown(url)} failed: ${reasonOf(error)}; further failures are not logged until a push succeeds`)
  }
}

/** The default bound on one push: the interval, at most 5 s. */
export function defaultTimeoutMs (intervalSeconds: number): number {
  return Math.min(intervalSeconds * 1000, DEFAULT_TIMEOUT_MS)
}

/**
 * The node-cron expression (6 fields, seconds first) that fires every `seconds`, when one
 * fires at even spacing: N dividing 60 (`*\/N * * * * *`), N minutes dividing 60, N hours
 * dividing 24. Undefined otherwise (7 s, 90 s: a cron step restarts each minute, so its
 * gaps would be uneven).
 */
export function cronExpression (seconds: number): string | undefined {
  if (seconds < 60) return 60 % seconds === 0 ? `*/${seconds} * * * * *` : undefined
  if (seconds % 60 !== 0) return undefined
  const minutes = seconds / 60
  if (minutes < 60) return 60 % minutes === 0 ? `0 */${minutes} * * * *` : undefined
  if (minutes % 60 !== 0) return undefined
  const hours = minutes / 60
  return hours <= 24 && 24 % hours === 0 ? `0 0 */${hours} * * *` : undefined
}

// node-cron, loaded when a push is first scheduled, not at boot: a MiB of the agent's memory (docs/limits.md)
let cron: typeof NodeCron | null = null
function nodeCron (): typeof NodeCron {
  cron ??= createRequire(import.meta.url)('node-cron') as typeof NodeCron
  return cron
}

// Runs `tick` every `seconds`: on node-cron when the interval is a clean cron step (ticks on
// the clock's whole seconds, minutes, hours), otherwise on setInterval. Returns the stopper.
function every (seconds: number, tick: () => void): () => void {
  const expression = cronExpression(seconds)
  if (expression === undefined) {
    const timer = setInterval(tick, seconds * 1000)
    // The agent's listeners keep the process alive; the push must not keep it from exiting.
    timer.unref()
    return () => clearInterval(timer)
  }
  const task: NodeCron.ScheduledTask = nodeCron().createTask(expression, tick, { unref: true, suppressMissedWarning: true })
  // An inline task starts and stops synchronously; only background (forked) tasks return promises.
  task.start()
  // destroy() also drops the task from node-cron's global registry.
  return () => { task.destroy() }
}

/** POSTs with fetch; `user:password@` in the URL becomes basic auth; the answer's body is discarded. */
export async function postJson (url: string, body: string, signal: AbortSignal): Promise<number> {
  const target = new URL(url)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  // fetch refuses a URL with credentials, and its message would quote them.
  if (target.username !== '' || target.password !== '') {
    const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`
    headers.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`
    target.username = ''
    target.password = ''
  }
  const response = await fetch(target, { method: 'POST', headers, body, signal })
  await response.body?.cancel()
  return response.status
}

// A failed read is the agent's problem, not the receiver's; the reason says which.
async function readDocument (read: () => Promise<CountersDocument>): Promise<CountersDocument> {
  try {
    return await read()
  } catch (error) {
    throw new Error('could not read the counters', { cause: error })
  }
}

// read() takes no signal; racing it keeps a hung read from holding the push past its bound.
async function untilAborted<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  // A read that fails after the race is lost must not become an unhandled rejection.
  promise.catch(() => {})
  if (signal.aborted) throw signal.reason
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
  }
}

// fetch's "fetch failed" hides the cause (ECONNREFUSED, ENOTFOUND) one level down.
export function reasonOf (error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
  return `${error.message}${cause}`
}

function outageSummary (outage: { failed: number, skipped: number }): string {
  const skipped = outage.skipped === 0 ? '' : ` and ${outage.skipped} skipped while one was pending`
  return `${outage.failed} failed push${outage.failed === 1 ? '' : 'es'}${skipped}`
}

// The URL without credentials or query, which may carry secrets.
export function shown (url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return JSON.stringify(url.slice(0, 80))
  }
}

function checkInterval (seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86400) {
    throw new RangeError(`mon_interval must be a whole number of seconds in 1..86400, got ${seconds}`)
  }
}
