/**
 * Reads the counters of every service from where they live: HAProxy's `show stat` (one round
 * trip a read, however many services) and the listen backlog for the TCP services; conntrack
 * (one listing per address family) and the agent's checks for the UDP ones. Keeps what
 * HAProxy forgets on reload (kept.ts), per server key.
 */
import { forEachInSlices, Slices } from '../process/slices.js'
import type { Row } from '../haproxy/parse.js'
import type { UdpFlow } from '../netfilter/conntrack.js'
import type { OutputName, Service } from '../properties/model.js'
import { isUdpMode } from '../properties/service-file.js'
import type { DesiredState } from '../state/desired.js'
import { serverTargets } from '../state/server-targets.js'
import { emptyKept, keptAcrossReload, keptAfterReading, keptWithout, type KeptCounters, type OutputReading } from './kept.js'
import { listenBacklog, type ListenBacklog } from './listen-backlog.js'
import type { CountersSnapshot, ServiceCounters } from './model.js'
import { backendQueue, serviceReadings, tcpReadings, tcpServiceCounters, tcpSnapshot, udpServiceCounters, udpSnapshot, type TcpReading } from './snapshot.js'
import { flowsPerServer, udpFamilies, udpTargets, type UdpTarget } from './udp-flows.js'

/** Where the figures come from; the agent passes the real adapters. */
export interface CounterSources {
  /** `show stat` and the pid of the worker that answered it. */
  readStats (): Promise<{ readonly workerPid: number | null, readonly rows: Row[] }>
  /** The listening sockets' accept queues by local port, and by listener where read from the kernel (listen-backlog.ts). */
  listenBacklog (): Promise<ListenBacklog>
  /** Every UDP flow of one address family, one conntrack listing for every server of every service. */
  listFlows (family: 4 | 6): Promise<readonly UdpFlow[]>
  /** Failed checks of the agent's own (UDP) checks, by server key: `out2`, `sip/a`. */
  checkFailures (): ReadonlyMap<string, number>
}

type Readings = ReadonlyMap<string, OutputReading>

export class CountersCollector {
  readonly #sources: CounterSources
  readonly #state: () => DesiredState
  #kept: KeptCounters = emptyKept()
  // the latest reading of the current worker (every TCP server, by key) and its pid, to keep its totals once another worker answers
  #last: Readings | null = null
  #lastWorker: number | null = null
  // reads, samples and the reload hook run one at a time, so #last is always the latest
  #turn: Promise<unknown> = Promise.resolve()
  // each server key's address (and port), to see one become another server
  #identities: ReadonlyMap<string, string> = new Map<string, string>()

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
      if (!servesTcp(state)) return this.#kept
      const { workerPid, rows } = await this.#sources.readStats()
      const readings = await allTcpReadings(state, rows)
      const kept = this.#last !== null && workerPid !== this.#lastWorker ? keptAcrossReload(this.#kept, this.#last) : this.#kept
      return keptAcrossReload(keptAfterReading(kept, readings, 0), readings)
    })
  }

  /** The counters now: the seed's service's, with every service file's in `services`. */
  read (): Promise<CountersSnapshot> {
    return this.#oneAtATime(() => this.#read())
  }

  async #read (): Promise<CountersSnapshot> {
    const state = this.#state()
    this.#forgetOtherServers(state)
    const tcp = servesTcp(state)
    const targets = udpTargets(state)
    const [stats, backlog, flows] = await Promise.all([
      tcp ? this.#sources.readStats() : null,
      tcp ? this.#sources.listenBacklog() : NO_LISTENERS,
      this.#flows(targets)
    ])
    // at 256 services the steps below took 1.5-2.5 ms each: run in slices of the event loop's time, a ctl call waiting runs between them
    const slices = new Slices()
    const rows = stats?.rows ?? []
    const defaultTcp = state.properties.mode !== 'udp_roundrobin'
    const readings = await allTcpReadings(state, rows, slices)
    const serviceWaiting = new Map<string, number>()
    await forEachInSlices(state.services.filter((service) => !isUdpMode(service.mode)), (service) => {
      serviceWaiting.set(service.name, backendQueue(rows, service.name) + listenBacklog(backlog, service.ports, service.inAddrs))
    }, slices)
    if (stats !== null) {
      // another worker answers (a reload, or HAProxy restarted): what the last one counted is kept
      if (this.#last !== null && stats.workerPid !== this.#lastWorker) this.#kept = keptAcrossReload(this.#kept, this.#last)
      this.#last = readings
      this.#lastWorker = stats.workerPid
    }
    const waiting = defaultTcp ? backendQueue(rows) + listenBacklog(backlog, state.properties.ports, state.properties.inAddrs) : 0
    // the kept maxima a part of the readings at a time (each server's are its own), then the queues'
    let kept = this.#kept
    const all = [...readings, ...udpReadings(flows)]
    for (let at = 0; at < all.length; at += KEPT_PART) {
      if (slices.due) await slices.next()
      kept = keptAfterReading(kept, new Map(all.slice(at, at + KEPT_PART)), 0)
    }
    kept = keptAfterReading(kept, NO_READINGS, waiting, serviceWaiting)
    this.#kept = kept
    if (slices.due) await slices.next()
    const failures = this.#sources.checkFailures()
    const services: ServiceCounters[] = []
    await forEachInSlices(state.services, (service) => {
      services.push(isUdpMode(service.mode)
        ? udpServiceCounters(state, service, flows, failures, kept)
        : tcpServiceCounters(state, service, readings, serviceWaiting.get(service.name) ?? 0, kept))
    }, slices)
    const seed = defaultTcp
      ? tcpSnapshot(state, readings as ReadonlyMap<OutputName, TcpReading>, waiting, kept)
      : udpSnapshot(state, flows as ReadonlyMap<OutputName, number>, failures as ReadonlyMap<OutputName, number>, kept)
    return { ...seed, services }
  }

  /** Called just before HAProxy reloads: the old worker's latest figures, kept once the new one answers. */
  async beforeReload (): Promise<void> {
    await this.read()
  }

  /**
   * Between reads, every few seconds: maxima HAProxy keeps none of (listen backlog, UDP
   * flows), and a recent reading to keep should HAProxy die (a crash has no "before").
   * Returns the reading (the console's rates are taken from it).
   */
  async sample (): Promise<CountersSnapshot> {
    return await this.read()
  }

  #oneAtATime<T> (job: () => Promise<T>): Promise<T> {
    const run = this.#turn.then(job)
    this.#turn = run.catch(() => undefined)
    return run
  }

  async #flows (targets: readonly UdpTarget[]): Promise<Map<string, number>> {
    if (targets.length === 0) return new Map()
    const flows = await Promise.all(udpFamilies(targets).map((family) => this.#sources.listFlows(family)))
    return flowsPerServer(targets, flows.flat())
  }

  // a server given another address (or port) is another server: its kept figures start again; one removed is forgotten
  #forgetOtherServers (state: DesiredState): void {
    const identities = serverTargets(state)
    // the very same servers as at the last read (serverTargets hands on its map): nothing to forget
    if (identities === this.#identities) return
    const changed = [...identities].filter(([key, identity]) => this.#identities.has(key) && this.#identities.get(key) !== identity).map(([key]) => key)
    const removed = Object.keys(this.#kept.servers).filter((key) => !identities.has(key))
    const services = new Set(state.services.map((service) => service.name))
    const removedServices = Object.keys(this.#kept.serviceQueueMax).filter((name) => !services.has(name))
    if (changed.length > 0 || removed.length > 0 || removedServices.length > 0) {
      this.#kept = keptWithout(this.#kept, [...changed, ...removed], removedServices)
      if (this.#last !== null) this.#last = new Map([...this.#last].filter(([key]) => !changed.includes(key)))
    }
    this.#identities = identities
  }
}

const NO_LISTENERS: ListenBacklog = new Map()
const NO_READINGS: ReadonlyMap<string, OutputReading> = new Map()

// readings whose kept maxima are found in one slice: a server's copy of the kept records is made at most once a part
const KEPT_PART = 128

// whether HAProxy runs: the env file's service in a TCP mode, or a TCP service file
function servesTcp (state: DesiredState): boolean {
  return state.properties.mode !== 'udp_roundrobin' || state.services.some((service) => !isUdpMode(service.mode))
}

// every TCP server's reading by key: default's outputs (outN) and each TCP service file's servers, service by service within `slices`
async function allTcpReadings (state: DesiredState, rows: readonly Row[], slices?: Slices): Promise<Map<string, TcpReading>> {
  const readings = new Map<string, TcpReading>(state.properties.mode === 'udp_roundrobin' ? [] : tcpReadings(state, rows))
  await forEachInSlices(state.services.filter((service: Service) => !isUdpMode(service.mode)), (service) => {
    for (const [key, reading] of serviceReadings(service, rows)) readings.set(key, reading)
  }, slices)
  return readings
}

function udpReadings (flows: ReadonlyMap<string, number>): Readings {
  return new Map([...flows].map(([name, sessions]) => [name, { sessions, sessionsMax: sessions, queue: 0, queueMax: 0, sessionsTotal: 0, errors: 0 }]))
}
