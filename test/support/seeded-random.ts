/** A seeded random source for fuzz tests: the same seed gives the same cases, so a failure replays. */

export type Random = () => number

/** mulberry32: small, fast and good enough to pick test cases. */
export function seededRandom (seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A whole number from low to high, both included. */
export const int = (random: Random, low: number, high: number): number => low + Math.floor(random() * (high - low + 1))

/** One of the items. */
export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T

/** A copy of the items in a random order (Fisher-Yates). */
export function shuffled<T> (random: Random, items: readonly T[]): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swap = copy[i] as T
    copy[i] = copy[j] as T
    copy[j] = swap
  }
  return copy
}
