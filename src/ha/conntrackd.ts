/**
 * conntrackd as a child of the agent (udp_roundrobin with ha_vip): renders its configuration,
 * starts it in the foreground with every file of it in the runtime folder, restarts it with
 * backoff when it dies, and stops it on the way out. keepalived's notify program
 * (conntrackd-notify.ts) tells it the node's role.
 * Invariants: at most one conntrackd per Conntrackd; the file on disk is the one in force;
 * a conntrackd left by an agent that was killed is stopped, and its lock file removed, before
 * a new one starts.
 */
import { rm, writeFile, rename } from 'node:fs/promises'
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as delay } from 'node:timers/promises'
import type { ResultPromise } from 'execa'
import { L3lbError } from '../errors.js'
import { FIRST_BACKOFF_MS, MAX_BACKOFF_MS } from '../haproxy/supervisor.js'
import { startDaemon } from '../process/daemon.js'
import { stopLeftovers } from '../process/leftover.js'
import type { HaSettings, Properties } from '../properties/model.js'
import { localLinkAddress, renderConntrackdConfig } from './conntrackd-config.js'

/** The program keepalived runs on a state change (compiled next to this file). */
export const CONNTRACKD_NOTIFY_PROGRAM = fileURLToPath(new URL('./conntrackd-notify.js', import.meta.url))

export interface ConntrackdOptions {
  readonly runtimeDir: string
  /** The conntrackd program; `conntrackd` from PATH by default. */
  readonly binary?: string
  readonly log: { info (message: string): void, error (message: string): void }
  /** The host's interfaces and addresses; os.networkInterfaces() by default. */
  readonly interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>
}

const READY_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5000
const POLL_MS = 50
// conntrackd prefixes each line with the date and its pid: the agent's log has its own
const PREFIX = /^\[[^\]]*\] \(pid=\d+\) /
const READY = /-- starting in console mode --/

/** The pair whose UDP flows conntrackd keeps, or null: only udp_roundrobin with ha_vip needs it. */
export function conntrackdWanted (properties: Properties): HaSettings | null {
  return properties.mode === 'udp_roundrobin' ? properties.ha : null
}

export class Conntrackd {
  readonly configFile: string
  readonly lockFile: string
  readonly socket: string
  readonly pidFile: string
  readonly #options: ConntrackdOptions
  #child: ResultPromise | null = null
  #text: string | null = null
  #stopping = false
  #backoffMs = FIRST_BACKOFF_MS
  #timer: NodeJS.Timeout | null = null

  constructor (options: ConntrackdOptions) {
    this.#options = options
    this.configFile = join(options.runtimeDir, 'conntrackd.conf')
    this.lockFile = join(options.runtimeDir, 'conntrackd.lock')
    this.socket = join(options.runtimeDir, 'conntrackd.ctl')
    this.pidFile = join(options.runtimeDir, 'conntrackd.pid')
  }

  get running (): boolean {
    return this.#child !== null
  }

  /** What keepalived runs, with `primary` or `backup` appended, on a state change; null when conntrackd is not wanted. */
  notifyCommand (properties: Properties): readonly string[] | null {
    return conntrackdWanted(properties) === null ? null : [process.execPath, CONNTRACKD_NOTIFY_PROGRAM, this.#binary(), this.configFile]
  }

  /** Brings conntrackd to `properties`: start, restart with a new file (it has no reload), stop, or nothing. */
  async apply (properties: Properties): Promise<'none' | 'start' | 'restart' | 'stop'> {
    const ha = conntrackdWanted(properties)
    if (ha === null) {
      if (!this.running) return 'none'
      await this.stop()
      return 'stop'
    }
    const local = localLinkAddress((this.#options.interfaces ?? networkInterfaces)(), ha)
    if (local === null) {
      throw new L3lbError('L3LB_START_FAILED', `could not start L3LB: conntrackd sends from this node's own ${ha.peer.includes(':') ? 'IPv6' : 'IPv4'} address on ha_interface ${JSON.stringify(ha.interface)}, and it has none (only virtual or link-local ones, or no such interface)`)
    }
    const text = renderConntrackdConfig(ha, local, { lockFile: this.lockFile, socket: this.socket })
    if (this.running && text === this.#text) return 'none'
    const restart = this.running
    if (restart) await this.stop()
    await writeFile(`${this.configFile}.new`, text, { mode: 0o600 })
    await rename(`${this.configFile}.new`, this.configFile)
    await this.#startClean()
    this.#text = text
    return restart ? 'restart' : 'start'
  }

  /** Stops conntrackd; the standby's copy of the flows goes with it. */
  async stop (): Promise<void> {
    this.#stopping = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    const child = this.#child
    if (child === null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    await child
    clearTimeout(timer)
    this.#child = null
    this.#text = null
    await rm(this.pidFile, { force: true })
  }

  // a conntrackd whose agent was killed holds the lock file, which would stop the next one
  async #startClean (): Promise<void> {
    await stopLeftovers([this.pidFile], 'conntrackd', (message) => this.#options.log.info(message))
    await rm(this.lockFile, { force: true })
    await rm(this.socket, { force: true })
    await this.#start()
  }

  async #start (): Promise<void> {
    this.#stopping = false
    const recent: string[] = []
    let ready = false
    let exited: string | null = null
    let missing = false
    const child = startDaemon(this.#binary(), ['-C', this.configFile], (raw) => {
      const line = raw.replace(PREFIX, '').trim()
      if (line === '') return
      recent.push(line)
      if (recent.length > 20) recent.shift()
      if (READY.test(line)) ready = true
      this.#options.log.info(`conntrackd: ${line}`)
    })
    this.#child = child
    if (child.pid !== undefined) await writeFile(this.pidFile, `${child.pid}\n`)
    child.then((result) => {
      missing = result.code === 'ENOENT' || /ENOENT/.test(result.originalMessage ?? '')
      exited = result.signal !== undefined ? `killed by ${result.signal}` : `exited with code ${String(result.exitCode)}`
      if (this.#child !== child) return
      this.#child = null
      if (!this.#stopping && ready) this.#exited(exited)
    }, () => undefined)
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (Date.now() < deadline) {
      if (missing) {
        throw new L3lbError('L3LB_PROGRAM_MISSING', `conntrackd is not installed (udp_roundrobin with ha_vip needs it to keep UDP flows across a failover): install Debian's conntrackd package (running: ${this.#binary()} -C ${this.configFile})`)
      }
      if (exited !== null) throw new L3lbError('L3LB_START_FAILED', `could not start L3LB: conntrackd ${String(exited)} while starting:\n${recent.join('\n')}`)
      if (ready) {
        this.#backoffMs = FIRST_BACKOFF_MS
        return
      }
      await delay(POLL_MS)
    }
    await this.stop()
    throw new L3lbError('L3LB_START_FAILED', `could not start L3LB: conntrackd was not ready within ${READY_TIMEOUT_MS} ms:\n${recent.join('\n')}`)
  }

  #exited (why: string): void {
    const wait = this.#backoffMs
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS)
    this.#options.log.error(`conntrackd ${why}; restarting it in ${wait} ms`)
    const text = this.#text
    this.#text = null
    this.#timer = setTimeout(() => {
      this.#timer = null
      if (this.#stopping || text === null) return
      this.#startClean()
        .then(() => { this.#text = text })
        .catch((error: unknown) => { this.#exited(`did not start again: ${(error as Error).message}`) })
    }, wait)
  }

  #binary (): string {
    return this.#options.binary ?? 'conntrackd'
  }
}
