/**
 * The notices' posts to mon: each at once while mon keeps up, at most MON_POSTS_AT_ONCE in
 * flight, the others waiting with an outage's or a role's ahead of the servers' and outputs'.
 * A storm (a back end of 1,000 servers dying) with mon slow or unreachable would otherwise open
 * a connection a notice, each held up to its 5 s timeout, inside the agent's heap bound.
 * Invariants: post() never throws and never waits; a notice waits at most MON_WAIT_MS (what
 * mon gets is news, and every notice is in the log already), and at most MAX_WAITING_MON wait;
 * those left out, and failures after the first of a run, are counted and logged once the line
 * is empty, not a line each.
 */
import { reasonOf, shown, type PostJson } from '../counters/push.js'
import { isUrgent, urgentAhead, type Notice } from './notice.js'

const MON_TIMEOUT_MS = 5000
export const MON_POSTS_AT_ONCE = 4
export const MON_WAIT_MS = 60_000
export const MAX_WAITING_MON = 2000

/** A notice waiting for mon: its document, and when it came (ms). */
export interface WaitingPost {
  readonly notice: Notice
  readonly url: string
  readonly body: string
  readonly since: number
}

export interface MonNoticesDeps {
  readonly postJson: PostJson
  readonly warn: (line: string) => void
  readonly now?: () => number
}

export class MonNotices {
  readonly #deps: MonNoticesDeps
  readonly #now: () => number
  #waiting: WaitingPost[] = []
  #inFlight = 0
  // since the line was last empty: notices not posted (waited too long, or too many), and failures not logged
  #leftOut = 0
  #failures = 0
  #lastReason = ''

  constructor (deps: MonNoticesDeps) {
    this.#deps = deps
    this.#now = deps.now ?? Date.now
  }

  /** Posts `body` (the document of `notice`) to `url` once a place is free. */
  post (notice: Notice, url: string, body: string): void {
    const { waiting, leftOut } = waitingPosts(this.#waiting, { notice, url, body, since: this.#now() })
    this.#waiting = waiting
    this.#leftOut += leftOut
    this.#next()
  }

  // starts posts while places are free; a notice that waited too long is left out
  #next (): void {
    while (this.#inFlight < MON_POSTS_AT_ONCE) {
      const post = this.#waiting.shift()
      if (post === undefined) break
      if (this.#now() - post.since > MON_WAIT_MS) {
        this.#leftOut++
        continue
      }
      this.#inFlight++
      this.#send(post).finally(() => {
        this.#inFlight--
        this.#next()
      }).catch(() => undefined)
    }
    if (this.#inFlight === 0 && this.#waiting.length === 0) this.#tellTotals()
  }

  async #send ({ url, body }: WaitingPost): Promise<void> {
    try {
      const status = await this.#deps.postJson(url, body, AbortSignal.timeout(MON_TIMEOUT_MS))
      if (status >= 300) this.#failed(url, `was answered ${status}`)
    } catch (error) {
      this.#failed(url, `failed: ${reasonOf(error)}`)
    }
  }

  // the first failure of a run is logged; the others are counted
  #failed (url: string, reason: string): void {
    this.#lastReason = `notice to mon at ${shown(url)} ${reason}`
    if (this.#failures++ === 0) this.#deps.warn(this.#lastReason)
  }

  #tellTotals (): void {
    if (this.#failures > 1) this.#deps.warn(`${this.#failures - 1} more notices to mon failed, the last: ${this.#lastReason}`)
    if (this.#leftOut > 0) this.#deps.warn(`${this.#leftOut} notices not posted to mon: it was not taking them fast enough (each is in the log)`)
    this.#failures = 0
    this.#leftOut = 0
  }
}

/**
 * Pure: the posts waiting with `post` added: an outage's or a role's ahead of every server's
 * and output's, otherwise in the order they came; past MAX_WAITING_MON, the oldest server's or
 * output's left out (an outage's only when nothing else waits).
 */
export function waitingPosts (waiting: readonly WaitingPost[], post: WaitingPost): { readonly waiting: WaitingPost[], readonly leftOut: number } {
  const next = urgentAhead(waiting, post, (entry) => isUrgent(entry.notice))
  if (next.length <= MAX_WAITING_MON) return { waiting: next, leftOut: 0 }
  const oldest = next.findIndex((entry) => !isUrgent(entry.notice))
  next.splice(oldest === -1 ? 0 : oldest, 1)
  return { waiting: next, leftOut: 1 }
}
