/**
 * Pure: the rate limit of e-mail notices. Per key (an output, or the node's role), the first
 * notice goes out at once; what comes within `holdMs` after a mail waits and goes out as one
 * mail when the hold ends. So a key costs at most one mail per hold, and nothing is lost.
 */
export class MailThrottle<T> {
  readonly #holdMs: number
  readonly #keys = new Map<string, { sentAt: number, held: T[] }>()

  constructor (holdMs: number) {
    this.#holdMs = holdMs
  }

  /** 'send' when the notice may go out now (and counts as sent); 'hold' when it waits for due(). */
  offer (key: string, item: T, now: number): 'send' | 'hold' {
    const record = this.#keys.get(key)
    if (record === undefined || (record.held.length === 0 && now - record.sentAt >= this.#holdMs)) {
      this.#keys.set(key, { sentAt: now, held: [] })
      return 'send'
    }
    record.held.push(item)
    return 'hold'
  }

  /** The batches whose hold has ended by `now`, each to go out as one mail (and counted as sent). */
  due (now: number): Array<{ key: string, items: T[] }> {
    const batches: Array<{ key: string, items: T[] }> = []
    for (const [key, record] of this.#keys) {
      if (record.held.length === 0 || now - record.sentAt < this.#holdMs) continue
      batches.push({ key, items: record.held })
      this.#keys.set(key, { sentAt: now, held: [] })
    }
    return batches
  }

  /** When the next batch is due; null when nothing waits. */
  nextDue (): number | null {
    const times = [...this.#keys.values()].filter((record) => record.held.length > 0).map((record) => record.sentAt + this.#holdMs)
    return times.length === 0 ? null : Math.min(...times)
  }

  /** Everything still held, emptied: for a last mail on the way out. */
  drain (): Array<{ key: string, items: T[] }> {
    const batches = [...this.#keys].filter(([, record]) => record.held.length > 0).map(([key, record]) => ({ key, items: record.held }))
    this.#keys.clear()
    return batches
  }
}
