/**
 * keepalived as a child of the agent, beside HAProxy: renders its configuration, starts it in
 * the foreground with its files in the runtime folder, applies changes with SIGHUP, restarts
 * it with backoff when it dies, and stops it first on the way out so the virtual addresses
 * move to the peer at once.
 * Invariants: at most one keepalived per Keepalived; the file on disk is the one in force;
 * a keepalived left by an agent that was killed is stopped before a new one starts.
 */
import { writeFile, rename } from 'node:fs/promises'
import type { Log } from '../model/log.js'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { L3lbError } from '../errors.js'
import { findProgram } from '../process/find-program.js'
import { SupervisedDaemon } from '../process/supervised-daemon.js'
import { stopLeftovers } from '../process/leftover.js'
import type { HaSettings, Mode, Service } from '../properties/model.js'
import { runsHaproxy } from '../properties/service-file.js'
import { renderKeepalivedConfig, VRRP_INSTANCE } from './keepalived-config.js'
import { ownLinkAddress, type InterfaceAddress } from '../properties/link-address.js'

/** The script keepalived runs, with /bin/sh, to check HAProxy: `health-check.sh SOCAT STATS_SOCKET`. */
export const HEALTH_CHECK_SCRIPT = fileURLToPath(new URL('../../../appliance/health-check.sh', import.meta.url))

export interface KeepalivedOptions {
  readonly runtimeDir: string
  /** HAProxy's stats socket, which the health check asks. */
  readonly statsSocket: string
  /** The keepalived program; `keepalived` from PATH by default. */
  readonly binary?: string
  /** The socat program the health check uses; found on the PATH by default. */
  readonly socat?: string
  readonly log: Pick<Log, 'info' | 'error'>
  /** Called when keepalived reports a new VRRP state (the failover notices hang on this). */
  readonly onState?: (state: VrrpState, previous: VrrpState) => void
}

/** The VRRP state keepalived last reported, `unknown` before its first report. */
export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'unknown'

// gratuitous ARP and neighbour adverts come by the dozen on each change: not worth a log line each
const QUIET = /Sending (?:gratuitous ARP|unsolicited Neighbour Advert)/
// keepalived -l prefixes each line with the date: the agent's log has its own
const DATE_PREFIX = /^\w{3} \w{3} +\d+ [\d:]+ \d{4}: /

export class Keepalived {
  readonly configFile: string
  readonly pidFile: string
  readonly vrrpPidFile: string
  readonly #options: KeepalivedOptions
  readonly #daemon: SupervisedDaemon
  #text: string | null = null
  #state: VrrpState = 'unknown'

  constructor (options: KeepalivedOptions) {
    this.#options = options
    this.configFile = join(options.runtimeDir, 'keepalived.conf')
    this.pidFile = join(options.runtimeDir, 'keepalived.pid')
    this.vrrpPidFile = join(options.runtimeDir, 'keepalived-vrrp.pid')
    const entered = new RegExp(`^\\(${VRRP_INSTANCE}\\) Entering (MASTER|BACKUP|FAULT) STATE`)
    this.#daemon = new SupervisedDaemon({
      name: 'keepalived',
      // setpriv (util-linux) asks the kernel to SIGTERM keepalived when the agent dies: a node
      // whose agent was killed (its HAProxy unsupervised, maybe dead) gives the addresses away at once
      binary: 'setpriv',
      args: ['--pdeathsig', 'TERM', '--', options.binary ?? 'keepalived', '-n', '-l', '-G', '-P', '-f', this.configFile, '-p', this.pidFile, '-r', this.vrrpPidFile],
      isReady: (line) => entered.test(withoutDate(line)),
      notReady: 'reported no VRRP state',
      onLine: (raw) => {
        const line = withoutDate(raw)
        const state = entered.exec(line)?.[1] as VrrpState | undefined
        if (state !== undefined && state !== this.#state) {
          const previous = this.#state
          this.#state = state
          this.#options.onState?.(state, previous)
        }
        if (line !== '' && !QUIET.test(line)) this.#options.log.info(`keepalived: ${line}`)
      },
      missing: () => new L3lbError('L3LB_PROGRAM_MISSING', 'setpriv is not installed (keepalived is started through it): install Debian\'s util-linux package'),
      // a keepalived whose agent was killed still holds the pid files (and maybe the addresses)
      beforeStart: () => stopLeftovers([this.pidFile, this.vrrpPidFile], 'keepalived', (message) => this.#options.log.info(message)),
      exited: () => { this.#state = 'unknown' },
      log: options.log
    })
  }

  /** The VRRP state of this node as keepalived last logged it. */
  get state (): VrrpState {
    return this.#state
  }

  get running (): boolean {
    return this.#daemon.running
  }

  /**
   * Brings keepalived to `ha`: start, SIGHUP with a new file, stop (null), or nothing. HAProxy
   * is tracked wherever it runs: the env file's `mode` is TCP or one of `services` is (a
   * udp_roundrobin node without a TCP service file runs none); `notifyCommand` runs with
   * `primary` or `backup` on each state change (conntrackd's sync), null for none.
   */
  async apply (ha: HaSettings | null, { mode, notifyCommand, services = [] }: { mode: Mode, notifyCommand: readonly string[] | null, services?: readonly Pick<Service, 'mode'>[] } = { mode: 'tcp_roundrobin', notifyCommand: null }): Promise<'none' | 'start' | 'reload' | 'stop'> {
    if (ha === null) {
      if (!this.running) return 'none'
      await this.stop()
      return 'stop'
    }
    const check = runsHaproxy(mode, services) ? ['/bin/sh', HEALTH_CHECK_SCRIPT, await this.#socat(), this.#options.statsSocket] : null
    const source = ownLinkAddress(ha, (networkInterfaces()[ha.interface] ?? []) as InterfaceAddress[])
    const text = renderKeepalivedConfig(ha, { check, notify: notifyCommand, source })
    if (this.running && text === this.#text) return 'none'
    await this.#install(text)
    this.#text = text
    if (this.running) {
      this.#daemon.signal('SIGHUP')
      return 'reload'
    }
    await this.#daemon.start()
    return 'start'
  }

  /** Stops keepalived; it gives the virtual addresses up (priority 0), so the peer takes them at once. */
  async stop (): Promise<void> {
    await this.#daemon.stop()
    this.#text = null
    this.#state = 'STOP'
  }

  // `keepalived -t` first, so a file it refuses never replaces the one in force
  // checked at each apply: without socat the check fails every second and the node stays in FAULT
  async #socat (): Promise<string> {
    const path = await findProgram(this.#options.socat ?? 'socat')
    if (path === null) throw new L3lbError('L3LB_PROGRAM_MISSING', `${SOCAT_MISSING} (looked for ${this.#options.socat ?? 'socat on the PATH'})`)
    return path
  }

  async #install (text: string): Promise<void> {
    const candidate = `${this.configFile}.new`
    await writeFile(candidate, text, { mode: 0o600 })
    const checked = await execa(this.#options.binary ?? 'keepalived', ['-t', '-f', candidate], { reject: false, timeout: 10_000 })
    if (checked.failed) {
      throw programError(checked, `keepalived refused the rendered configuration: ${(checked.stderr || checked.stdout).trim().split('\n').slice(-5).join('\n')}`)
    }
    await rename(candidate, this.configFile)
  }
}

const MISSING = 'keepalived is not installed (ha_vip needs it): install Debian\'s keepalived package'
const SOCAT_MISSING = 'socat is not installed (ha_vip in a TCP mode checks HAProxy with it every second): install Debian\'s socat package'

function withoutDate (line: string): string {
  return line.replace(DATE_PREFIX, '').trim()
}

function programError (result: { code?: string, originalMessage?: string }, message: string): L3lbError {
  if (result.code === 'ENOENT' || /ENOENT/.test(result.originalMessage ?? '')) return new L3lbError('L3LB_PROGRAM_MISSING', MISSING)
  return new L3lbError('L3LB_START_FAILED', `could not start L3LB: ${message}`)
}
