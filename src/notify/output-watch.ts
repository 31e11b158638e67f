/**
 * Watches the outputs' health as /api/status reports it and calls back on each change,
 * in every mode: HAProxy's checks in the TCP modes, the agent's own in udp_roundrobin.
 * When the last output up goes down, and when one comes back, it says so too: the outage.
 * Invariants: the first read only sets what is known (a restarted agent does not re-announce);
 * an output that is disabled, removed or newly connected changes nothing (ctl and reloads are
 * the operator's own doing); a read that fails (HAProxy reloading) is skipped, not guessed.
 */
import type { OutputName } from '../properties/model.js'
import type { OutputReport } from '../model/health.js'

export interface OutputWatchOptions {
  readonly read: () => Promise<ReadonlyMap<OutputName, OutputReport>>
  /** A change of health, with the report that found it (its reason says why an output is down). */
  readonly onChange: (output: OutputName, report: OutputReport) => void
  readonly intervalMs: number
  /**
   * No output is up any more ('down', with the outputs down), or one is again ('up', with
   * those up) after such a 'down'; after the outputs' own changes. Not when no output is
   * enabled (ctl's doing), nor at the first read.
   */
  readonly onService?: (state: 'up' | 'down', outputs: OutputName[]) => void
}

export class OutputWatch {
  readonly #options: OutputWatchOptions
  #known: ReadonlyMap<OutputName, OutputReport> | null = null
  #timer: NodeJS.Timeout | null = null
  #reading: Promise<void> | null = null
  // an outage announced and not yet over: 'up' is said only after a 'down'
  #outage = false

  constructor (options: OutputWatchOptions) {
    this.#options = options
  }

  start (): void {
    if (this.#timer !== null) return
    this.#timer = setInterval(() => { this.#tick() }, this.#options.intervalMs).unref()
    this.#tick()
  }

  async stop (): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    await this.#reading
  }

  /** One read now (tests and the first tick); resolves when its changes are reported. */
  async check (): Promise<void> {
    let reports: ReadonlyMap<OutputName, OutputReport>
    try {
      reports = await this.#options.read()
    } catch {
      return
    }
    const known = this.#known
    this.#known = reports
    if (known === null) return
    for (const [output, now] of reports) {
      const before = known.get(output)
      if (before !== undefined && before.health !== now.health) this.#options.onChange(output, now)
    }
    if (reports.size === 0) return
    const up = [...reports].filter(([, report]) => report.health === 'up').map(([output]) => output)
    const servedBefore = [...known.values()].some((report) => report.health === 'up')
    if (servedBefore && up.length === 0) {
      this.#outage = true
      this.#options.onService?.('down', [...reports.keys()])
    } else if (this.#outage && up.length > 0) {
      this.#outage = false
      this.#options.onService?.('up', up)
    }
  }

  // one read at a time: a slow socket skips ticks instead of piling reads up
  #tick (): void {
    if (this.#reading !== null) return
    this.#reading = this.check().finally(() => { this.#reading = null })
  }
}
