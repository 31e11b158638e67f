/**
 * The TCP services' half of the reconciler: makes HAProxy match the desired state by running
 * the steps planHaproxy gives (haproxy-plan.ts: the plan is data; this file executes it).
 * Invariants: a job that fails leaves what was in force serving and the in-force record
 * unchanged; the config file on disk is always one HAProxy accepted, or one that differs from
 * it only in servers' admin state, and matches the running HAProxy's admin state after each
 * job; an admin change runs no process. Called only by the Reconciler, one job at a time.
 */
import { copyFileSync } from 'node:fs'
import { copyFile, readFile, writeFile } from 'node:fs/promises'
import type { Log } from '../model/log.js'
import { installConfigFile, writeConfigFile } from '../haproxy/config-file.js'
import { serversStateFor, type RuntimeApi } from '../haproxy/runtime-api.js'
import type { HaproxySupervisor } from '../haproxy/supervisor.js'
import { haproxyServers, OUTPUTS_BACKEND, planAction, planHaproxy, planReload, undoAdmin, type HaproxyInForce, type HaproxyStep } from './haproxy-plan.js'
import { renderHaproxyConfig } from '../render/haproxy-config.js'
import { writeFileAtomically } from '../state/atomic-file.js'
import type { DesiredState } from '../state/desired.js'
import { serverKey } from '../state/server-key.js'
import { sameServers } from '../state/server-targets.js'

export { OUTPUTS_BACKEND } from './haproxy-plan.js'

export interface HaproxyPathDeps {
  readonly supervisor: HaproxySupervisor
  readonly runtime: RuntimeApi
  readonly log: Pick<Log, 'error'>
  readonly binary?: string
  /** Runs just before each reload, while the old worker still answers (the counters keep its figures). */
  readonly beforeReload?: () => Promise<void>
}

/** Longer than HAProxy's two 5 s peers resync timeouts, after which a new worker counts as synced. */
const PEERS_SYNC_WAIT_MS = 12_000

/** What a job did, for logs and tests. */
export type ReconcileAction = 'none' | 'start' | 'adopt' | 'runtime' | 'reload' | 'apply' | 'stop'

export class HaproxyPath {
  readonly #deps: HaproxyPathDeps
  #inForce: HaproxyInForce | null = null

  constructor (deps: HaproxyPathDeps) {
    this.#deps = deps
  }

  /** Whether HAProxy is (meant to be) running. */
  get active (): boolean {
    return this.#inForce !== null
  }

  /** Stops HAProxy; what it served stops. */
  async stop (): Promise<void> {
    await this.#deps.supervisor.stop()
    this.#inForce = null
  }

  /** Brings HAProxy to `state`: start, runtime API, reload, or nothing, as planHaproxy says. */
  async apply (state: DesiredState): Promise<ReconcileAction> {
    const text = renderHaproxyConfig(state)
    const { supervisor } = this.#deps
    if (this.#inForce === null && await supervisor.adopt()) return await this.#adopt(state, text)
    const inForce = supervisor.master.running ? this.#inForce : null
    const steps = planHaproxy(inForce, state, text)
    if (steps.length === 0) return 'none'
    await this.#run(steps, inForce, state, text)
    this.#inForce = { state, text }
    return planAction(steps)
  }

  // Runs a plan's steps in order. On a failure the admin changes made are put back and the
  // file in force goes back to the last one HAProxy took, so a restart runs what serves.
  async #run (steps: readonly HaproxyStep[], inForce: HaproxyInForce | null, state: DesiredState, text: string): Promise<void> {
    const { paths } = state
    const done: HaproxyStep[] = []
    try {
      for (const step of steps) {
        await this.#step(step, inForce, state, text)
        done.push(step)
      }
    } catch (error) {
      for (const step of undoAdmin(done)) await this.#step(step, inForce, state, text).catch(() => undefined)
      if (done.some((step) => step.kind === 'check-and-install' || step.kind === 'install-unchecked') && inForce !== null) {
        await copyFile(paths.lastGoodConfigFile, paths.configFile).catch(() => undefined)
      }
      throw error
    }
    // synchronous: a few kB in the page cache, where a thread-pool hop costs ms on a loaded machine
    copyFileSync(paths.configFile, paths.lastGoodConfigFile)
  }

  async #step (step: HaproxyStep, inForce: HaproxyInForce | null, state: DesiredState, text: string): Promise<void> {
    const { paths } = state
    switch (step.kind) {
      case 'check-and-install':
        return await installConfigFile(text, paths.configFile, this.#deps.binary)
      case 'install-unchecked':
        return writeConfigFile(text, paths.configFile)
      case 'clear-server-state':
        // the format's version line and no server: an empty file makes HAProxy warn at every start
        return await writeFile(paths.serverStateFile, '1\n', { mode: 0o600 })
      case 'start':
        return await this.#deps.supervisor.start()
      case 'set-admin':
        return await this.#deps.runtime.setServerState(step.backend, step.server, step.state)
      case 'save-server-state':
        // a HAProxy restarted after a crash, or the next worker, loads this file
        return await this.#saveServersState(inForce ?? { state, text }, state)
      case 'set-admin-and-save':
        return await this.#setAdminAndSave(step, inForce ?? { state, text }, state)
      case 'wait-peers-sync':
        return await this.#waitForPeersSync()
      case 'reload':
        await this.#deps.beforeReload?.().catch((error: unknown) => this.#deps.log.error(`counters before the reload: ${(error as Error).message}`))
        return await this.#deps.supervisor.master.reload()
    }
  }

  // A HAProxy an earlier agent left running keeps serving: it gets the admin state of the
  // desired state through the runtime API, and a reload only when its file differs.
  async #adopt (state: DesiredState, text: string): Promise<ReconcileAction> {
    const running = await readFile(state.paths.configFile, 'utf8').catch(() => '')
    const { runtime } = this.#deps
    for (const { backend, server, admin } of haproxyServers(state)) {
      // a server the running file does not have yet comes with the reload below
      await runtime.setServerState(backend, server, admin)
        .catch((error: unknown) => { if (running === text) throw error })
    }
    if (running === text) {
      this.#inForce = { state, text }
      await copyFile(state.paths.configFile, state.paths.lastGoodConfigFile)
      return 'adopt'
    }
    // the file holds what the old agent wrote; what runs is that, with the admin state just set
    await copyFile(state.paths.configFile, state.paths.lastGoodConfigFile).catch(() => undefined)
    const adopted: HaproxyInForce = { state: { ...state, disabled: new Set(state.disabled) }, text: running }
    await this.#run(planReload(adopted, state), adopted, state, text)
    this.#inForce = { state, text }
    return 'adopt'
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
      this.#writeServersState(inForce, state, await runtime.setServerStateAndShow(step.backend, step.server, step.state))
    } catch (error) {
      await runtime.setServerState(step.backend, step.server, step.previous).catch(() => undefined)
      throw error
    }
  }

  async #saveServersState (inForce: HaproxyInForce, state: DesiredState): Promise<void> {
    this.#writeServersState(inForce, state, await this.#deps.runtime.serversStateText())
  }

  // HAProxy's live health and admin state, less the servers whose address (or port) the new state changes
  #writeServersState (inForce: HaproxyInForce, state: DesiredState, showServersState: string): void {
    const same = sameServers(inForce.state, state)
    const sameAddress = (row: Readonly<Record<string, string>>): boolean => {
      const backend = row.be_name ?? ''
      const server = row.srv_name ?? ''
      return same.has(backend === OUTPUTS_BACKEND ? server : serverKey(backend, server))
    }
    writeFileAtomically(state.paths.serverStateFile, serversStateFor(showServersState, sameAddress))
  }
}
