/**
 * Watches the health of every service's servers as the ctl service reports it (the env file's
 * outputs and each service file's servers, one read for all) and calls back on each change,
 * in every mode: HAProxy's checks for TCP services, the agent's own for UDP ones. When the
 * env file's last output up goes down, and when one comes back, it says so too: the outage.
 * Invariants: the first read only sets what is known (a restarted agent does not re-announce);
 * a server that is disabled or draining, removed, newly connected or given another address
 * changes nothing (ctl and reloads are the operator's own doing); a read that fails (HAProxy
 * reloading) is skipped, not guessed.
 */
import { OUTPUT_NAMES, type OutputName } from '../properties/model.js'
import type { OutputReport } from '../model/health.js'

/** What the watch compares: a health, and the address it was found at when the read knows it. */
export type WatchedReport = OutputReport & { readonly address?: string, readonly port?: number | null }

export interface OutputWatchOptions<R extends WatchedReport> {
  /** Every enabled server's report, by server key (`out1` for the env file's outputs, `web/web2`). */
  readonly read: () => Promise<ReadonlyMap<string, R>>
  /** A change of health, with the report that found it (its reason says why a server is down). */
  readonly onChange: (key: string, report: R) => void
  readonly intervalMs: number
  /**
   * No output of the env file's service is up any more ('down', with the outputs down), or
   * one is again ('up', with those up) after such a 'down'; after the servers' own changes.
   * Not when no output is enabled (ctl's doing), nor at the first read.
   */
  readonly onService?: (state: 'up' | 'down', outputs: OutputName[]) => void
}

export class OutputWatch<R extends WatchedReport = OutputReport> {
  readonly #options: OutputWatchOptions<R>
  #known: ReadonlyMap<string, R> | null = null
  #timer: NodeJS.Timeout | null = null
  #reading: Promise<void> | null = null
  // an outage announced and not yet over: 'up' is said only after a 'down'
  #outage = false

  constructor (options: OutputWatchOptions<R>) {
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
    let reports: ReadonlyMap<string, R>
    try {
      reports = await this.#options.read()
    } catch {
      return
    }
    const known = this.#known
    this.#known = reports
    if (known === null) return
    for (const [key, now] of reports) {
      const before = known.get(key)
      if (before !== undefined && sameServer(before, now) && before.health !== now.health) this.#options.onChange(key, now)
    }
    const outputs = [...reports].flatMap(([key, report]) => outputOf(key, report))
    if (outputs.length === 0) return
    const up = outputs.filter(([, report]) => report.health === 'up').map(([output]) => output)
    const servedBefore = [...known].some(([key, report]) => outputOf(key, report).length > 0 && report.health === 'up')
    if (servedBefore && up.length === 0) {
      this.#outage = true
      this.#options.onService?.('down', outputs.map(([output]) => output))
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

// a server a reload gave another address is a new one: its first health is learnt, not announced
function sameServer (before: WatchedReport, now: WatchedReport): boolean {
  return before.address === now.address && before.port === now.port
}

// the env file's outputs, whose outage is the seed's service going dark (service files' keys hold a '/')
function outputOf<R> (key: string, report: R): Array<[OutputName, R]> {
  const output = OUTPUT_NAMES.find((name) => name === key)
  return output === undefined ? [] : [[output, report]]
}
