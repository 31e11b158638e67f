/**
 * Keeps HAProxy running: restarts the master with exponential backoff when it dies on its own.
 * The backoff resets once HAProxy has stayed up for STABLE_MS.
 */
import { FIRST_BACKOFF_MS, MAX_BACKOFF_MS } from '../process/supervised-daemon.js'
import { HaproxyMaster, type HaproxyMasterOptions } from './master.js'

const STABLE_MS = 60_000

export interface SupervisorLog {
  info (message: string): void
  error (message: string): void
}

export class HaproxySupervisor {
  readonly master: HaproxyMaster
  readonly #log: SupervisorLog
  #backoffMs = FIRST_BACKOFF_MS
  #startedAt = 0
  #timer: NodeJS.Timeout | null = null
  #stopped = false
  #restarts = 0
  #beforeRestart: () => void = () => undefined

  constructor (options: Omit<HaproxyMasterOptions, 'onUnexpectedExit'>, log: SupervisorLog) {
    this.#log = log
    this.master = new HaproxyMaster({ ...options, onUnexpectedExit: (why) => this.#exited(why) })
  }

  /** True from stop() until the next start: HAProxy ending then is what the agent asked for. */
  get stopping (): boolean {
    return this.#stopped
  }

  /** How many times HAProxy was brought back after dying. */
  get restarts (): number {
    return this.#restarts
  }

  /** What runs just before HAProxy is started again after dying: its files brought up to date (haproxy-path.ts). */
  beforeRestart (prepare: () => void): void {
    this.#beforeRestart = prepare
  }

  async start (): Promise<void> {
    this.#stopped = false
    await this.master.start()
    this.#startedAt = Date.now()
  }

  /** Takes over a master an earlier agent left running; false when there is none. */
  async adopt (): Promise<boolean> {
    this.#stopped = false
    const adopted = await this.master.adopt()
    if (adopted) this.#startedAt = Date.now()
    return adopted
  }

  async stop (): Promise<void> {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    await this.master.stop()
  }

  #exited (why: string): void {
    if (this.#stopped) return
    if (Date.now() - this.#startedAt > STABLE_MS) this.#backoffMs = FIRST_BACKOFF_MS
    const wait = this.#backoffMs
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS)
    this.#log.error(`HAProxy ${why}; restarting it in ${wait} ms`)
    this.#timer = setTimeout(() => { this.#restart().catch(() => undefined) }, wait)
  }

  async #restart (): Promise<void> {
    this.#timer = null
    if (this.#stopped) return
    try {
      this.#beforeRestart()
      await this.master.start()
      this.#startedAt = Date.now()
      this.#restarts++
      this.#log.info(`HAProxy restarted (pid ${String(this.master.pid)})`)
    } catch (error) {
      this.#exited(`did not start again: ${(error as Error).message}`)
    }
  }
}
