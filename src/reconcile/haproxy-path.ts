/**
 * The TCP services' half of the reconciler: makes HAProxy match the desired state by running
 * the steps planHaproxy gives (haproxy-plan.ts: the plan is data; this file executes it).
 * Invariants: a job that fails leaves what was in force serving and the in-force record
 * unchanged; the config file on disk is always one HAProxy accepted, or one that differs from
 * it only in servers' admin state or in server lines its runtime API took (planServers); an
 * admin change or a server change runs no process. The config file matches the running
 * HAProxy after each job; so does the server-state file, except after an admin change: only a
 * HAProxy that starts or reloads reads it, so it is held in memory and written once the changes
 * pause (STATE_FILE_QUIET_MS, at most STATE_FILE_LATEST_MS later), and before the supervisor
 * starts a dead HAProxy again; every reload and server change writes it whole. Called only by
 * the Reconciler, one job at a time; the late write runs between jobs and writes only what is
 * in memory.
 */
import { copyFileSync } from 'node:fs'
import { copyFile, readFile, writeFile } from 'node:fs/promises'
import { L3lbError } from '../errors.js'
import type { Log } from '../model/log.js'
import { installConfigFile, writeConfigFile } from '../haproxy/config-file.js'
import type { RuntimeApi } from '../haproxy/runtime-api.js'
import { parseServersStateFile, serversOfState, serversStateFileText, withBackendLines, type KeepServer, type ServersStateFile } from '../haproxy/servers-state-file.js'
import type { HaproxySupervisor } from '../haproxy/supervisor.js'
import { haproxyServers, inForceText, isServerStep, onlyBackendOf, OUTPUTS_BACKEND, planAction, planHaproxy, planReload, sameConfigText, undoAdmin, type ConfigPieces, type HaproxyInForce, type HaproxyStep } from './haproxy-plan.js'
import { serversInOldWorker, serversLeftAtReload, serversNotInFile, ServerRemovals, type RemovingServer } from './server-removals.js'
import { OldWorkers } from '../haproxy/old-workers.js'
import { renderHaproxyConfigPieces } from '../render/haproxy-config.js'
import { writeFileAtomically } from '../state/atomic-file.js'
import type { DesiredState } from '../state/desired.js'
import { serverKey } from '../state/server-key.js'
import { sameServers } from '../state/server-targets.js'

export { OUTPUTS_BACKEND } from './haproxy-plan.js'

export interface HaproxyPathDeps {
  readonly supervisor: HaproxySupervisor
  readonly runtime: RuntimeApi
  readonly log: Pick<Log, 'info' | 'error'>
  readonly binary?: string
  /** Runs just before each reload, while the old worker still answers (the counters keep its figures). */
  readonly beforeReload?: () => Promise<void>
}

/** Longer than HAProxy's two 5 s peers resync timeouts, after which a new worker counts as synced. */
const PEERS_SYNC_WAIT_MS = 12_000

/**
 * After an admin change, the server-state file is written once no other admin change came for
 * this long, and at the latest this long after the first one: at 256 services, writing its
 * 1,000 lines on each enable or disable took 0.5 to 3 ms of a ctl call (the ctl latency aim,
 * SPEC §13). An agent that dies in between loses nothing: the admin state is in the admin-state
 * file and `disabled` in haproxy.cfg, and an agent that adopts HAProxy sets it again.
 */
export const STATE_FILE_QUIET_MS = 100
export const STATE_FILE_LATEST_MS = 1000

/** What a job did, for logs and tests. */
export type ReconcileAction = 'none' | 'start' | 'adopt' | 'runtime' | 'reload' | 'apply' | 'stop'

export class HaproxyPath {
  readonly #deps: HaproxyPathDeps
  readonly #removals: ServerRemovals
  readonly #oldWorkers: OldWorkers
  #inForce: HaproxyInForce | null = null
  // the server-state file as this path holds it (written, or due); null when it has no server to build on
  #stateFile: ServersStateFile | null = null
  // after an admin change: where the server-state file held in memory is still to be written
  #stateFileDue: string | null = null
  #dueSince = 0
  #stateFileTimer: NodeJS.Timeout | null = null

  constructor (deps: HaproxyPathDeps) {
    this.#deps = deps
    const master = deps.supervisor.master
    this.#oldWorkers = new OldWorkers(async (pid, command) => await master.askWorker(pid, command))
    this.#removals = new ServerRemovals(deps.runtime, deps.log, undefined, this.#oldWorkers)
    // a HAProxy started again after a crash loads the server-state file: what the admin changes made must be in it
    deps.supervisor.beforeRestart(() => { this.#writeStateFileDue() })
  }

  /** (SPEC §12) The servers out of the file and of traffic whose sessions have not ended yet. */
  removing (): readonly RemovingServer[] {
    return this.#removals.list()
  }

  /** Whether HAProxy is (meant to be) running. */
  get active (): boolean {
    return this.#inForce !== null
  }

  /** Stops HAProxy; what it served stops. */
  async stop (): Promise<void> {
    this.#dropStateFileDue()
    await this.#deps.supervisor.stop()
    this.#removals.clear()
    this.#inForce = null
    this.#stateFile = null
  }

  /** Brings HAProxy to `state`: start, runtime API, reload, or nothing, as planHaproxy says. */
  async apply (state: DesiredState): Promise<ReconcileAction> {
    // as bytes: what the file is written from and what stays in force until the next job (haproxy-plan.ts, ConfigText);
    // rendered only when the plan or a step needs it (a drain needs neither)
    let text: ConfigPieces | null = null
    const rendered = (): ConfigPieces => (text ??= renderHaproxyConfigPieces(state))
    const { supervisor } = this.#deps
    if (this.#inForce === null && await supervisor.adopt()) return await this.#adopt(state, rendered())
    const inForce = supervisor.master.running ? this.#inForce : null
    // an old worker's are its own: a name added again meets only the current worker's
    const removing = new Set(this.#removals.inCurrentWorker().map((server) => `${server.backend}/${server.server}`))
    let steps = planHaproxy(inForce, state, rendered, removing)
    if (steps.length === 0) {
      // the same text from new objects (a SIGHUP that changed nothing): in force from now on, so that the
      // next admin change is seen as one (onlyAdminDiffers compares by identity) and not planned as a reload
      if (inForce !== null) this.#inForce = { state, text: text ?? inForce.text }
      return 'none'
    }
    // the workers a reload of this job replaced: they keep the sessions of the servers being removed
    const replaced: number[] = []
    try {
      await this.#run(steps, inForce, state, rendered, replaced)
    } catch (error) {
      // a server change HAProxy refused at run time was undone: a reload is the safe way there (docs/runtime-changes.md)
      if (inForce === null || !steps.some(isServerStep)) throw error
      this.#deps.log.error(`servers not changed at run time (${(error as Error).message}); reloading instead`)
      steps = planReload(inForce, state)
      await this.#run(steps, inForce, state, rendered, replaced)
    }
    const now = Date.now()
    for (const step of steps) {
      if (step.kind === 'remove-server') this.#removals.add({ backend: step.backend, server: step.server, address: step.address, port: step.port, since: now, deadline: now + step.timeoutMs })
    }
    if (steps.some((step) => step.kind === 'start')) this.#removals.clear()
    else if (steps.some((step) => step.kind === 'reload')) await this.#afterReload(state, replaced[0], inForce === null ? [] : serversLeftAtReload(inForce.state, state, now))
    this.#inForce = { state, text }
    return planAction(steps)
  }

  // the servers being removed, and those this reload took out of the file (`left`), go on in the worker it replaced until their sessions end
  async #afterReload (state: DesiredState, oldWorker: number | undefined, left: readonly RemovingServer[]): Promise<void> {
    const named = new Set(state.services.flatMap((service) => service.servers.map((server) => serverKey(service.name, server.name))))
    await this.#removals.afterReload(oldWorker, left, (backend, server) => named.has(serverKey(backend, server))).catch((error: unknown) => {
      this.#deps.log.error(`servers being removed, after the reload: ${(error as Error).message}`)
    })
  }

  // Runs a plan's steps in order. On a failure the admin changes made are put back and the
  // file in force goes back to the last one HAProxy took, so a restart runs what serves.
  async #run (steps: readonly HaproxyStep[], inForce: HaproxyInForce | null, state: DesiredState, text: () => ConfigPieces, replaced: number[]): Promise<void> {
    const { paths } = state
    const done: HaproxyStep[] = []
    // after run-time server changes the live state already has the new addresses: keep every server's line
    const saveFrom = steps.some(isServerStep) ? { state, text: null } : inForce
    const backend = onlyBackendOf(steps)
    try {
      for (const step of steps) {
        await this.#step(step, saveFrom, state, text, replaced, backend)
        done.push(step)
      }
    } catch (error) {
      for (const step of undoAdmin(done)) await this.#step(step, inForce, state, text).catch(() => undefined)
      if (done.some(isServerStep)) await this.#saveServersState(inForce ?? { state, text: null }, inForce?.state ?? state).catch(() => undefined)
      if (done.some((step) => step.kind === 'check-and-install' || step.kind === 'install-unchecked') && inForce !== null) {
        try { writeConfigFile(inForceText(inForce), paths.configFile) } catch {} // the job's own error is the one to report
      }
      throw error
    }
    // a file HAProxy checked and took; an admin or server change's file is not copied (one disk write less on each)
    if (steps.some((step) => step.kind === 'check-and-install')) copyFileSync(paths.configFile, paths.lastGoodConfigFile)
  }

  // `backend`: the one backend the job changes at run time (onlyBackendOf), the only one whose state its save asks for
  async #step (step: HaproxyStep, inForce: HaproxyInForce | null, state: DesiredState, text: () => ConfigPieces, replaced: number[] = [], backend: string | null = null): Promise<void> {
    const { paths } = state
    switch (step.kind) {
      case 'check-and-install':
        return await installConfigFile(text(), paths.configFile, this.#deps.binary)
      case 'install-unchecked':
        return writeConfigFile(text(), paths.configFile)
      case 'clear-server-state':
        // the format's version line and no server: an empty file makes HAProxy warn at every start
        this.#stateFile = null
        this.#dropStateFileDue()
        return await writeFile(paths.serverStateFile, '1\n', { mode: 0o600 })
      case 'start':
        return await this.#deps.supervisor.start()
      case 'set-admin':
        return await this.#deps.runtime.setServerState(step.backend, step.server, step.state)
      case 'save-server-state':
        // a HAProxy restarted after a crash, or the next worker, loads this file
        return await this.#saveServersState(inForce ?? { state, text: null }, state, backend)
      case 'set-admin-and-save':
        return await this.#setAdminAndSave(step, inForce ?? { state, text: null }, state)
      case 'wait-peers-sync':
        return await this.#waitForPeersSync()
      case 'reload':
        await this.#deps.beforeReload?.().catch((error: unknown) => this.#deps.log.error(`counters before the reload: ${(error as Error).message}`))
        {
          const pids: readonly number[] | undefined = await this.#deps.supervisor.master.reload()
          if (pids !== undefined) replaced.push(...pids)
          return
        }
      case 'add-server':
        return await this.#addServer(step)
      case 'set-weight':
        return await this.#deps.runtime.setWeight(step.backend, step.server, step.weight)
      case 'set-addr':
        return await this.#deps.runtime.setAddress(step.backend, step.server, step.address, step.port)
      case 'set-maxconn':
        return await this.#deps.runtime.setServerMaxconn(step.backend, step.server, step.maxconn)
      case 'remove-server':
        // no new session at once, tcp_source's stuck clients included; the removals delete it once its sessions end
        return await this.#deps.runtime.setServerState(step.backend, step.server, 'maint')
      case 'delete-server':
        return await this.#deleteNow(step.backend, step.server)
    }
  }

  // a server added by a job that failed: out of traffic, its sessions shut, deleted
  async #deleteNow (backend: string, server: string): Promise<void> {
    const { runtime } = this.#deps
    await runtime.setServerState(backend, server, 'maint')
    await runtime.shutdownSessions(backend, server)
    if (!await runtime.deleteServer(backend, server)) throw new L3lbError('L3LB_HAPROXY_SOCKET', `HAProxy kept ${backend}/${server} after its sessions were shut`)
  }

  // created in maintenance with its checks off (HAProxy 2.6): checks on, then into traffic in its admin state
  async #addServer (step: Extract<HaproxyStep, { kind: 'add-server' }>): Promise<void> {
    const { runtime } = this.#deps
    await runtime.addServer(step.backend, step.server, step.target, step.settings)
    try {
      if (step.health) await runtime.enableHealth(step.backend, step.server)
      if (step.state !== 'maint') await runtime.setServerState(step.backend, step.server, step.state)
    } catch (error) {
      // half added is not added: the job fails whole
      await this.#deleteNow(step.backend, step.server).catch(() => undefined)
      throw error
    }
  }

  // A HAProxy an earlier agent left running keeps serving: it gets the admin state of the
  // desired state through the runtime API, and a reload only when its file differs.
  async #adopt (state: DesiredState, text: ConfigPieces): Promise<ReconcileAction> {
    const running = await readFile(state.paths.configFile).catch(() => Buffer.alloc(0))
    const { runtime } = this.#deps
    for (const { backend, server, admin } of haproxyServers(state)) {
      // a server the running file does not have yet comes with the reload below
      await runtime.setServerState(backend, server, admin)
        .catch((error: unknown) => { if (sameConfigText(running, text)) throw error })
    }
    // removals the old agent left under way (its memory only): out of new traffic, and finished by this one
    const lingering = serversNotInFile(serversOfState(await runtime.serversStateText().catch(() => '')), state, Date.now())
    for (const { backend, server } of lingering) await runtime.setServerState(backend, server, 'maint').catch(() => undefined)
    // and those it had handed to the workers its reloads replaced: finished there
    for (const server of await this.#serversInOldWorkers(state)) this.#removals.add(server)
    if (sameConfigText(running, text)) {
      this.#inForce = { state, text }
      await copyFile(state.paths.configFile, state.paths.lastGoodConfigFile)
      // the old agent may have died before writing its last admin changes there; a HAProxy restarted later loads it
      await this.#saveServersState(this.#inForce, state)
      for (const server of lingering) this.#removals.add(server)
      return 'adopt'
    }
    // the file holds what the old agent wrote; what runs is that, with the admin state just set
    await copyFile(state.paths.configFile, state.paths.lastGoodConfigFile).catch(() => undefined)
    const adopted: HaproxyInForce = { state: { ...state, disabled: new Set(state.disabled) }, text: running }
    const replaced: number[] = []
    await this.#run(planReload(adopted, state), adopted, state, () => text, replaced)
    this.#inForce = { state, text }
    await this.#afterReload(state, replaced[0], lingering)
    return 'adopt'
  }

  // the servers of no file that old workers still have sessions of, their deadlines counted from now; none when HAProxy cannot tell
  async #serversInOldWorkers (state: DesiredState): Promise<RemovingServer[]> {
    const found: RemovingServer[] = []
    for (const pid of await this.#deps.supervisor.master.oldWorkers().catch(() => [])) {
      const rows = await this.#oldWorkers.serverStats(pid).catch(() => null)
      if (rows !== null) found.push(...serversInOldWorker(pid, rows, state, Date.now()))
    }
    return found
  }

  // A worker younger than its peers resync timeouts (about 10 s) would hand an empty table on.
  async #waitForPeersSync (): Promise<void> {
    const deadline = Date.now() + PEERS_SYNC_WAIT_MS
    while (Date.now() < deadline) {
      if (await this.#deps.runtime.peersSynced()) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    this.#deps.log.error(`source-affinity table not settled after ${PEERS_SYNC_WAIT_MS} ms; reloading anyway, clients may change output`)
  }

  // a failure after HAProxy may have made the change puts the previous level back: the job fails whole
  async #setAdminAndSave (step: Extract<HaproxyStep, { kind: 'set-admin-and-save' }>, inForce: HaproxyInForce, state: DesiredState): Promise<void> {
    const { runtime } = this.#deps
    try {
      const backendState = await runtime.setServerStateAndShow(step.backend, step.server, step.state)
      const spliced = this.#withBackendState(backendState, step.backend, inForce, state)
      if (spliced === null) return this.#writeServersState(inForce, state, await runtime.serversStateText())
      // held now, written once the changes pause: only a HAProxy that starts or reloads reads it
      this.#stateFile = spliced
      this.#writeStateFileLater(state.paths.serverStateFile)
    } catch (error) {
      await runtime.setServerState(step.backend, step.server, step.previous).catch(() => undefined)
      throw error
    }
  }

  // with `backend`, the file written last with that backend's lines new, as an admin change does; else whole
  async #saveServersState (inForce: HaproxyInForce, state: DesiredState, backend: string | null = null): Promise<void> {
    const { runtime } = this.#deps
    const spliced = backend === null || this.#stateFile === null ? null : this.#withBackendState(await runtime.serversStateText(backend), backend, inForce, state)
    if (spliced !== null) return this.#writeStateFile(state, spliced)
    this.#writeServersState(inForce, state, await runtime.serversStateText())
  }

  // the file written last with `backend`'s lines from `backendState`; null when there is none to build on (then the state is saved whole)
  #withBackendState (backendState: string, backend: string, inForce: HaproxyInForce, state: DesiredState): ServersStateFile | null {
    return this.#stateFile === null ? null : withBackendLines(this.#stateFile, backendState, backend, keptServers(inForce, state))
  }

  // HAProxy's live health and admin state, less the servers whose address (or port) the new state changes
  #writeServersState (inForce: HaproxyInForce, state: DesiredState, showServersState: string): void {
    const file = parseServersStateFile(showServersState, keptServers(inForce, state))
    if (file !== null) return this.#writeStateFile(state, file)
    writeFileAtomically(state.paths.serverStateFile, '')
    this.#stateFile = null
    this.#dropStateFileDue()
  }

  #writeStateFile (state: DesiredState, file: ServersStateFile): void {
    writeFileAtomically(state.paths.serverStateFile, serversStateFileText(file))
    this.#stateFile = file
    this.#dropStateFileDue()
  }

  // written once the changes pause, at the latest STATE_FILE_LATEST_MS after the first
  #writeStateFileLater (file: string): void {
    this.#stateFileDue = file
    const now = Date.now()
    if (this.#stateFileTimer === null) this.#dueSince = now
    else clearTimeout(this.#stateFileTimer)
    const wait = Math.max(0, Math.min(STATE_FILE_QUIET_MS, this.#dueSince + STATE_FILE_LATEST_MS - now))
    this.#stateFileTimer = setTimeout(() => { this.#writeStateFileDue() }, wait).unref()
  }

  // between jobs: a file that cannot be written is logged; every reload and server change writes it whole again
  #writeStateFileDue (): void {
    const file = this.#stateFileDue
    this.#dropStateFileDue()
    if (file === null || this.#stateFile === null) return
    try {
      writeFileAtomically(file, serversStateFileText(this.#stateFile))
    } catch (error) {
      this.#deps.log.error(`could not write the server-state file ${file} after an admin change: ${(error as Error).message}`)
    }
  }

  #dropStateFileDue (): void {
    if (this.#stateFileTimer !== null) clearTimeout(this.#stateFileTimer)
    this.#stateFileTimer = null
    this.#stateFileDue = null
  }
}

// the servers whose saved state still applies: the same address in the state in force and the new one
function keptServers (inForce: HaproxyInForce, state: DesiredState): KeepServer {
  const same = sameServers(inForce.state, state)
  return (backend, server) => same.has(backend === OUTPUTS_BACKEND ? server : serverKey(backend, server))
}
