/**
 * Reads the seed's counters from where they live: HAProxy's `show stat` (one round trip a
 * read) and the listen backlog in the TCP modes; conntrack and the ICMP checks in
 * udp_roundrobin. Keeps what HAProxy forgets on reload (kept.ts).
 */
import type { Row } from '../haproxy/parse.js'
import type { OutputName } from '../properties/model.js'
import type { DesiredState } from '../state/desired.js'
import { emptyKept, keptAcrossReload, keptAfterReading, keptWithout, type KeptCounters, type OutputReading } from './kept.js'
import { listenBacklog } from './listen-backlog.js'
import type { CountersSnapshot } from './model.js'
import { backendQueue, tcpReadings, tcpSnapshot, udpSnapshot } from './snapshot.js'

/** Where the figures come from; the agent passes the real adapters. */
export interface CounterSources {
  /** `show stat` and the pid of the worker that answered it. */
  readStats (): Promise<{ readonly workerPid: number | null, readonly rows: Row[] }>
  /** `ss -H -l -t -n`: the listening sockets and their accept queues. */
  listeningSockets (): Promise<string>
  countFlowsTo (address: string): Promise<number>
  checkFailures (): ReadonlyMap<OutputName, number>
}

type Readings = ReadonlyMap<OutputName, OutputReading>

export class CountersCollector {
  readonly #sources: CounterSources
  readonly #state: () => DesiredState
  #kept: KeptCounters = emptyKept()
  // the latest reading of the current worker and its pid, to keep its totals once another worker answers
  #last: Readings | null = null
  #lastWorker: number | null = null
  // reads, samples and the reload hook run one at a time, so #last is always the latest
  #turn: Promise<unknown> = Promise.resolve()
  #addresses = new Map<OutputName, string>()

  constructor (sources: CounterSources, state: () => DesiredState, kept: KeptCounters = emptyKept()) {
    this.#sources = sources
    this.#state = state
    this.#kept = kept
  }

  /**
   * What to save when the agent stops: the kept figures with the running worker's
   * totals folded in, since the HAProxy started next begins from zero.
   */
  keptForRestart (): Promise<KeptCounters> {
    return this.#oneAtATime(async () => {
      const state = this.#state()
      if (state.properties.mode === 'udp_roundrobin') return this.#kept
      const readings = tcpReadings(state, (await this.#sources.readStats()).rows)
      return keptAcrossReload(keptAfterReading(this.#kept, readings, 0), readings)
    })
  }

  /** The counters now. */
  read (): Promise<CountersSnapshot> {
    return this.#oneAtATime(() => this.#read())
  }

  async #read (): Promise<CountersSnapshot> {
    const state = this.#forgetReaddressed(this.#state())
    if (state.properties.mode === 'udp_roundrobin') {
      const flows = await this.#flows(state)
      this.#kept = keptAfterReading(this.#kept, udpReadings(flows), 0)
      return udpSnapshot(state, flows, this.#sources.checkFailures(), this.#kept)
    }
    const [{ workerPid, rows }, backlog] = await Promise.all([this.#sources.readStats(), this.#backlog(state)])
    const readings = tcpReadings(state, rows)
    // another worker answers (a reload, or HAProxy restarted): what the last one counted is kept
    if (this.#last !== null && workerPid !== this.#lastWorker) this.#kept = keptAcrossReload(this.#kept, this.#last)
    const waiting = backendQueue(rows) + backlog
    this.#kept = keptAfterReading(this.#kept, readings, waiting)
    this.#last = readings
    this.#lastWorker = workerPid
    return tcpSnapshot(state, readings, waiting, this.#kept)
  }

  /** Called just before HAProxy reloads: the old worker's latest figures, kept once the new one answers. */
  async beforeReload (): Promise<void> {
    await this.read()
  }

  /**
   * Between reads, every few seconds: maxima HAProxy keeps none of (listen backlog, UDP
   * flows), and a recent reading to keep should HAProxy die (a crash has no "before").
   */
  async sample (): Promise<void> {
    await this.read()
  }

  #oneAtATime<T> (job: () => Promise<T>): Promise<T> {
    const run = this.#turn.then(job)
    this.#turn = run.catch(() => undefined)
    return run
  }

  async #backlog (state: DesiredState): Promise<number> {
    return listenBacklog(await this.#sources.listeningSockets(), state.properties.ports)
  }

  async #flows (state: DesiredState): Promise<Map<OutputName, number>> {
    const counted = await Promise.all(state.properties.outputs.map(async (output) => [output.name, await this.#sources.countFlowsTo(output.address)] as const))
    return new Map(counted)
  }

  // an output given another address is another server: its kept figures start again
  #forgetReaddressed (state: DesiredState): DesiredState {
    const changed = state.properties.outputs
      .filter((output) => this.#addresses.has(output.name) && this.#addresses.get(output.name) !== output.address)
      .map((output) => output.name)
    if (changed.length > 0) {
      this.#kept = keptWithout(this.#kept, changed)
      this.#last = null
    }
    this.#addresses = new Map(state.properties.outputs.map((output) => [output.name, output.address]))
    return state
  }
}

function udpReadings (flows: ReadonlyMap<OutputName, number>): Readings {
  return new Map([...flows].map(([name, sessions]) => [name, { sessions, sessionsMax: sessions, queue: 0, queueMax: 0, sessionsTotal: 0, errors: 0 }]))
}
