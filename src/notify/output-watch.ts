/**
 * Watches the outputs' health as /api/status reports it and calls back on each change,
 * in every mode: HAProxy's checks in the TCP modes, the agent's own in udp_roundrobin.
 * Invariants: the first read only sets what is known (a restarted agent does not re-announce);
 * an output that is disabled, removed or newly connected changes nothing (ctl and reloads are
 * the operator's own doing); a read that fails (HAProxy reloading) is skipped, not guessed.
 */
import type { OutputReport } from '../ctl/controller.js'
import type { OutputName } from '../properties/model.js'

export interface OutputWatchOptions {
  readonly read: () => Promise<ReadonlyMap<OutputName, OutputReport>>
  /** A change of health, with the report that found it (its reason says why an output is down). */
  readonly onChange: (output: OutputName, report: OutputReport) => void
  readonly intervalMs: number
}

export class OutputWatch {
  readonly #options: OutputWatchOptions
  #known: ReadonlyMap<OutputName, OutputReport> | null = null
  #timer: NodeJS.Timeout | null = null
  #reading: Promise<void> | null = null

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
  }

  // one read at a time: a slow socket skips ticks instead of piling reads up
  #tick (): void {
    if (this.#reading !== null) return
    this.#reading = this.check().finally(() => { this.#reading = null })
  }
}
