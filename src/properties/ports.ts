import type { PortRange } from './model.js'

/** The merged, sorted ranges of a `ports` value and its first port as written, or every reason it is not accepted. */
export type PortsResult =
  | { readonly ok: true, readonly ranges: readonly PortRange[], readonly first: number }
  | { readonly ok: false, readonly reasons: readonly string[] }

const SEPARATORS = /[\s,]+/
const SINGLE = /^(\d+)$/
const RANGE = /^(\d+)[-:](\d+)$/
const MAX_PORT = 65535

/**
 * Parses ports and ranges separated by spaces or commas, a range being `low-high` or
 * `low:high` (`80,81,90-99 110:120 140 141`). Overlapping, adjacent and repeated ports
 * are merged; the ranges come back sorted.
 */
export function parsePorts (text: string): PortsResult {
  const tokens = text.split(SEPARATORS).filter((token) => token !== '')
  if (tokens.length === 0) {
    return { ok: false, reasons: [`${JSON.stringify(text)} is not accepted: give at least one port (1 to 65535) or range, separated by spaces or commas`] }
  }
  const ranges: PortRange[] = []
  const reasons: string[] = []
  for (const token of tokens) {
    const range = parseToken(token)
    if (typeof range === 'string') reasons.push(`${JSON.stringify(token)} is not accepted: ${range}`)
    else ranges.push(range)
  }
  if (reasons.length > 0) return { ok: false, reasons }
  // the first port as written, before sorting: the seed health-checks "the first port of ports"
  return { ok: true, ranges: mergeRanges(ranges), first: ranges[0]?.low ?? 0 }
}

/** The lowest port that both lists of ranges contain, or null when they share none. */
export function firstSharedPort (a: readonly PortRange[], b: readonly PortRange[]): number | null {
  let shared: number | null = null
  for (const left of a) {
    for (const right of b) {
      const low = Math.max(left.low, right.low)
      if (low <= Math.min(left.high, right.high) && (shared === null || low < shared)) shared = low
    }
  }
  return shared
}

// A range, or what is accepted when the token is not one.
function parseToken (token: string): PortRange | string {
  const single = SINGLE.exec(token)
  const range = RANGE.exec(token)
  const low = Number(single?.[1] ?? range?.[1])
  const high = Number(single?.[1] ?? range?.[2])
  if (single === null && range === null) {
    return 'a port is a number from 1 to 65535, a range is low-high or low:high, separated by spaces or commas'
  }
  if ([low, high].some((port) => port < 1 || port > MAX_PORT)) return 'a port must be from 1 to 65535'
  if (low > high) return 'a range must be low-high with low <= high'
  return { low, high }
}

// Sorts the ranges and joins those that overlap or touch, so each port appears once.
function mergeRanges (ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.low - b.low || a.high - b.high)
  const merged: PortRange[] = []
  for (const range of sorted) {
    const last = merged.at(-1)
    if (last !== undefined && range.low <= last.high + 1) {
      merged[merged.length - 1] = { low: last.low, high: Math.max(last.high, range.high) }
    } else {
      merged.push(range)
    }
  }
  return merged
}
