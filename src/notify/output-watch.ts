/**
 * Watches the health of every service's servers as the ctl service reports it (the env file's
 * outputs and each service file's servers, one read for all) and calls back on each change,
 * in every mode: HAProxy's checks for TCP services, the agent's own for UDP ones. When a
 * service's last server up goes down, and when one comes back, it says so too: the outage,
 * for the env file's service and for each service file's, each on its own.
 * Invariants: the first read only sets what is known (a restarted agent does not re-announce);
 * a server that is disabled or draining, removed, newly connected or given another address
 * changes nothing (ctl and reloads are the operator's own doing); a read that fails (HAProxy
 * reloading) is skipped, not guessed.
 */
import { DEFAULT_SERVICE, OUTPUT_NAMES, type OutputName } from '../properties/model.js'
import type { OutputReport } from '../model/health.js'
import { serviceOfKey } from '../state/server-key.js'

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
  /** (SPEC §11) The same for each service file's service, by its name, with its servers' names (`web1`). */
  readonly onFileService?: (service: string, state: 'up' | 'down', servers: string[]) => void
  /**
   * The service files that exist now, by name. A service removed during its outage takes the
   * outage with it: one of that name added later says nothing of an outage it never had.
   */
  readonly services?: () => Iterable<string>
}

export class OutputWatch<R extends WatchedReport = OutputReport> {
  readonly #options: OutputWatchOptions<R>
  #known: ReadonlyMap<string, R> | null = null
  #timer: NodeJS.Timeout | null = null
  #reading: Promise<void> | null = null
  // the services with a server up at the last read: only they can go dark
  #served = new Set<string>()
  // the services whose outage was announced and is not yet over: 'up' is said only after a 'down'
  readonly #outages = new Set<string>()

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
    this.#forgetRemovedServices()
    const servers = byService(reports)
    const servedBefore = this.#served
    this.#served = new Set([...servers].filter(([, named]) => named.some(([, report]) => report.health === 'up')).map(([service]) => service))
    if (known === null) return
    for (const [key, now] of reports) {
      const before = known.get(key)
      if (before !== undefined && sameServer(before, now) && before.health !== now.health) this.#options.onChange(key, now)
    }
    // a service with no server in the read (all disabled, or removed) is not there to say anything
    for (const [service, named] of servers) {
      if (servedBefore.has(service) && !this.#served.has(service)) {
        this.#outages.add(service)
        this.#tell(service, 'down', named.map(([name]) => name))
      } else if (this.#outages.has(service) && this.#served.has(service)) {
        this.#outages.delete(service)
        this.#tell(service, 'up', named.filter(([, report]) => report.health === 'up').map(([name]) => name))
      }
    }
  }

  // a service that is gone is not in an outage any more (one whose servers are all disabled still is)
  #forgetRemovedServices (): void {
    if (this.#options.services === undefined || this.#outages.size === 0) return
    const existing = new Set(this.#options.services())
    for (const service of this.#outages) if (service !== DEFAULT_SERVICE && !existing.has(service)) this.#outages.delete(service)
  }

  // the env file's outage in the seed's words (its outputs), a service file's by its name
  #tell (service: string, state: 'up' | 'down', names: string[]): void {
    if (service === DEFAULT_SERVICE) this.#options.onService?.(state, names.filter(isOutputName))
    else this.#options.onFileService?.(service, state, names)
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

// each service's servers in the read, by name, in the read's order: the env file's outputs are `default`'s
function byService<R> (reports: ReadonlyMap<string, R>): Map<string, Array<[string, R]>> {
  const services = new Map<string, Array<[string, R]>>()
  for (const [key, report] of reports) {
    const file = serviceOfKey(key)
    const service = file ?? (isOutputName(key) ? DEFAULT_SERVICE : null)
    if (service === null) continue
    const name = file === null ? key : key.slice(file.length + 1)
    const named = services.get(service)
    if (named === undefined) services.set(service, [[name, report]])
    else named.push([name, report])
  }
  return services
}

function isOutputName (name: string): name is OutputName {
  return (OUTPUT_NAMES as readonly string[]).includes(name)
}
