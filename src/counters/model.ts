/** The seed's counters (SPEC §6, group L3LB) and every service's (SPEC §11): what each one is, and the documents they travel in. */
import type { Mode, OutputName, ServiceMode } from '../properties/model.js'
import { DEFAULT_SERVICE, OUTPUT_NAMES } from '../properties/model.js'

export const COUNTER_GROUP = 'L3LB'

/** `outX_status`: 0 enabled and up, 1 enabled and down, 2 disabled through ctl, 3 draining through ctl (SPEC §11), 100 not connected. */
export type OutputStatus = 0 | 1 | 2 | 3 | 100

/** One output's counters; the ones SPEC §6 leaves out of udp_roundrobin are null there. */
export interface OutputCounters {
  readonly status: OutputStatus
  readonly queue: number | null
  readonly queueMax: number | null
  readonly sessions: number
  readonly sessionsMax: number
  readonly sessionsTotal: number | null
  readonly errors: number
}

/** A service's sums over its servers (SPEC §6's `queue`, `sessions_active`, ...; null where udp_roundrobin has none). */
export interface CounterSums {
  readonly queue: number | null
  readonly queueMax: number | null
  readonly sessionsActive: number
  readonly sessionsMax: number
  readonly sessionsTotal: number | null
  readonly errors: number
}

/** The counters of every output and their sums, as read at one moment. */
export interface CountersSnapshot extends CounterSums {
  readonly mode: Mode
  readonly outputs: Readonly<Record<OutputName, OutputCounters>>
  /**
   * (SPEC §11) Every service file's counters, read in the same round trip; absent where only
   * the seed's service is known (then /metrics has the seed's metrics alone).
   */
  readonly services?: readonly ServiceCounters[]
}

/** (SPEC §11) One server of a service and its counters (`<server>_status`, ...). */
export interface ServerCounters {
  readonly name: string
  readonly counters: OutputCounters
}

/** (SPEC §11) One service's counters: its servers' in its file's order, and their sums (null as in udp_roundrobin). */
export interface ServiceCounters extends CounterSums {
  readonly name: string
  readonly mode: ServiceMode
  readonly servers: readonly ServerCounters[]
}

/** What `/api/counters` answers and the mon push sends; `service` only when the request named one (SPEC §11). */
export interface CountersDocument {
  readonly group: typeof COUNTER_GROUP
  readonly service?: string
  readonly counters: Readonly<Record<string, number>>
}

/** A not-connected output: status 100 and zeros (its queue and totals null in udp_roundrobin). */
export function notConnectedCounters (mode: Mode): OutputCounters {
  const tcp = mode !== 'udp_roundrobin'
  return { status: 100, queue: tcp ? 0 : null, queueMax: tcp ? 0 : null, sessions: 0, sessionsMax: 0, sessionsTotal: tcp ? 0 : null, errors: 0 }
}

/** The seed's flat names (`out1_status`, …, `queue`, `sessions_active`, …), in SPEC §6 order; nulls left out. */
export function countersDocument (snapshot: CountersSnapshot): CountersDocument {
  return { group: COUNTER_GROUP, counters: flatCounters(OUTPUT_NAMES.map((name) => ({ name, counters: snapshot.outputs[name] })), snapshot) }
}

/** (SPEC §11) `/api/counters?service=NAME`: §6's names with the service's server names, and `service` beside `group`. */
export function serviceCountersDocument (service: ServiceCounters): CountersDocument {
  return { group: COUNTER_GROUP, service: service.name, counters: flatCounters(service.servers, service) }
}

/** (SPEC §11) `/api/counters?service=default`: the seed's document, named. */
export function defaultServiceDocument (snapshot: CountersSnapshot): CountersDocument {
  return { group: COUNTER_GROUP, service: DEFAULT_SERVICE, counters: countersDocument(snapshot).counters }
}

/** The seed's service as a service: its connected outputs (status 100 is an output that is not one) and its sums. */
export function defaultServiceCounters (snapshot: CountersSnapshot): ServiceCounters {
  const servers = OUTPUT_NAMES.filter((name) => snapshot.outputs[name].status !== 100).map((name) => ({ name, counters: snapshot.outputs[name] }))
  const { mode, queue, queueMax, sessionsActive, sessionsMax, sessionsTotal, errors } = snapshot
  return { name: DEFAULT_SERVICE, mode, servers, queue, queueMax, sessionsActive, sessionsMax, sessionsTotal, errors }
}

type Sums = Pick<CountersSnapshot, 'queue' | 'queueMax' | 'sessionsActive' | 'sessionsMax' | 'sessionsTotal' | 'errors'>

// each server's seven counters in order, then the sums; nulls left out
function flatCounters (servers: readonly ServerCounters[], snapshot: Sums): Record<string, number> {
  const counters: Record<string, number> = {}
  const put = (name: string, value: number | null): void => { if (value !== null) counters[name] = value }
  for (const { name, counters: output } of servers) {
    put(`${name}_status`, output.status)
    put(`${name}_queue`, output.queue)
    put(`${name}_queue_max`, output.queueMax)
    put(`${name}_sessions`, output.sessions)
    put(`${name}_sessions_max`, output.sessionsMax)
    put(`${name}_sessions_total`, output.sessionsTotal)
    put(`${name}_errors`, output.errors)
  }
  put('queue', snapshot.queue)
  put('queue_max', snapshot.queueMax)
  put('sessions_active', snapshot.sessionsActive)
  put('sessions_max', snapshot.sessionsMax)
  put('sessions_total', snapshot.sessionsTotal)
  put('errors', snapshot.errors)
  return counters
}
