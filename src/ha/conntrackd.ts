/**
 * conntrackd as a child of the agent (a UDP service with ha_vip): renders its configuration,
 * starts it in the foreground with every file of it in the runtime folder, restarts it with
 * backoff when it dies, and stops it on the way out. keepalived's notify program
 * (conntrackd-notify.ts) tells it the node's role.
 * Invariants: at most one conntrackd per Conntrackd; the file on disk is the one in force;
 * a conntrackd left by an agent that was killed is stopped, and its lock file removed, before
 * a new one starts.
 */
import { rm, writeFile, rename } from 'node:fs/promises'
import type { Log } from '../model/log.js'
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { L3lbError } from '../errors.js'
import { SupervisedDaemon } from '../process/supervised-daemon.js'
import { stopLeftovers } from '../process/leftover.js'
import type { HaSettings, Properties, Service } from '../properties/model.js'
import { isUdpMode } from '../properties/service-file.js'
import { renderConntrackdConfig } from './conntrackd-config.js'
import { ownLinkAddress, type InterfaceAddress } from '../properties/link-address.js'

/** The program keepalived runs on a state change (compiled next to this file). */
export const CONNTRACKD_NOTIFY_PROGRAM = fileURLToPath(new URL('./conntrackd-notify.js', import.meta.url))

export interface ConntrackdOptions {
  readonly runtimeDir: string
  /** The conntrackd program; `conntrackd` from PATH by default. */
  readonly binary?: string
  readonly log: Pick<Log, 'info' | 'error'>
  /** The host's interfaces and addresses; os.networkInterfaces() by default. */
  readonly interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>
}

// conntrackd prefixes each line with the date and its pid: the agent's log has its own
const PREFIX = /^\[[^\]]*\] \(pid=\d+\) /
const READY = /-- starting in console mode --/

/**
 * The pair whose UDP flows conntrackd keeps, or null: only a pair (ha_vip) with a UDP service
 * needs it, the env file's (udp_roundrobin) or a service file's (udp_roundrobin, udp_source):
 * the kernel's translations are what keep a flow on its server across a failover.
 */
export function conntrackdWanted (properties: Properties, services: readonly Service[] = []): HaSettings | null {
  return properties.mode === 'udp_roundrobin' || services.some((service) => isUdpMode(service.mode)) ? properties.ha : null
}

export class Conntrackd {
  readonly configFile: string
  readonly lockFile: string
  readonly socket: string
  readonly pidFile: string
  readonly #options: ConntrackdOptions
  readonly #daemon: SupervisedDaemon
  #text: string | null = null

  constructor (options: ConntrackdOptions) {
    this.#options = options
    this.configFile = join(options.runtimeDir, 'conntrackd.conf')
    this.lockFile = join(options.runtimeDir, 'conntrackd.lock')
    this.socket = join(options.runtimeDir, 'conntrackd.ctl')
    this.pidFile = join(options.runtimeDir, 'conntrackd.pid')
    this.#daemon = new SupervisedDaemon({
      name: 'conntrackd',
      binary: this.#binary(),
      args: ['-C', this.configFile],
      isReady: (line) => READY.test(line),
      notReady: 'was not ready',
      onLine: (raw) => {
        const line = raw.replace(PREFIX, '').trim()
        if (line !== '') this.#options.log.info(`conntrackd: ${line}`)
      },
      missing: () => new L3lbError('L3LB_PROGRAM_MISSING', `conntrackd is not installed (udp_roundrobin with ha_vip needs it to keep UDP flows across a failover): install Debian's conntrackd package (running: ${this.#binary()} -C ${this.configFile})`),
      // a conntrackd whose agent was killed holds the lock file, which would stop the next one
      beforeStart: async () => {
        await stopLeftovers([this.pidFile], 'conntrackd', (message) => this.#options.log.info(message))
        await rm(this.lockFile, { force: true })
        await rm(this.socket, { force: true })
      },
      started: (pid) => writeFile(this.pidFile, `${pid}\n`),
      log: options.log
    })
  }

  get running (): boolean {
    return this.#daemon.running
  }

  /** What keepalived runs, with `primary` or `backup` appended, on a state change; null when conntrackd is not wanted. */
  notifyCommand (properties: Properties, services: readonly Service[] = []): readonly string[] | null {
    return conntrackdWanted(properties, services) === null ? null : [process.execPath, CONNTRACKD_NOTIFY_PROGRAM, this.#binary(), this.configFile]
  }

  /** Brings conntrackd to `properties` and the service files' `services`: start, restart with a new file (it has no reload), stop, or nothing. */
  async apply (properties: Properties, services: readonly Service[] = []): Promise<'none' | 'start' | 'restart' | 'stop'> {
    const ha = conntrackdWanted(properties, services)
    if (ha === null) {
      if (!this.running) return 'none'
      await this.stop()
      return 'stop'
    }
    const local = ownLinkAddress(ha, ((this.#options.interfaces ?? networkInterfaces)()[ha.interface] ?? []) as InterfaceAddress[])
    if (local === null) {
      throw new L3lbError('L3LB_START_FAILED', `could not start L3LB: conntrackd sends from this node's own ${ha.peer.includes(':') ? 'IPv6' : 'IPv4'} address on ha_interface ${JSON.stringify(ha.interface)}, and it has none (only virtual or link-local ones, or no such interface)`)
    }
    const text = renderConntrackdConfig(ha, local, { lockFile: this.lockFile, socket: this.socket })
    if (this.running && text === this.#text) return 'none'
    const restart = this.running
    if (restart) await this.stop()
    await writeFile(`${this.configFile}.new`, text, { mode: 0o600 })
    await rename(`${this.configFile}.new`, this.configFile)
    this.#text = text
    await this.#daemon.start()
    return restart ? 'restart' : 'start'
  }

  /** Stops conntrackd; the standby's copy of the flows goes with it. */
  async stop (): Promise<void> {
    await this.#daemon.stop()
    this.#text = null
    await rm(this.pidFile, { force: true })
  }

  #binary (): string {
    return this.#options.binary ?? 'conntrackd'
  }
}
