/**
 * HAProxy's old workers: after a reload, the worker before it keeps its sessions until they
 * end (or `hard-stop-after`), reached through the master socket (`@!PID`). What the servers
 * being removed need of them: their sessions, and ending them.
 */
import { STAT_COLUMNS, streamsOfServer, type Row } from './parse.js'
import { readServerStats, SERVER_STATS_COMMAND } from './runtime-api.js'

// the agent's columns, and each server's address: an agent that adopts HAProxy learns a removed server's there
const OLD_WORKER_COLUMNS: ReadonlySet<string> = new Set([...STAT_COLUMNS, 'addr'])

/** Sends one command to a worker by pid: its answer, or null once that worker has exited. */
export type AskWorker = (pid: number, command: string) => Promise<string | null>

export class OldWorkers {
  readonly #ask: AskWorker

  constructor (ask: AskWorker) {
    this.#ask = ask
  }

  /** Every server row of worker `pid` (its address in `addr`), or null once it has exited. */
  async serverStats (pid: number): Promise<Row[] | null> {
    const text = await this.#ask(pid, SERVER_STATS_COMMAND)
    return text === null ? null : await readServerStats(text, OLD_WORKER_COLUMNS)
  }

  /**
   * Ends the sessions `servers` (each `{ backend, server }`) still have in worker `pid`: one
   * `show sess`, then one `shutdown session` a stream, since an old worker's proxies are stopped
   * and refuse `shutdown sessions server` ("Proxy is disabled."). Resolves with how many it
   * ended (0 once the worker has exited).
   */
  async shutdownServerSessions (pid: number, servers: ReadonlyArray<{ readonly backend: string, readonly server: string }>): Promise<number> {
    const sessions = await this.#ask(pid, 'show sess')
    if (sessions === null) return 0
    const streams = servers.flatMap(({ backend, server }) => streamsOfServer(sessions, backend, server))
    for (const stream of streams) await this.#ask(pid, `shutdown session ${stream}`)
    return streams.length
  }
}
