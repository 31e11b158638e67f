/** The seed's counters (SPEC §6, group L3LB): what each one is, and the document they travel in. */
import type { Mode, OutputName } from '../properties/model.js'
import { OUTPUT_NAMES } from '../properties/model.js'

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

/** The counters of every output and their sums, as read at one moment. */
export interface CountersSnapshot {
  readonly mode: Mode
  readonly outputs: Readonly<Record<OutputName, OutputCounters>>
  readonly queue: number | null
  readonly queueMax: number | null
  readonly sessionsActive: number
  readonly sessionsMax: number
  readonly sessionsTotal: number | null
  readonly errors: number
}

/** What `/api/counters` answers and the mon push sends. */
export interface CountersDocument {
  readonly group: typeof COUNTER_GROUP
  readonly counters: Readonly<Record<string, number>>
}

/** A not-connected output: status 100 and zeros (its queue and totals null in udp_roundrobin). */
export function notConnectedCounters (mode: Mode): OutputCounters {
  const tcp = mode !== 'udp_roundrobin'
  return { status: 100, queue: tcp ? 0 : null, queueMax: tcp ? 0 : null, sessions: 0, sessionsMax: 0, sessionsTotal: tcp ? 0 : null, errors: 0 }
}

/** The seed's flat names (`out1_status`, …, `queue`, `sessions_active`, …), in SPEC §6 order; nulls left out. */
export function countersDocument (snapshot: CountersSnapshot): CountersDocument {
  const counters: Record<string, number> = {}
  const put = (name: string, value: number | null): void => { if (value !== null) counters[name] = value }
  for (const name of OUTPUT_NAMES) {
    const output = snapshot.outputs[name]
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
  return { group: COUNTER_GROUP, counters }
}
