/** Pure: readings and kept figures to the seed's counters (SPEC §6). */
import { outputHealth } from '../haproxy/server-status.js'
import type { Row } from '../haproxy/parse.js'
import { OUTPUT_NAMES, type OutputName } from '../properties/model.js'
import type { DesiredState } from '../state/desired.js'
import type { KeptCounters, OutputReading } from './kept.js'
import { notConnectedCounters, type CountersSnapshot, type OutputCounters, type OutputStatus } from './model.js'

/** The backend of the outputs in haproxy.cfg (render/haproxy-config). */
const OUTPUTS_BACKEND = 'outputs'

/** Each connected output's reading from `show stat` rows (server rows of backend `outputs`). */
export function tcpReadings (state: DesiredState, rows: readonly Row[]): Map<OutputName, OutputReading & { readonly up: boolean }> {
  const readings = new Map<OutputName, OutputReading & { readonly up: boolean }>()
  for (const output of state.properties.outputs) {
    const row = rows.find((candidate) => candidate.pxname === OUTPUTS_BACKEND && candidate.svname === output.name)
    if (row === undefined) continue
    const sessions = count(row.scur)
    readings.set(output.name, {
      sessions,
      sessionsMax: count(row.smax),
      queue: count(row.qcur),
      queueMax: count(row.qmax),
      // stot counts every session the worker gave this server; the open ones are not completed yet
      sessionsTotal: Math.max(0, count(row.stot) - sessions),
      errors: count(row.chkfail),
      up: outputHealth(row.status ?? '') === 'up'
    })
  }
  return readings
}

/** Connections waiting in HAProxy's backend queue (not yet given to an output), from the BACKEND row. */
export function backendQueue (rows: readonly Row[]): number {
  const row = rows.find((candidate) => candidate.pxname === OUTPUTS_BACKEND && candidate.svname === 'BACKEND')
  return row === undefined ? 0 : count(row.qcur)
}

/** The TCP modes' snapshot: per-output figures plus what the agent kept; `waiting` = backend queue + listen backlog. */
export function tcpSnapshot (state: DesiredState, readings: ReadonlyMap<OutputName, OutputReading & { readonly up: boolean }>, waiting: number, kept: KeptCounters): CountersSnapshot {
  const outputs = perOutput(state, (name) => {
    const reading = readings.get(name)
    const k = kept.outputs[name]
    return {
      status: statusOf(state, name, reading?.up ?? false),
      queue: reading?.queue ?? 0,
      queueMax: Math.max(k.queueMax, reading?.queueMax ?? 0, reading?.queue ?? 0),
      sessions: reading?.sessions ?? 0,
      sessionsMax: Math.max(k.sessionsMax, reading?.sessionsMax ?? 0, reading?.sessions ?? 0),
      sessionsTotal: k.sessionsTotalBase + (reading?.sessionsTotal ?? 0),
      errors: k.errorsBase + (reading?.errors ?? 0)
    }
  })
  const list = OUTPUT_NAMES.map((name) => outputs[name])
  const queue = sum(list.map((output) => output.queue ?? 0)) + waiting
  return {
    mode: state.properties.mode,
    outputs,
    queue,
    queueMax: Math.max(kept.queueMax, queue, sum(list.map((output) => output.queueMax ?? 0))),
    sessionsActive: sum(list.map((output) => output.sessions)),
    sessionsMax: sum(list.map((output) => output.sessionsMax)),
    sessionsTotal: sum(list.map((output) => output.sessionsTotal ?? 0)),
    errors: sum(list.map((output) => output.errors))
  }
}

/** udp_roundrobin's snapshot: flows from conntrack, failed pings from the checker; no queue or totals. */
export function udpSnapshot (state: DesiredState, flows: ReadonlyMap<OutputName, number>, failures: ReadonlyMap<OutputName, number>, kept: KeptCounters): CountersSnapshot {
  const outputs = perOutput(state, (name) => {
    const sessions = flows.get(name) ?? 0
    return {
      status: statusOf(state, name, !state.down.has(name)),
      queue: null,
      queueMax: null,
      sessions,
      sessionsMax: Math.max(kept.outputs[name].sessionsMax, sessions),
      sessionsTotal: null,
      errors: failures.get(name) ?? 0
    }
  })
  const list = OUTPUT_NAMES.map((name) => outputs[name])
  return {
    mode: state.properties.mode,
    outputs,
    queue: null,
    queueMax: null,
    sessionsActive: sum(list.map((output) => output.sessions)),
    sessionsMax: sum(list.map((output) => output.sessionsMax)),
    sessionsTotal: null,
    errors: sum(list.map((output) => output.errors))
  }
}

function perOutput (state: DesiredState, connected: (name: OutputName) => OutputCounters): Record<OutputName, OutputCounters> {
  const names = new Set(state.properties.outputs.map((output) => output.name))
  return Object.fromEntries(OUTPUT_NAMES.map((name) => [name, names.has(name) ? connected(name) : notConnectedCounters(state.properties.mode)])) as Record<OutputName, OutputCounters>
}

function statusOf (state: DesiredState, name: OutputName, up: boolean): OutputStatus {
  if (state.disabled.has(name)) return 2
  // (SPEC §11) draining through ctl
  if (state.draining.has(name)) return 3
  return up ? 0 : 1
}

function count (value: string | undefined): number {
  const parsed = Number(value)
  return Number.isFinite(parsed) && parsed > 0 ? parsed : 0
}

function sum (values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0)
}
