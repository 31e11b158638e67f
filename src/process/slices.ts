/**
 * Background work in slices of the event loop's time. At 256 services the agent's periodic
 * reads (`show stat` of 1,000 servers parsed, the notices' reports, the counters) each held the
 * event loop for 1.5-2.5 ms at a time, and a ctl call that came meanwhile waited for the whole
 * step (the ctl latency aim, SPEC §13). Work that checks `due` between small parts and awaits
 * `next()` when it is holds the loop for about one slice at a time.
 */
import { setImmediate } from 'node:timers/promises'

/** How long background work runs before it lets the event loop answer what came meanwhile. */
export const SLICE_MS = 0.5

/** Lines or items handled between two looks at the clock. */
const PART = 32

export class Slices {
  readonly #ms: number
  #since = performance.now()

  constructor (ms = SLICE_MS) {
    this.#ms = ms
  }

  /** Whether this slice is used up: the caller awaits next() before going on. */
  get due (): boolean {
    return performance.now() - this.#since >= this.#ms
  }

  /** Lets the event loop run what is waiting (I/O included), then starts a new slice. */
  async next (): Promise<void> {
    await setImmediate()
    this.#since = performance.now()
  }
}

/** Something read a part at a time: what is read so far, and `next(count)` reading up to `count` more, true while some is left. */
export interface PartReader<T> {
  readonly rows: T[]
  next (count: number): boolean
}

/** All of `reader`'s rows, read a part at a time within `slices`. */
export async function readInSlices<T> (reader: PartReader<T>, slices: Slices = new Slices()): Promise<T[]> {
  while (reader.next(PART)) {
    if (slices.due) await slices.next()
  }
  return reader.rows
}

/** `each` on every item in order, within `slices`. */
export async function forEachInSlices<T> (items: Iterable<T>, each: (item: T) => void, slices: Slices = new Slices()): Promise<void> {
  let part = 0
  for (const item of items) {
    each(item)
    if (++part % PART === 0 && slices.due) await slices.next()
  }
}
