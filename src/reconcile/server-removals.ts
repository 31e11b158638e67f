/**
 * (SPEC §12) The servers being removed at run time: out of traffic already, deleted from
 * HAProxy (`del server`) once they have no session and an empty queue, or at their service's
 * server_timeout after their sessions are shut. Invariants: it runs beside the change queue,
 * never in it (a long session holds no change back); it only ever touches servers that are no
 * longer in the config file, so no job's change can meet it; a reload clears it (the new worker
 * never had them).
 */
import type { Log } from '../model/log.js'
import { findRow, type Row } from '../haproxy/parse.js'

/** A server being removed, as `/api/services` shows it. */
export interface RemovingServer {
  readonly backend: string
  readonly server: string
  readonly address: string
  readonly port: number | null
  /** When it left the file (ms since the epoch). */
  readonly since: number
  /** When its sessions are shut if they have not ended (ms since the epoch). */
  readonly deadline: number
}

/** What the removals need of HAProxy's runtime API. */
export interface RemovalRuntime {
  showServerStats: () => Promise<Row[]>
  deleteServer: (backend: string, server: string) => Promise<boolean>
  shutdownSessions: (backend: string, server: string) => Promise<void>
}

/** How often the removals look at the servers' sessions. */
export const REMOVAL_POLL_MS = 500

export class ServerRemovals {
  readonly #runtime: RemovalRuntime
  readonly #log: Pick<Log, 'info' | 'error'>
  readonly #pollMs: number
  readonly #removing = new Map<string, RemovingServer>()
  #timer: NodeJS.Timeout | null = null
  #busy = false

  constructor (runtime: RemovalRuntime, log: Pick<Log, 'info' | 'error'>, pollMs = REMOVAL_POLL_MS) {
    this.#runtime = runtime
    this.#log = log
    this.#pollMs = pollMs
  }

  /** Every server still being removed. */
  list (): readonly RemovingServer[] {
    return [...this.#removing.values()]
  }

  /** Whether `backend/server` is still being removed. */
  has (key: string): boolean {
    return this.#removing.has(key)
  }

  /** Starts watching a server that has just been taken out of traffic. */
  add (server: RemovingServer): void {
    this.#removing.set(`${server.backend}/${server.server}`, server)
    this.#timer ??= setInterval(() => { this.#poll().catch(() => undefined) }, this.#pollMs).unref()
  }

  /** Forgets them all: a reload's new worker never had them, and the old one ends their sessions. */
  clear (): void {
    this.#removing.clear()
    this.#stopTimer()
  }

  // one `show stat` for all; a server without a session or queue is deleted; one past its deadline has its sessions shut first
  async #poll (): Promise<void> {
    if (this.#busy) return
    this.#busy = true
    try {
      const rows = await this.#runtime.showServerStats()
      for (const [key, removing] of this.#removing) {
        const row = findRow(rows, removing.backend, removing.server)
        const idle = row === undefined || (Number(row.scur ?? 0) === 0 && Number(row.qcur ?? 0) === 0)
        if (!idle && Date.now() >= removing.deadline) {
          this.#log.info(`server ${key}: sessions still open at server_timeout, shutting them`)
          await this.#runtime.shutdownSessions(removing.backend, removing.server)
        }
        // a reload (clear) may have come while this poll waited: the record is gone, and so is the server
        if ((idle || Date.now() >= removing.deadline) && this.#removing.get(key) === removing && await this.#runtime.deleteServer(removing.backend, removing.server)) {
          if (this.#removing.get(key) === removing) this.#removing.delete(key)
          this.#log.info(`server ${key} removed`)
        }
      }
    } catch (error) {
      this.#log.error(`removing servers: ${(error as Error).message}`)
    } finally {
      this.#busy = false
      if (this.#removing.size === 0) this.#stopTimer()
    }
  }

  #stopTimer (): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
  }
}
