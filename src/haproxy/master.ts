/**
 * HAProxy in master-worker mode, as a child of the agent, or adopted: a master left
 * running by an agent that was killed, found through its master socket, so the data path
 * never stops because the control plane did.
 * Invariants: at most one master per HaproxyMaster; reload() only resolves once `show proc`
 * proves a new worker took the configuration (2.6's master CLI answers nothing to `reload`).
 */
import type { ResultPromise } from 'execa'
import { startDaemon } from '../process/daemon.js'
import { DATA_PLANE_NICENESS } from '../process/priority.js'
import { L3lbError } from '../errors.js'
import { LOCAL_PEER_NAME } from '../render/haproxy-config.js'
import { oldWorkerPids, parseShowProc, type ProcessTable } from './parse.js'
import { processGone } from '../process/process-state.js'
import { sendCommand } from './socket-client.js'

export interface HaproxyMasterOptions {
  readonly configFile: string
  readonly masterSocket: string
  readonly pidFile: string
  readonly binary?: string
  /** The local peer's name (`-L`); `l3lb` by default, the node's own name in an HA pair. */
  readonly localPeerName?: string
  /** Each line HAProxy prints (its log goes to stderr). */
  readonly onLine: (line: string) => void
  /** Called once when the master exits without stop() having been asked. */
  readonly onUnexpectedExit: (description: string) => void
}

const READY_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 10_000
const POLL_MS = 50

export class HaproxyMaster {
  readonly #options: HaproxyMasterOptions
  #child: ResultPromise | null = null
  #stopping = false
  // the last lines HAProxy printed, to say why a start failed
  #recent: string[] = []
  // a master that is not our child: its pid and the timer that watches it
  #adopted: { readonly pid: number, timer: NodeJS.Timeout | null } | null = null

  constructor (options: HaproxyMasterOptions) {
    this.#options = options
  }

  get running (): boolean {
    return this.#child !== null || this.#adopted !== null
  }

  get pid (): number | undefined {
    return this.#child?.pid ?? this.#adopted?.pid
  }

  /** Whether the running master was found rather than started. */
  get adopted (): boolean {
    return this.#adopted !== null
  }

  /**
   * Takes over a master that answers on the master socket with a serving worker (one an
   * earlier agent started); false when there is none. It is then watched through its
   * process state and its socket, since no exit event will come.
   */
  async adopt (): Promise<boolean> {
    if (this.running) return true
    const table = await this.processTable().catch(() => null)
    if (table === null || table.workers.length === 0 || processGone(table.masterPid)) return false
    this.#stopping = false
    this.#adopted = { pid: table.masterPid, timer: null }
    this.#watch(0)
    return true
  }

  /** Starts the master and waits until its first worker serves. */
  async start (): Promise<void> {
    if (this.#child !== null) return
    const { configFile, masterSocket, pidFile, binary = 'haproxy' } = this.#options
    this.#stopping = false
    this.#recent = []
    const args = ['-W', '-S', `${masterSocket},mode,600`, '-f', configFile, '-p', pidFile, '-L', this.#options.localPeerName ?? LOCAL_PEER_NAME]
    const child = startDaemon(binary, args, (line) => {
      this.#recent = [...this.#recent.slice(-19), line]
      this.#options.onLine(line)
    }, DATA_PLANE_NICENESS)
    this.#child = child
    let exitDescription: string | null = null
    let starting = true
    child.then((result) => {
      exitDescription = result.signal !== undefined ? `killed by ${result.signal}` : `exited with code ${String(result.exitCode)}`
      if (this.#child === child) this.#child = null
      // a master that dies while starting is start()'s failure to report, not a crash
      if (!this.#stopping && !starting) this.#options.onUnexpectedExit(exitDescription)
    })
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (Date.now() < deadline) {
      if (exitDescription !== null) throw new L3lbError('L3LB_HAPROXY_START', `HAProxy ${String(exitDescription)} while starting:\n${this.#alerts()}`)
      const table = await this.processTable().catch(() => null)
      if (table !== null && table.workers.length > 0) {
        starting = false
        return
      }
      await delay(POLL_MS)
    }
    await this.stop()
    throw new L3lbError('L3LB_HAPROXY_START', `HAProxy did not serve within ${READY_TIMEOUT_MS} ms of starting`)
  }

  /**
   * Reloads the configuration file without dropping a connection, and confirms that the new
   * worker took it. Resolves with the pids of the workers it replaced: they finish their
   * sessions as old workers (askWorker reaches them).
   */
  async reload (): Promise<readonly number[]> {
    const before = await this.processTable()
    // the master re-executes itself on `reload` and closes the socket without an answer
    await sendCommand(this.#options.masterSocket, 'reload').catch(() => '')
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (Date.now() < deadline) {
      const after = await this.processTable().catch(() => null)
      if (after !== null && after.reloads > before.reloads) {
        if (after.failedReloads > before.failedReloads) {
          throw new L3lbError('L3LB_HAPROXY_RELOAD', 'HAProxy refused the new configuration on reload; the previous one keeps serving')
        }
        if (after.workers.some((worker) => worker.reloads === 0)) return before.workers.map((worker) => worker.pid)
      }
      await delay(POLL_MS)
    }
    throw new L3lbError('L3LB_HAPROXY_RELOAD', `HAProxy did not confirm the reload within ${READY_TIMEOUT_MS} ms`)
  }

  // HAProxy's ALERT lines of this start, or all it printed when none
  #alerts (): string {
    const alerts = this.#recent.filter((line) => line.includes('ALERT'))
    return (alerts.length > 0 ? alerts : this.#recent).join('\n')
  }

  // The adopted master's death shows in /proc at once (a zombie nobody reaps counts); a
  // hung one, by its socket not answering for WATCH_MISSES rounds (a reload takes less).
  #watch (misses: number): void {
    const adopted = this.#adopted
    if (adopted === null) return
    adopted.timer = setTimeout(() => {
      const check = async (): Promise<void> => {
        if (this.#adopted !== adopted) return
        const answered = processGone(adopted.pid) ? false : await this.processTable().then(() => true, () => false)
        if (this.#adopted !== adopted) return
        const missed = answered ? 0 : misses + 1
        if (processGone(adopted.pid) || missed >= WATCH_MISSES) {
          this.#adopted = null
          if (!processGone(adopted.pid)) killQuietly(adopted.pid, 'SIGKILL')
          if (!this.#stopping) this.#options.onUnexpectedExit(`(adopted, pid ${adopted.pid}) ${processGone(adopted.pid) ? 'exited' : 'stopped answering'}`)
          return
        }
        this.#watch(missed)
      }
      check().catch(() => undefined)
    }, WATCH_MS).unref()
  }

  async #stopAdopted (pid: number): Promise<void> {
    this.#stopping = true
    if (this.#adopted?.timer != null) clearTimeout(this.#adopted.timer)
    this.#adopted = null
    killQuietly(pid, 'SIGTERM')
    const deadline = Date.now() + STOP_TIMEOUT_MS
    while (!processGone(pid) && Date.now() < deadline) await delay(POLL_MS)
    if (!processGone(pid)) killQuietly(pid, 'SIGKILL')
  }

  /** The master's `show proc`. */
  async processTable (): Promise<ProcessTable> {
    const text = await sendCommand(this.#options.masterSocket, 'show proc')
    const table = parseShowProc(text)
    if (table === null) throw new L3lbError('L3LB_HAPROXY_SOCKET', `unexpected answer to "show proc": ${JSON.stringify(text.slice(0, 200))}`)
    return table
  }

  /** The pids of the workers reloads replaced that still finish their sessions (`show proc`'s old workers). */
  async oldWorkers (): Promise<number[]> {
    return oldWorkerPids(await sendCommand(this.#options.masterSocket, 'show proc'))
  }

  /**
   * One command to the worker `pid` through the master socket (`@!PID COMMAND`), an old one
   * still finishing its sessions included: its answer, or null when the master has no such
   * worker (it has exited).
   */
  async askWorker (pid: number, command: string): Promise<string | null> {
    const answer = await sendCommand(this.#options.masterSocket, `@!${pid} ${command}`)
    return NO_SUCH_WORKER.test(answer) ? null : answer
  }

  /** Stops the master and its workers: SIGTERM, then SIGKILL if it has not gone in time. */
  async stop (): Promise<void> {
    if (this.#adopted !== null) {
      await this.#stopAdopted(this.#adopted.pid)
      return
    }
    const child = this.#child
    if (child === null) return
    this.#stopping = true
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    await child
    clearTimeout(timer)
    this.#child = null
  }
}

// the master CLI's answer to a prefix naming no process of its own (2.6: `Can't find the target PID matching the prefix '@!123'`)
const NO_SUCH_WORKER = /^Can't find the target PID/m

const WATCH_MS = 250
// a socket that does not answer this many times in a row, the process still there, is a hung master
const WATCH_MISSES = 4

function delay (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function killQuietly (pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}
