/**
 * Health of the udp_roundrobin outputs, checked by the agent itself (the kernel forwards UDP,
 * so HAProxy cannot). Like HAProxy: an output is up until `fall` failed checks in a row, and a
 * down one needs `rise` good checks in a row.
 *
 * Invariants:
 * - at most one check in flight per output: the next is scheduled when the previous ends;
 * - a check that ends after stop(), or after its output was removed or readdressed, changes nothing;
 * - onChange is called only on a transition, never for the starting state;
 * - timers are unref'd: the checker never keeps the process alive.
 */
import type { OutputName } from '../properties/model.js'
import type { OutputHealth } from '../model/health.js'

/** Asks one output once: true when it answered within `timeoutMs`. Must settle in about `timeoutMs`. `port`: where a UDP check goes. */
export type Probe = (address: string, timeoutMs: number, port?: number) => Promise<boolean>

/** An output to check (or a UDP service file's server, by its key). */
export interface CheckedOutput<Name extends string = OutputName> {
  readonly name: Name
  readonly address: string
  /** Where a check that sees the service goes (SPEC §14); none for a ping. */
  readonly port?: number
}

export interface HealthCheckerLog {
  info (message: string): void
}

export interface HealthCheckerOptions<Name extends string = OutputName> {
  readonly probe: Probe
  /** Between the end of one check and the start of the next; 0 = no checks, every output up. */
  readonly intervalMs: number
  /** Passed to the probe. */
  readonly timeoutMs: number
  /** Good checks in a row that bring a down output up. */
  readonly rise: number
  /** Failed checks in a row that take an up output down. */
  readonly fall: number
  readonly onChange: (output: Name, health: OutputHealth) => void
  readonly log?: HealthCheckerLog
}

/** How long stop() waits past the probe timeout for checks in flight. */
export const STOP_GRACE_MS = 1000

interface Tracked<Name extends string> {
  readonly name: Name
  readonly address: string
  readonly port: number | undefined
  health: OutputHealth
  // checks in a row that disagree with `health`
  streak: number
  failures: number
  timer: NodeJS.Timeout | null
  active: boolean
  // a probe error is logged once until the next good check, not every interval
  errorLogged: boolean
}

/** Checks every output on its own timer and reports transitions through onChange. */
export class HealthChecker<Name extends string = OutputName> {
  readonly #options: HealthCheckerOptions<Name>
  #outputs = new Map<Name, Tracked<Name>>()
  readonly #inFlight = new Set<Promise<void>>()
  #running = false

  constructor (options: HealthCheckerOptions<Name>) {
    requireNumber('intervalMs', options.intervalMs, 0)
    requireNumber('timeoutMs', options.timeoutMs, 1)
    requireInteger('rise', options.rise)
    requireInteger('fall', options.fall)
    this.#options = options
  }

  /** Starts checking `outputs`, each up unless `initial` says otherwise. */
  start (outputs: ReadonlyArray<CheckedOutput<Name>>, initial?: ReadonlyMap<Name, OutputHealth>): void {
    if (this.#running) throw new Error('the health checker is already running; use update() to change its outputs')
    this.#running = true
    this.#outputs = new Map()
    for (const output of outputs) this.#add(output, initial?.get(output.name) ?? 'up')
  }

  /** For a reload: outputs with the same name, address and port keep their state, others start up, missing ones stop. */
  update (outputs: ReadonlyArray<CheckedOutput<Name>>): void {
    const next = new Map<Name, Tracked<Name>>()
    const previous = this.#outputs
    this.#outputs = next
    for (const output of outputs) {
      const kept = previous.get(output.name)
      if (kept !== undefined && kept.address === output.address && kept.port === output.port) {
        previous.delete(output.name)
        next.set(output.name, kept)
      } else if (this.#running) {
        this.#add(output, 'up')
      } else {
        next.set(output.name, track(output, 'up'))
      }
    }
    for (const removed of previous.values()) cancel(removed)
  }

  /** Cancels every timer; checks in flight report nothing. Resolves once none is in flight (bounded). */
  async stop (): Promise<void> {
    this.#running = false
    for (const tracked of this.#outputs.values()) cancel(tracked)
    if (this.#inFlight.size === 0) return
    let timer: NodeJS.Timeout | undefined
    // kept referenced: whoever awaits stop() needs it to resolve
    const bound = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.#options.timeoutMs + STOP_GRACE_MS) })
    await Promise.race([Promise.allSettled([...this.#inFlight]), bound])
    clearTimeout(timer)
  }

  /** Health of every output, in the order given. */
  health (): ReadonlyMap<Name, OutputHealth> {
    return new Map([...this.#outputs.values()].map((tracked) => [tracked.name, tracked.health]))
  }

  /** Failed checks of every output since it started being checked (the outX_errors counter). */
  failures (): ReadonlyMap<Name, number> {
    return new Map([...this.#outputs.values()].map((tracked) => [tracked.name, tracked.failures]))
  }

  #add (output: CheckedOutput<Name>, health: OutputHealth): void {
    const checking = this.#options.intervalMs > 0
    // without checks nothing could ever bring an output back, so all stay up
    const tracked = track(output, checking ? health : 'up')
    this.#outputs.set(output.name, tracked)
    if (checking) this.#schedule(tracked, 0)
  }

  #schedule (tracked: Tracked<Name>, delayMs: number): void {
    tracked.timer = setTimeout(() => {
      tracked.timer = null
      const check = this.#check(tracked)
      this.#inFlight.add(check)
      check.finally(() => this.#inFlight.delete(check)).catch(() => undefined)
    }, delayMs)
    tracked.timer.unref()
  }

  async #check (tracked: Tracked<Name>): Promise<void> {
    let ok: boolean
    try {
      ok = await this.#options.probe(tracked.address, this.#options.timeoutMs, tracked.port)
    } catch (error) {
      ok = false
      if (tracked.active && !tracked.errorLogged) {
        tracked.errorLogged = true
        this.#options.log?.info(`health check of ${tracked.name} (${tracked.address}) could not run: ${(error as Error).message}`)
      }
    }
    if (!tracked.active) return
    if (ok) tracked.errorLogged = false
    this.#record(tracked, ok)
    // onChange may have stopped the checker or removed this output
    if (tracked.active) this.#schedule(tracked, this.#options.intervalMs)
  }

  #record (tracked: Tracked<Name>, ok: boolean): void {
    if (!ok) tracked.failures++
    const agrees = ok === (tracked.health === 'up')
    if (agrees) {
      tracked.streak = 0
      return
    }
    tracked.streak++
    const needed = ok ? this.#options.rise : this.#options.fall
    if (tracked.streak < needed) return
    tracked.streak = 0
    tracked.health = ok ? 'up' : 'down'
    this.#options.log?.info(`${tracked.name} (${tracked.address}) is ${tracked.health} after ${needed} ${ok ? 'good' : 'failed'} checks in a row`)
    try {
      this.#options.onChange(tracked.name, tracked.health)
    } catch (error) {
      // a failing listener must not stop the checks
      this.#options.log?.info(`health change of ${tracked.name} was not taken: ${(error as Error).message}`)
    }
  }
}

function track<Name extends string> (output: CheckedOutput<Name>, health: OutputHealth): Tracked<Name> {
  return { name: output.name, address: output.address, port: output.port, health, streak: 0, failures: 0, timer: null, active: true, errorLogged: false }
}

function cancel<Name extends string> (tracked: Tracked<Name>): void {
  tracked.active = false
  if (tracked.timer !== null) clearTimeout(tracked.timer)
  tracked.timer = null
}

function requireNumber (name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) throw new RangeError(`${name} must be a number of at least ${min}, got ${String(value)}`)
}

function requireInteger (name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be an integer of at least 1, got ${String(value)}`)
}
