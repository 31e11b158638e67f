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
  showStat (): Promise<Row[]>
  /** The text of /proc/net/tcp and /proc/net/tcp6. */
  procNetTcp (): Promise<string>
  countFlowsTo (address: string): Promise<number>
  checkFailures (): ReadonlyMap<OutputName, number>
}

type Readings = ReadonlyMap<OutputName, OutputReading>

export class CountersCollector {
  readonly #sources: CounterSources
  readonly #state: () => DesiredState
  #kept: KeptCounters = emptyKept()
  // the previous reading of the current worker, to keep its totals when it is replaced
  #last: Readings | null = null
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
  async keptForRestart (): Promise<KeptCounters> {
    const state = this.#state()
    if (state.properties.mode === 'udp_roundrobin') return this.#kept
    const readings = tcpReadings(state, await this.#sources.showStat())
    return keptAcrossReload(keptAfterReading(this.#kept, readings, 0), readings)
  }

  /** The counters now. */
  async read (): Promise<CountersSnapshot> {
    const state = this.#forgetReaddressed(this.#state())
    if (state.properties.mode === 'udp_roundrobin') {
      const flows = await this.#flows(state)
      this.#kept = keptAfterReading(this.#kept, udpReadings(flows), 0)
      return udpSnapshot(state, flows, this.#sources.checkFailures(), this.#kept)
    }
    const [rows, backlog] = await Promise.all([this.#sources.showStat(), this.#backlog(state)])
    const readings = tcpReadings(state, rows)
    // a worker that counts less than the last reading is a new one (HAProxy restarted)
    if (this.#last !== null && restarted(this.#last, readings)) this.#kept = keptAcrossReload(this.#kept, this.#last)
    const waiting = backendQueue(rows) + backlog
    this.#kept = keptAfterReading(this.#kept, readings, waiting)
    this.#last = readings
    return tcpSnapshot(state, readings, waiting, this.#kept)
  }

  /** Called just before HAProxy reloads: the old worker's totals and maxima are kept. */
  async beforeReload (): Promise<void> {
    const state = this.#state()
    if (state.properties.mode === 'udp_roundrobin') return
    const readings = tcpReadings(state, await this.#sources.showStat())
    this.#kept = keptAcrossReload(keptAfterReading(this.#kept, readings, 0), readings)
    this.#last = null
  }

  /**
   * Between reads, every few seconds: maxima HAProxy keeps none of (listen backlog, UDP
   * flows), and a recent reading to keep should HAProxy die (a crash has no "before").
   */
  async sample (): Promise<void> {
    await this.read()
  }

  async #backlog (state: DesiredState): Promise<number> {
    return listenBacklog(await this.#sources.procNetTcp(), state.properties.ports)
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

function restarted (last: Readings, now: Readings): boolean {
  return [...now].some(([name, reading]) => {
    const before = last.get(name)
    return before !== undefined && reading.sessionsTotal + reading.sessions < before.sessionsTotal + before.sessions
  })
}
