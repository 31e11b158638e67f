/**
 * Pure: the figures the agent keeps because HAProxy forgets them on reload (maxima since
 * the agent started, totals and failed checks of earlier workers), and how they follow
 * each new reading. Kept per server key (server-key.ts): `outN` for the env file's outputs,
 * `service/server` for a service file's (SPEC §11).
 */
import { OUTPUT_NAMES, type OutputName } from '../properties/model.js'

export interface KeptOutput {
  readonly sessionsMax: number
  readonly queueMax: number
  /** Sessions completed in workers that a reload replaced. */
  readonly sessionsTotalBase: number
  /** Failed checks counted by workers that a reload replaced. */
  readonly errorsBase: number
}

export interface KeptCounters {
  readonly outputs: Readonly<Record<OutputName, KeptOutput>>
  /** The largest total queue seen of the env file's service (HAProxy's queues and the listen backlog). */
  readonly queueMax: number
  /** (SPEC §11) A service file's servers, by server key (`web/web1`); one not listed has kept nothing. */
  readonly servers: Readonly<Record<string, KeptOutput>>
  /** (SPEC §11) The largest total queue seen of each service file's service, by name. */
  readonly serviceQueueMax: Readonly<Record<string, number>>
}

/** What one output reads now, before the kept figures are added. */
export interface OutputReading {
  readonly sessions: number
  readonly sessionsMax: number
  readonly queue: number
  readonly queueMax: number
  /** Sessions completed in the current worker. */
  readonly sessionsTotal: number
  readonly errors: number
}

const ZERO: KeptOutput = Object.freeze({ sessionsMax: 0, queueMax: 0, sessionsTotalBase: 0, errorsBase: 0 })
const OUTPUTS: ReadonlySet<string> = new Set(OUTPUT_NAMES)

/** Nothing kept yet (the agent has just started). */
export function emptyKept (): KeptCounters {
  return { outputs: Object.fromEntries(OUTPUT_NAMES.map((name) => [name, ZERO])) as Record<OutputName, KeptOutput>, queueMax: 0, servers: {}, serviceQueueMax: {} }
}

/** What is kept of one server, by its key (`out2`, `web/web1`). */
export function keptOf (kept: KeptCounters, key: string): KeptOutput {
  return OUTPUTS.has(key) ? kept.outputs[key as OutputName] : kept.servers[key] ?? ZERO
}

/**
 * The kept figures after a reading (readings by server key): maxima grow to what is read now;
 * `queue` is the env file's service's, `serviceQueues` each service file's.
 */
export function keptAfterReading (kept: KeptCounters, readings: ReadonlyMap<string, OutputReading>, queue: number, serviceQueues: ReadonlyMap<string, number> = new Map()): KeptCounters {
  const next = keptWith(kept, readings, (before, reading) => {
    const sessionsMax = Math.max(before.sessionsMax, reading.sessionsMax, reading.sessions)
    const queueMax = Math.max(before.queueMax, reading.queueMax, reading.queue)
    // most readings raise no maximum: the server's kept figures stay the very same value
    return sessionsMax === before.sessionsMax && queueMax === before.queueMax ? before : { ...before, sessionsMax, queueMax }
  })
  let serviceQueueMax: Record<string, number> | null = null
  for (const [service, waiting] of serviceQueues) {
    if (waiting > (kept.serviceQueueMax[service] ?? 0)) (serviceQueueMax ??= { ...kept.serviceQueueMax })[service] = waiting
  }
  return { ...next, queueMax: Math.max(kept.queueMax, queue), serviceQueueMax: serviceQueueMax ?? kept.serviceQueueMax }
}

/**
 * The kept figures for a new worker, from the last reading of the old one: its completed
 * sessions (and those still open, which it finishes) and its failed checks become bases.
 */
export function keptAcrossReload (kept: KeptCounters, lastReadings: ReadonlyMap<string, OutputReading>): KeptCounters {
  return keptWith(kept, lastReadings, (before, reading) => ({
    ...before,
    sessionsTotalBase: before.sessionsTotalBase + reading.sessionsTotal + reading.sessions,
    errorsBase: before.errorsBase + reading.errors
  }))
}

/**
 * The kept figures of servers whose address changed start again (they are another server
 * now); a service file's server, or service, no longer configured is forgotten.
 */
export function keptWithout (kept: KeptCounters, outputs: readonly string[], services: readonly string[] = []): KeptCounters {
  const next = { ...kept.outputs }
  const servers = { ...kept.servers }
  for (const name of outputs) {
    if (OUTPUTS.has(name)) next[name as OutputName] = ZERO
    else delete servers[name]
  }
  const serviceQueueMax = { ...kept.serviceQueueMax }
  for (const service of services) delete serviceQueueMax[service]
  return { ...kept, outputs: next, servers, serviceQueueMax }
}

// each reading's change; the records are copied only when a server's figures changed (1,000 servers read every 2 s)
function keptWith (kept: KeptCounters, readings: ReadonlyMap<string, OutputReading>, change: (before: KeptOutput, reading: OutputReading) => KeptOutput): KeptCounters {
  let outputs: Record<OutputName, KeptOutput> | null = null
  let servers: Record<string, KeptOutput> | null = null
  for (const [key, reading] of readings) {
    const before = keptOf(kept, key)
    const after = change(before, reading)
    // unchanged and already listed: nothing to copy (a server read the first time is listed, as it always was)
    if (after === before && (OUTPUTS.has(key) || Object.hasOwn(kept.servers, key))) continue
    if (OUTPUTS.has(key)) (outputs ??= { ...kept.outputs })[key as OutputName] = after
    else (servers ??= { ...kept.servers })[key] = after
  }
  return outputs === null && servers === null ? kept : { ...kept, outputs: outputs ?? kept.outputs, servers: servers ?? kept.servers }
}
