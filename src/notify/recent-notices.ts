/**
 * The notices of the last hour, kept in memory for the console (`GET /api/notices`):
 * bounded in age and in count, so a flapping output cannot grow the agent's memory.
 */
import { noticeFields, type Notice } from './notice.js'

/** How long a notice is listed. */
export const RECENT_NOTICES_MS = 60 * 60 * 1000
/** The most notices kept: a flapping output past this loses its oldest lines, the log keeps them all. */
export const RECENT_NOTICES_MAX = 500

export class RecentNotices {
  readonly #now: () => number
  #notices: Notice[] = []

  constructor (now: () => number = Date.now) {
    this.#now = now
  }

  add (notice: Notice): void {
    this.#notices.push(notice)
    if (this.#notices.length > RECENT_NOTICES_MAX) this.#notices = this.#notices.slice(-RECENT_NOTICES_MAX)
  }

  /** The notices of the last hour, oldest first, each as mon gets it without the sender. */
  list (): Array<Record<string, unknown>> {
    const since = this.#now() - RECENT_NOTICES_MS
    this.#notices = this.#notices.filter((notice) => notice.at.getTime() >= since)
    return this.#notices.map(noticeFields)
  }
}
