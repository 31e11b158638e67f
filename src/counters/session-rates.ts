/**
 * (console) Each service's sessions per second over the last ten minutes, from the totals of
 * the counters the agent reads every 2 s anyway: one point per service every 10 s, 60 at
 * most, so a page opened now draws the ten minutes before it. Pure: the reads come in.
 */
import { defaultServiceCounters, type CountersSnapshot } from './model.js'

/** How far back the points go. */
export const RATE_WINDOW_SECONDS = 600
/** The least time between two points of a service: 60 points in the window. */
export const RATE_STEP_SECONDS = 10

/** One point: when (Unix seconds) and completed sessions per second since the point before. */
export type RatePoint = readonly [at: number, perSecond: number]

export class SessionRates {
  readonly #last = new Map<string, { readonly total: number, readonly at: number }>()
  readonly #points = new Map<string, RatePoint[]>()

  /** Takes one read of the counters made at `atMs`; services gone from it are forgotten. */
  record (atMs: number, snapshot: CountersSnapshot): void {
    const at = atMs / 1000
    const seen = new Set<string>()
    for (const service of [defaultServiceCounters(snapshot), ...(snapshot.services ?? [])]) {
      // a UDP service counts live flows, not completed sessions: it has no total
      if (service.sessionsTotal === null) continue
      seen.add(service.name)
      const last = this.#last.get(service.name)
      if (last !== undefined && at - last.at < RATE_STEP_SECONDS) continue
      this.#last.set(service.name, { total: service.sessionsTotal, at })
      // a total that went down (a service replaced) has no rate across it
      if (last === undefined || service.sessionsTotal < last.total) continue
      const points = this.#points.get(service.name) ?? []
      points.push([Math.round(at), round((service.sessionsTotal - last.total) / (at - last.at))])
      while (points.length > 0 && (points[0]?.[0] ?? 0) < at - RATE_WINDOW_SECONDS) points.shift()
      this.#points.set(service.name, points)
    }
    for (const name of [...this.#last.keys()]) {
      if (seen.has(name)) continue
      this.#last.delete(name)
      this.#points.delete(name)
    }
  }

  /** Every TCP service's points, oldest first (an empty list until its second read). */
  rates (): Record<string, readonly RatePoint[]> {
    return Object.fromEntries([...this.#last.keys()].map((name) => [name, [...(this.#points.get(name) ?? [])]]))
  }
}

function round (value: number): number {
  return Math.round(value * 1000) / 1000
}
