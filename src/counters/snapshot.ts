/** Pure: readings and kept figures to the seed's counters (SPEC §6) and every service's (SPEC §11). */
import { outputHealth } from '../haproxy/server-status.js'
import { findRow, type Row } from '../haproxy/parse.js'
import { OUTPUT_NAMES, type OutputName, type Service } from '../properties/model.js'
import type { DesiredState } from '../state/desired.js'
import { fileServerKey } from '../state/server-key.js'
import { keptOf, type KeptCounters, type KeptOutput, type OutputReading } from './kept.js'
import { notConnectedCounters, type CountersSnapshot, type OutputCounters, type OutputStatus, type ServiceCounters } from './model.js'

/** A server's reading and whether HAProxy finds it up. */
export type TcpReading = OutputReading & { readonly up: boolean }

/** The backend of the outputs in haproxy.cfg (render/haproxy-config). */
const OUTPUTS_BACKEND = 'outputs'

/** Each connected output's reading from `show stat` rows (server rows of backend `outputs`). */
export function tcpReadings (state: DesiredState, rows: readonly Row[]): Map<OutputName, TcpReading> {
  const readings = new Map<OutputName, TcpReading>()
  const backend = rowsOf(rows, OUTPUTS_BACKEND)
  for (const output of state.properties.outputs) {
    const row = backend.get(output.name)
    if (row !== undefined) readings.set(output.name, readingOf(row))
  }
  return readings
}

/** (SPEC §11) A TCP service file's servers' readings by server key (`web/web1`), from its backend (named after the service). */
export function serviceReadings (service: Service, rows: readonly Row[]): Map<string, TcpReading> {
  const readings = new Map<string, TcpReading>()
  const backend = rowsOf(rows, service.name)
  for (const server of service.servers) {
    const row = backend.get(server.name)
    if (row !== undefined) readings.set(fileServerKey(service.name, server.name), readingOf(row))
  }
  return readings
}

/** Connections waiting in HAProxy's backend queue (not yet given to a server), from the BACKEND row of `backend`. */
export function backendQueue (rows: readonly Row[], backend: string = OUTPUTS_BACKEND): number {
  const row = findRow(rows, backend, 'BACKEND')
  return row === undefined ? 0 : count(row.qcur)
}

/** (SPEC §11) A TCP service file's counters: its servers' figures plus what the agent kept; `waiting` = backend queue + listen backlog. */
export function tcpServiceCounters (state: DesiredState, service: Service, readings: ReadonlyMap<string, TcpReading>, waiting: number, kept: KeptCounters): ServiceCounters {
  const servers = service.servers.map((server) => {
    const key = fileServerKey(service.name, server.name)
    return { name: server.name, counters: tcpCounters(statusOf(state, key, readings.get(key)?.up ?? false), readings.get(key), keptOf(kept, key)) }
  })
  const list = servers.map((server) => server.counters)
  const queue = sum(list.map((server) => server.queue ?? 0)) + waiting
  return {
    name: service.name,
    mode: service.mode,
    servers,
    queue,
    queueMax: Math.max(kept.serviceQueueMax[service.name] ?? 0, queue, sum(list.map((server) => server.queueMax ?? 0))),
    ...sums(list),
    sessionsTotal: sum(list.map((server) => server.sessionsTotal ?? 0))
  }
}

/** (SPEC §11) A UDP service file's counters: flows by server key from conntrack, failed checks by server key; no queue or totals. */
export function udpServiceCounters (state: DesiredState, service: Service, flows: ReadonlyMap<string, number>, failures: ReadonlyMap<string, number>, kept: KeptCounters): ServiceCounters {
  const servers = service.servers.map((server) => {
    const key = fileServerKey(service.name, server.name)
    return { name: server.name, counters: udpCounters(statusOf(state, key, !state.down.has(key as OutputName)), flows.get(key) ?? 0, failures.get(key) ?? 0, keptOf(kept, key)) }
  })
  return { name: service.name, mode: service.mode, servers, queue: null, queueMax: null, ...sums(servers.map((server) => server.counters)), sessionsTotal: null }
}

/** The TCP modes' snapshot: per-output figures plus what the agent kept; `waiting` = backend queue + listen backlog. */
export function tcpSnapshot (state: DesiredState, readings: ReadonlyMap<OutputName, TcpReading>, waiting: number, kept: KeptCounters): CountersSnapshot {
  const outputs = perOutput(state, (name) => tcpCounters(statusOf(state, name, readings.get(name)?.up ?? false), readings.get(name), kept.outputs[name]))
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
  const outputs = perOutput(state, (name) => udpCounters(statusOf(state, name, !state.down.has(name)), flows.get(name) ?? 0, failures.get(name) ?? 0, kept.outputs[name]))
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

function tcpCounters (status: OutputStatus, reading: TcpReading | undefined, k: KeptOutput): OutputCounters {
  return {
    status,
    queue: reading?.queue ?? 0,
    queueMax: Math.max(k.queueMax, reading?.queueMax ?? 0, reading?.queue ?? 0),
    sessions: reading?.sessions ?? 0,
    sessionsMax: Math.max(k.sessionsMax, reading?.sessionsMax ?? 0, reading?.sessions ?? 0),
    sessionsTotal: k.sessionsTotalBase + (reading?.sessionsTotal ?? 0),
    errors: k.errorsBase + (reading?.errors ?? 0)
  }
}

function udpCounters (status: OutputStatus, sessions: number, errors: number, k: KeptOutput): OutputCounters {
  return { status, queue: null, queueMax: null, sessions, sessionsMax: Math.max(k.sessionsMax, sessions), sessionsTotal: null, errors }
}

function sums (list: readonly OutputCounters[]): { sessionsActive: number, sessionsMax: number, errors: number } {
  return { sessionsActive: sum(list.map((server) => server.sessions)), sessionsMax: sum(list.map((server) => server.sessionsMax)), errors: sum(list.map((server) => server.errors)) }
}

// one backend's rows by server name, found in the one index of all rows (findRow)
function rowsOf (rows: readonly Row[], backend: string): { get: (server: string) => Row | undefined } {
  return { get: (server) => findRow(rows, backend, server) }
}

function readingOf (row: Row): TcpReading {
  const sessions = count(row.scur)
  return {
    sessions,
    sessionsMax: count(row.smax),
    queue: count(row.qcur),
    queueMax: count(row.qmax),
    // stot counts every session the worker gave this server; the open ones are not completed yet
    sessionsTotal: Math.max(0, count(row.stot) - sessions),
    errors: count(row.chkfail),
    up: outputHealth(row.status ?? '') === 'up'
  }
}

// by server key: `out2`, or `web/web1`
function statusOf (state: DesiredState, name: string, up: boolean): OutputStatus {
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
