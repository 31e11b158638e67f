/** The runtime API on HAProxy's stats socket: admin state and live figures without a reload. */
import { L3lbError } from '../errors.js'
import { CHECK_COLUMNS, parseShowStat, peersLocallySynced, showStatReader, splitInfoAndStat, STAT_COLUMNS, type Row } from './parse.js'
import { sendCommand } from './socket-client.js'
import { readInSlices } from '../process/slices.js'

export type ServerAdminState = 'ready' | 'drain' | 'maint'

export class RuntimeApi {
  readonly #socket: string

  constructor (statsSocket: string) {
    this.#socket = statsSocket
  }

  /** `set server BACKEND/SERVER state ready|maint`: takes effect at once, keeps open connections. */
  async setServerState (backend: string, server: string, state: ServerAdminState): Promise<void> {
    const answer = (await sendCommand(this.#socket, `set server ${backend}/${server} state ${state}`)).trim()
    // success is an empty answer; anything else is HAProxy saying why not
    if (answer !== '') throw new L3lbError('L3LB_HAPROXY_SOCKET', `HAProxy refused "set server ${backend}/${server} state ${state}": ${answer}`)
  }

  /**
   * `set server` as setServerState, and `show servers state` of its backend after it, in one
   * round trip: resolves with that backend's state text, which already has the change. A refusal throws as
   * setServerState does (HAProxy ran nothing); any other failure leaves it unknown whether
   * the change was made.
   */
  async setServerStateAndShow (backend: string, server: string, state: ServerAdminState): Promise<string> {
    const command = `set server ${backend}/${server} state ${state}`
    const { setAnswer, stateText } = splitSetAndShow(await sendCommand(this.#socket, `${command};show servers state ${backend}`))
    if (setAnswer !== '') throw new L3lbError('L3LB_HAPROXY_SOCKET', `HAProxy refused "${command}": ${setAnswer}`)
    if (stateText === '') throw new L3lbError('L3LB_HAPROXY_SOCKET', `HAProxy gave no server state after "${command}"`)
    return stateText
  }

  /**
   * (SPEC §12) `add server BACKEND/SERVER TARGET SETTINGS…`: created in maintenance, its checks
   * off; HAProxy 2.6 gives it nothing of `default-server`, so `settings` are all it has.
   */
  async addServer (backend: string, server: string, target: string, settings: readonly string[]): Promise<void> {
    await this.#expect(`add server ${backend}/${server} ${[target, ...settings].join(' ')}`, /^New server registered\.$/)
  }

  /** `enable health BACKEND/SERVER`: a server added with `check` is checked only after this. */
  async enableHealth (backend: string, server: string): Promise<void> {
    await this.#expect(`enable health ${backend}/${server}`, /^$/)
  }

  /** `set server BACKEND/SERVER weight N`. */
  async setWeight (backend: string, server: string, weight: number): Promise<void> {
    await this.#expect(`set server ${backend}/${server} weight ${weight}`, /^$/)
  }

  /** `set server BACKEND/SERVER addr ADDRESS [port PORT]`; port null keeps the client's port. */
  async setAddress (backend: string, server: string, address: string, port: number | null): Promise<void> {
    // HAProxy says what it changed, or that there was nothing to change
    await this.#expect(`set server ${backend}/${server} addr ${address}${port === null ? '' : ` port ${port}`}`, /^(|IP changed .*|.*port changed .*|no need to change the addr.*)$/s)
  }

  /** `set maxconn server BACKEND/SERVER N`; 0: no limit of its own. */
  async setServerMaxconn (backend: string, server: string, maxconn: number): Promise<void> {
    await this.#expect(`set maxconn server ${backend}/${server} ${maxconn}`, /^$/)
  }

  /** `del server BACKEND/SERVER`: false while HAProxy refuses (sessions or a queue left), true once it is gone. */
  async deleteServer (backend: string, server: string): Promise<boolean> {
    const answer = (await sendCommand(this.#socket, `del server ${backend}/${server}`)).trim()
    if (answer === 'Server deleted.') return true
    // already gone (a reload's new worker never had it): nothing left to delete
    if (/^No such server/i.test(answer) || /^No such backend/i.test(answer)) return true
    if (/still has|queue|connections|maintenance/i.test(answer)) return false
    throw new L3lbError('L3LB_HAPROXY_SOCKET', `HAProxy refused "del server ${backend}/${server}": ${answer}`)
  }

  /** `shutdown sessions server BACKEND/SERVER`: ends every session it has. */
  async shutdownSessions (backend: string, server: string): Promise<void> {
    await this.#expect(`shutdown sessions server ${backend}/${server}`, /^$/)
  }

  // one command whose answer must match `accepted`; anything else is HAProxy saying why not
  async #expect (command: string, accepted: RegExp): Promise<void> {
    const answer = (await sendCommand(this.#socket, command)).trim()
    if (!accepted.test(answer)) throw new L3lbError('L3LB_HAPROXY_SOCKET', `HAProxy refused "${command}": ${answer}`)
  }

  /**
   * `show stat` of the backends and servers (the counters need no frontend row, nor the last
   * checks' columns) and the pid of the worker that answered, in one round trip (a new pid = a new worker).
   */
  async statWithWorker (): Promise<{ readonly workerPid: number | null, readonly rows: Row[] }> {
    const { workerPid, statText } = splitInfoAndStat(await sendCommand(this.#socket, 'show info;show stat -1 6 -1'))
    // read in slices of the event loop's time: a ctl call that comes meanwhile is not held behind 1,000 rows
    return { workerPid, rows: await readInSlices(showStatReader(statText, STAT_COLUMNS)) }
  }

  /**
   * `show stat`, one row per proxy and server; with `proxy`, that proxy's rows alone (none
   * when HAProxy has no such proxy): at 256 services, a hundredth of the text to read. Only
   * for a name no other proxy has: of a frontend and a backend of one name, HAProxy gives the first.
   * The agent's columns (STAT_COLUMNS, and CHECK_COLUMNS for a row not up) unless told (null: every column).
   */
  async showStat (proxy?: string, columns: ReadonlySet<string> | null = STAT_COLUMNS): Promise<Row[]> {
    // a name of digits alone would be read as a proxy's numeric id: then every row, which callers look up by name anyway
    const all = proxy === undefined || /^[0-9]+$/.test(proxy)
    return parseShowStat(await sendCommand(this.#socket, all ? 'show stat' : `show stat ${proxy} -1 -1`), columns ?? undefined, CHECK_COLUMNS)
  }

  /**
   * `show stat -1 4 -1`: every proxy's server rows alone (the agent's columns), without the
   * frontend and backend rows (512 of 1,512 at 256 services) that a server's health does not need.
   */
  async showServerStats (): Promise<Row[]> {
    return await readServerStats(await sendCommand(this.#socket, SERVER_STATS_COMMAND))
  }

  /** Whether the worker's stick tables are complete enough to hand on at a reload (see peersLocallySynced). */
  async peersSynced (): Promise<boolean> {
    return peersLocallySynced(await sendCommand(this.#socket, 'show peers'))
  }

  /** `show servers state` as text, ready for the server-state file; with `backend`, that backend's servers only. */
  async serversStateText (backend?: string): Promise<string> {
    return await sendCommand(this.#socket, backend === undefined ? 'show servers state' : `show servers state ${backend}`)
  }
}

/** Every proxy's server rows alone: what showServerStats asks any worker. */
export const SERVER_STATS_COMMAND = 'show stat -1 4 -1'

/** The answer to SERVER_STATS_COMMAND as rows (the agent's columns unless told, and the last check's for a row not up). */
export async function readServerStats (text: string, columns: ReadonlySet<string> = STAT_COLUMNS): Promise<Row[]> {
  // every second, by the notices' watch: read in slices of the event loop's time
  return await readInSlices(showStatReader(text, columns, CHECK_COLUMNS))
}

/**
 * Pure: the answer to `set server …;show servers state` cut in two. Each command's answer ends
 * with a blank line; the state's starts with its format version line and its `# be_id` header.
 */
export function splitSetAndShow (answer: string): { readonly setAnswer: string, readonly stateText: string } {
  const start = /^\d+\n# be_id /m.exec(answer)
  if (start === null) return { setAnswer: answer.trim(), stateText: '' }
  return { setAnswer: answer.slice(0, start.index).trim(), stateText: answer.slice(start.index) }
}
