/**
 * (SPEC §12) The servers being removed at run time: out of traffic already, deleted from
 * HAProxy (`del server`) once they have no session and an empty queue, or at their service's
 * server_timeout after their sessions are shut. Invariants: it runs beside the change queue,
 * never in it (a long session holds no change back); it only ever touches servers that are no
 * longer in the config file, so no job's change can meet it. A reload hands them to the worker
 * it replaced, which keeps their sessions: they are listed until those end there (or the
 * worker exits), and shut at the same deadline; a start clears them (no old worker is left).
 */
import type { Log } from '../model/log.js'
import { findRow, type Row } from '../haproxy/parse.js'
import type { DesiredState } from '../state/desired.js'
import { isUdpMode } from '../properties/service-file.js'
import type { StateServer } from '../haproxy/servers-state-file.js'
import { OUTPUTS_BACKEND } from './haproxy-plan.js'

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
  /** The pid of the old worker that holds it since a reload; absent: the current worker. */
  readonly worker?: number
  /** Its sessions in that old worker at the last look (the current worker's are read live). */
  readonly sessions?: number
}

/** What the removals need of HAProxy's runtime API. */
export interface RemovalRuntime {
  showServerStats: () => Promise<Row[]>
  deleteServer: (backend: string, server: string) => Promise<boolean>
  shutdownSessions: (backend: string, server: string) => Promise<void>
}

/** What the removals need of the workers a reload replaced (haproxy/old-workers.ts). */
export interface RemovalOldWorkers {
  /** Every server row of worker `pid`, or null once it has exited. */
  serverStats: (pid: number) => Promise<Row[] | null>
  /** Ends the sessions of these servers in worker `pid`; how many it ended. */
  shutdownServerSessions: (pid: number, servers: readonly RemovingServer[]) => Promise<number>
}

/** How often the removals look at the servers' sessions. */
export const REMOVAL_POLL_MS = 500

/** An old worker is asked every this many polls: its answer is every server's row, and nothing there comes back into traffic. */
const OLD_WORKER_POLLS = 4

export class ServerRemovals {
  readonly #runtime: RemovalRuntime
  readonly #oldWorkers: RemovalOldWorkers | null
  readonly #log: Pick<Log, 'info' | 'error'>
  readonly #pollMs: number
  // by removingKey: the current worker's by `backend/server`, an old worker's under its pid too
  readonly #removing = new Map<string, RemovingServer>()
  #timer: NodeJS.Timeout | null = null
  #busy = false
  #polls = 0

  constructor (runtime: RemovalRuntime, log: Pick<Log, 'info' | 'error'>, pollMs = REMOVAL_POLL_MS, oldWorkers: RemovalOldWorkers | null = null) {
    this.#runtime = runtime
    this.#log = log
    this.#pollMs = pollMs
    this.#oldWorkers = oldWorkers
  }

  /** Every server still being removed, in the current worker or in an old one. */
  list (): readonly RemovingServer[] {
    return [...this.#removing.values()]
  }

  /** Those of the current worker: the ones a name added again would meet there. */
  inCurrentWorker (): readonly RemovingServer[] {
    return this.list().filter((server) => server.worker === undefined)
  }

  /** Whether `backend/server` is still being removed from the current worker. */
  has (key: string): boolean {
    return this.#removing.has(key)
  }

  /** Starts watching a server that has just been taken out of traffic. */
  add (server: RemovingServer): void {
    this.#removing.set(removingKey(server), server)
    this.#startTimer()
  }

  /** Forgets them all: HAProxy started anew (or stopped), and no old worker holds a session of theirs. */
  clear (): void {
    this.#removing.clear()
    this.#stopTimer()
  }

  /**
   * After a reload that replaced worker `oldWorker`: the current worker's servers being removed,
   * and `removed` (the servers the reload itself took out of the file), are that worker's now,
   * where their sessions go on; each is looked at once before this resolves, so one without a
   * session is never listed. A name the file has again (`inFile`) is the file's server: the old
   * one's last sessions end in the old worker unlisted. Without an old worker, as clear().
   */
  async afterReload (oldWorker: number | undefined, removed: readonly RemovingServer[], inFile: (backend: string, server: string) => boolean): Promise<void> {
    const current = this.inCurrentWorker()
    for (const server of current) this.#removing.delete(removingKey(server))
    if (oldWorker === undefined || this.#oldWorkers === null) {
      this.clear()
      return
    }
    for (const [key, server] of this.#removing) if (inFile(server.backend, server.server)) this.#removing.delete(key)
    const quiet = new Set<RemovingServer>()
    for (const server of [...current, ...removed]) {
      if (inFile(server.backend, server.server)) continue
      const handed = { ...server, worker: oldWorker }
      this.#removing.set(removingKey(handed), handed)
      if (removed.includes(server)) quiet.add(handed)
    }
    if (this.#removing.size === 0) {
      this.#stopTimer()
      return
    }
    try {
      await this.#lookAtOldWorkers(quiet)
    } finally {
      if (this.#removing.size > 0) this.#startTimer()
    }
  }

  // one `show stat` for all; a server without a session or queue is deleted; one past its deadline has its sessions shut first
  async #poll (): Promise<void> {
    if (this.#busy) return
    this.#busy = true
    try {
      if (this.#polls++ % OLD_WORKER_POLLS === 0) await this.#lookAtOldWorkers()
      const current = this.inCurrentWorker()
      if (current.length > 0) await this.#lookAtCurrentWorker(current)
    } catch (error) {
      this.#log.error(`removing servers: ${(error as Error).message}`)
    } finally {
      this.#busy = false
      if (this.#removing.size === 0) this.#stopTimer()
    }
  }

  async #lookAtCurrentWorker (current: readonly RemovingServer[]): Promise<void> {
    const rows = await this.#runtime.showServerStats()
    for (const removing of current) {
      const key = removingKey(removing)
      const row = findRow(rows, removing.backend, removing.server)
      if (!isIdle(row) && Date.now() >= removing.deadline) {
        this.#log.info(`server ${key}: sessions still open at server_timeout, shutting them`)
        await this.#runtime.shutdownSessions(removing.backend, removing.server)
      }
      // a reload (clear, or handed on) may have come while this poll waited: the record is gone, and so is the server
      if ((isIdle(row) || Date.now() >= removing.deadline) && this.#removing.get(key) === removing && await this.#runtime.deleteServer(removing.backend, removing.server)) {
        if (this.#removing.get(key) === removing) this.#removing.delete(key)
        this.#log.info(`server ${key} removed`)
      }
    }
  }

  // each old worker's server rows once: a server whose sessions ended there is gone; those past their deadline have them shut,
  // in one go a worker (a service removed whole brings all its servers at once); `quiet`: just taken out by a reload, never listed
  async #lookAtOldWorkers (quiet: ReadonlySet<RemovingServer> = new Set()): Promise<void> {
    const oldWorkers = this.#oldWorkers
    if (oldWorkers === null) return
    const byWorker = new Map<number, RemovingServer[]>()
    for (const server of this.list()) if (server.worker !== undefined) byWorker.set(server.worker, [...byWorker.get(server.worker) ?? [], server])
    for (const [pid, servers] of byWorker) {
      const rows = await oldWorkers.serverStats(pid)
      const due: RemovingServer[] = []
      for (const removing of servers) {
        const key = removingKey(removing)
        if (this.#removing.get(key) !== removing) continue
        const row = rows === null ? undefined : findRow(rows, removing.backend, removing.server)
        if (rows === null || isIdle(row)) {
          this.#removing.delete(key)
          if (!quiet.has(removing)) this.#log.info(`server ${removing.backend}/${removing.server} removed: ${rows === null ? 'the worker before the reload has exited' : 'its sessions in the worker before the reload ended'}`)
        } else if (Date.now() >= removing.deadline) {
          due.push(removing)
        } else {
          this.#removing.set(key, { ...removing, sessions: sessionsOf(row) })
        }
      }
      if (due.length === 0) continue
      const ended = await oldWorkers.shutdownServerSessions(pid, due)
      this.#log.info(`${due.map(({ backend, server }) => `${backend}/${server}`).join(', ')}: sessions still open at server_timeout in the worker before the reload; ${ended} shut`)
      for (const removing of due) if (this.#removing.get(removingKey(removing)) === removing) this.#removing.delete(removingKey(removing))
    }
  }

  #startTimer (): void {
    this.#timer ??= setInterval(() => { this.#poll().catch(() => undefined) }, this.#pollMs).unref()
  }

  #stopTimer (): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
  }
}

/**
 * Pure: the servers a reload from `before` to `after` takes out of TCP service files, to be
 * removed at `now` (their sessions go on in the old worker), by name, as the API knows them:
 * at the new file's server_timeout; those of a service removed whole (or no longer TCP) at the
 * old file's, which SPEC §12 gives a DELETE of a service (/api/services lists them nowhere).
 */
export function serversLeftAtReload (before: DesiredState, after: DesiredState, now: number): RemovingServer[] {
  const left: RemovingServer[] = []
  for (const old of before.services) {
    if (isUdpMode(old.mode)) continue
    const found = after.services.find((candidate) => candidate.name === old.name)
    const service = found === undefined || isUdpMode(found.mode) ? null : found
    const names = new Set(service?.servers.map((server) => server.name) ?? [])
    const deadline = now + (service ?? old).serverTimeout * 1000
    for (const server of old.servers) {
      if (!names.has(server.name)) left.push({ backend: old.name, server: server.name, address: server.address, port: server.port, since: now, deadline })
    }
  }
  return left
}

/**
 * Pure: the servers a running worker has (`running`, from `show servers state`) in a TCP
 * service file's backend that the file no longer has: removals an agent that stopped left
 * under way (they live in the agent's memory only), to be finished at `now`, at the file's
 * server_timeout.
 */
export function serversNotInFile (running: readonly StateServer[], state: DesiredState, now: number): RemovingServer[] {
  return notInFile(running, state, now, false)
}

/**
 * Pure: the servers old worker `pid` (its server rows, with `addr`) still has sessions or a
 * queue of that no TCP service file names: removals an agent that stopped had handed to that
 * worker at a reload, to be finished at `now`, at the file's server_timeout, or for a service
 * removed whole at the env file's. The env file's own outputs are not API servers: left alone.
 */
export function serversInOldWorker (pid: number, rows: readonly Row[], state: DesiredState, now: number): RemovingServer[] {
  const busy = rows.filter((row) => row.svname !== 'BACKEND' && row.pxname !== OUTPUTS_BACKEND && !isIdle(row))
  const running = busy.map((row) => ({ backend: row.pxname ?? '', server: row.svname ?? '', ...addressOf(row.addr ?? '') }))
  return notInFile(running, state, now, true).map((server) => ({ ...server, worker: pid, sessions: sessionsOf(findRow(busy, server.backend, server.server)) }))
}

// those of `running` a TCP service file's backend lacks; with `gone`, a backend no TCP service has too
function notInFile (running: readonly StateServer[], state: DesiredState, now: number, gone: boolean): RemovingServer[] {
  const services = new Map(state.services.filter((service) => !isUdpMode(service.mode)).map((service) => [service.name, service]))
  return running.flatMap(({ backend, server, address, port }) => {
    const service = services.get(backend)
    if (service === undefined ? !gone : service.servers.some((named) => named.name === server)) return []
    const timeout = service ?? state.services.find((other) => other.name === backend) ?? state.properties
    return [{ backend, server, address, port: port === 0 ? null : port, since: now, deadline: now + timeout.serverTimeout * 1000 }]
  })
}

// `show stat`'s addr: `ADDRESS:PORT`, an IPv6 one in brackets; port 0 when the client's port is kept
function addressOf (addr: string): { readonly address: string, readonly port: number } {
  const colon = addr.lastIndexOf(':')
  const host = colon === -1 ? addr : addr.slice(0, colon)
  return { address: host.replace(/^\[(.*)\]$/, '$1'), port: colon === -1 ? 0 : Number(addr.slice(colon + 1)) || 0 }
}

function removingKey (server: Pick<RemovingServer, 'backend' | 'server' | 'worker'>): string {
  return `${server.worker === undefined ? '' : `${server.worker}@`}${server.backend}/${server.server}`
}

// no session and nothing queued (or no row at all: nothing left of it)
function isIdle (row: Row | undefined): boolean {
  return row === undefined || (Number(row.scur ?? 0) === 0 && Number(row.qcur ?? 0) === 0)
}

function sessionsOf (row: Row | undefined): number {
  return Number(row?.scur ?? 0) || 0
}
