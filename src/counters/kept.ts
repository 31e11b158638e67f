/**
 * Pure: the figures the agent keeps because HAProxy forgets them on reload (maxima since
 * the agent started, totals and failed checks of earlier workers), and how they follow
 * each new reading.
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
  /** The largest total queue seen (HAProxy's queues and the listen backlog). */
  readonly queueMax: number
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

/** Nothing kept yet (the agent has just started). */
export function emptyKept (): KeptCounters {
  return { outputs: Object.fromEntries(OUTPUT_NAMES.map((name) => [name, ZERO])) as Record<OutputName, KeptOutput>, queueMax: 0 }
}

/** The kept figures after a reading: maxima grow to what is read now. */
export function keptAfterReading (kept: KeptCounters, readings: ReadonlyMap<OutputName, OutputReading>, queue: number): KeptCounters {
  const outputs = { ...kept.outputs }
  for (const [name, reading] of readings) {
    const before = outputs[name]
    outputs[name] = {
      ...before,
      sessionsMax: Math.max(before.sessionsMax, reading.sessionsMax, reading.sessions),
      queueMax: Math.max(before.queueMax, reading.queueMax, reading.queue)
    }
  }
  return { outputs, queueMax: Math.max(kept.queueMax, queue) }
}

/**
 * The kept figures for a new worker, from the last reading of the old one: its completed
 * sessions (and those still open, which it finishes) and its failed checks become bases.
 */
export function keptAcrossReload (kept: KeptCounters, lastReadings: ReadonlyMap<OutputName, OutputReading>): KeptCounters {
  const outputs = { ...kept.outputs }
  for (const [name, reading] of lastReadings) {
    const before = outputs[name]
    outputs[name] = {
      ...before,
      sessionsTotalBase: before.sessionsTotalBase + reading.sessionsTotal + reading.sessions,
      errorsBase: before.errorsBase + reading.errors
    }
  }
  return { ...kept, outputs }
}

/** The kept figures of outputs whose address changed start again (they are another server now). */
export function keptWithout (kept: KeptCounters, outputs: readonly OutputName[]): KeptCounters {
  const next = { ...kept.outputs }
  for (const name of outputs) next[name] = ZERO
  return { ...kept, outputs: next }
}
