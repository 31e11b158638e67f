/**
 * At most `size` jobs at once, the others waiting in the order they came: a bound on how many
 * processes the agent has running, so a check round of 1,000 servers does not start 1,000
 * `ping`s at once (the benchmark's checks group: the agent ran out of its heap bound).
 */
export class Slots {
  readonly #size: number
  #busy = 0
  readonly #waiting: Array<() => void> = []

  constructor (size: number) {
    this.#size = Math.max(1, size)
  }

  /** Jobs running now. */
  get busy (): number {
    return this.#busy
  }

  /** Runs `job` once a slot is free; resolves or rejects as it does. */
  async run<T> (job: () => Promise<T>): Promise<T> {
    if (this.#busy >= this.#size) await new Promise<void>((resolve) => this.#waiting.push(resolve))
    else this.#busy++
    try {
      return await job()
    } finally {
      const next = this.#waiting.shift()
      // the slot passes straight to the next job, or is free
      if (next !== undefined) next()
      else this.#busy--
    }
  }
}
