/**
 * The TCP modes' half of the reconciler: makes HAProxy match the desired state.
 * Invariants: a job that fails leaves what was in force serving and the in-force record
 * unchanged; the config file on disk is always one HAProxy accepted and matches the
 * running HAProxy's admin state after each job. Called only by the Reconciler, one job
 * at a time.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises'
import { installConfigFile } from '../haproxy/config-file.js'
import { serversStateFor, type RuntimeApi } from '../haproxy/runtime-api.js'
import type { HaproxySupervisor } from '../haproxy/supervisor.js'
import type { OutputName } from '../properties/model.js'
import { renderHaproxyConfig, seedInConfig } from '../render/haproxy-config.js'
import type { DesiredState } from '../state/desired.js'

/** The backend that holds the outputs in haproxy.cfg. */
export const OUTPUTS_BACKEND = 'outputs'

export interface HaproxyPathDeps {
  readonly supervisor: HaproxySupervisor
  readonly runtime: RuntimeApi
  readonly log: { error (message: string): void }
  readonly binary?: string
  /** Runs just before each reload, while the old worker still answers (the counters keep its figures). */
  readonly beforeReload?: () => Promise<void>
}

/** Longer than HAProxy's two 5 s peers resync timeouts, after which a new worker counts as synced. */
const PEERS_SYNC_WAIT_MS = 12_000

/** What the last successful job put in force. */
interface InForce {
  readonly state: DesiredState
  readonly text: string
}

/** What a job did, for logs and tests. */
export type ReconcileAction = 'none' | 'start' | 'adopt' | 'runtime' | 'reload' | 'apply' | 'stop'

export class HaproxyPath {
  readonly #deps: HaproxyPathDeps
  #inForce: InForce | null = null

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

  /** Brings HAProxy to `state`: start, runtime API, reload, or nothing. */
  async apply (state: DesiredState): Promise<ReconcileAction> {
    const text = renderHaproxyConfig(state)
    const { supervisor } = this.#deps
    if (this.#inForce === null && await supervisor.adopt()) return await this.#adopt(state, text)
    const inForce = this.#inForce
    if (!supervisor.master.running || inForce === null) return await this.#start(state, text)
    if (text === inForce.text) return 'none'
    if (renderHaproxyConfig({ ...state, disabled: inForce.state.disabled }) === inForce.text) {
      return await this.#changeAdminState(inForce, state, text)
    }
    return await this.#reload(inForce, state, text)
  }

  async #start (state: DesiredState, text: string): Promise<ReconcileAction> {
    const { paths } = state
    await installConfigFile(text, paths.configFile, this.#deps.binary)
    // a fresh start carries no state of an earlier HAProxy: the config's admin state rules.
    // The format's version line and no server: an empty file makes HAProxy warn at every start
    await writeFile(paths.serverStateFile, '1\n', { mode: 0o600 })
    await this.#deps.supervisor.start()
    await copyFile(paths.configFile, paths.lastGoodConfigFile)
    this.#inForce = { state, text }
    return 'start'
  }

  // A HAProxy an earlier agent left running keeps serving: it gets the admin state of the
  // desired state through the runtime API, and a reload only when its file differs.
  async #adopt (state: DesiredState, text: string): Promise<ReconcileAction> {
    const running = await readFile(state.paths.configFile, 'utf8').catch(() => '')
    const { runtime } = this.#deps
    for (const output of seedInConfig(state) ? state.properties.outputs : []) {
      // an output the running file does not have yet comes with the reload below
      await runtime.setServerState(OUTPUTS_BACKEND, output.name, state.disabled.has(output.name) ? 'maint' : 'ready')
        .catch((error: unknown) => { if (running === text) throw error })
    }
    const adopted: InForce = { state: { ...state, disabled: new Set(state.disabled) }, text: running }
    if (running === text) {
      this.#inForce = { state, text }
      await copyFile(state.paths.configFile, state.paths.lastGoodConfigFile)
      return 'adopt'
    }
    // the file holds what the old agent wrote; what runs is that, with the admin state just set
    await copyFile(state.paths.configFile, state.paths.lastGoodConfigFile).catch(() => undefined)
    await this.#reload(adopted, state, text)
    return 'adopt'
  }

  // Only admin state differs: the runtime API, no reload; the file follows for the next start.
  async #changeAdminState (inForce: InForce, state: DesiredState, text: string): Promise<ReconcileAction> {
    const changed = adminChanges(inForce.state, state)
    const done: Array<[OutputName, boolean]> = []
    try {
      for (const [name, enabled] of changed) {
        await this.#deps.runtime.setServerState(OUTPUTS_BACKEND, name, enabled ? 'ready' : 'maint')
        done.push([name, enabled])
      }
      await installConfigFile(text, state.paths.configFile, this.#deps.binary)
      // a HAProxy restarted after a crash loads this file: it must not bring back the old admin state
      await this.#saveServersState(inForce, state)
    } catch (error) {
      for (const [name, enabled] of done.reverse()) {
        await this.#deps.runtime.setServerState(OUTPUTS_BACKEND, name, enabled ? 'maint' : 'ready').catch(() => undefined)
      }
      throw error
    }
    await copyFile(state.paths.configFile, state.paths.lastGoodConfigFile)
    this.#inForce = { state, text }
    return 'runtime'
  }

  // The configuration changed: keep health and admin state in the server-state file, then reload.
  async #reload (inForce: InForce, state: DesiredState, text: string): Promise<ReconcileAction> {
    const { paths } = state
    await installConfigFile(text, paths.configFile, this.#deps.binary)
    try {
      // the runtime first, so the saved server state already says what the new file says
      for (const [name, enabled] of adminChanges(inForce.state, state)) {
        await this.#deps.runtime.setServerState(OUTPUTS_BACKEND, name, enabled ? 'ready' : 'maint')
      }
      await this.#saveServersState(inForce, state)
      if (inForce.state.properties.mode === 'tcp_source') await this.#waitForPeersSync()
      await this.#deps.beforeReload?.().catch((error: unknown) => this.#deps.log.error(`counters before the reload: ${(error as Error).message}`))
      await this.#deps.supervisor.master.reload()
    } catch (error) {
      // the old worker keeps serving: put its configuration back so a restart runs the same
      await copyFile(paths.lastGoodConfigFile, paths.configFile)
      throw error
    }
    await copyFile(paths.configFile, paths.lastGoodConfigFile)
    this.#inForce = { state, text }
    return 'reload'
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

  // HAProxy's live health and admin state, less the servers whose address (or port) the new state changes
  async #saveServersState (inForce: InForce, state: DesiredState): Promise<void> {
    const sameAddress = (row: Readonly<Record<string, string>>): boolean => {
      const before = serverTarget(inForce.state, row.be_name ?? '', row.srv_name ?? '')
      const after = serverTarget(state, row.be_name ?? '', row.srv_name ?? '')
      return before !== null && before === after
    }
    const text = serversStateFor(await this.#deps.runtime.serversStateText(), sameAddress)
    await writeFile(state.paths.serverStateFile, text, { mode: 0o600 })
  }
}

/** Where a server of `backend` sends (`address` or `address:port`), or null when the state has no such server. */
function serverTarget (state: DesiredState, backend: string, server: string): string | null {
  if (backend === OUTPUTS_BACKEND) return state.properties.outputs.find((output) => output.name === server)?.address ?? null
  const found = state.services.find((service) => service.name === backend)?.servers.find((candidate) => candidate.name === server)
  return found === undefined ? null : `${found.address}:${String(found.port)}`
}

/** Outputs connected in both states, and in HAProxy's, whose enabled/disabled state differs, with the new value. */
function adminChanges (before: DesiredState, after: DesiredState): Array<[OutputName, boolean]> {
  if (!seedInConfig(before) || !seedInConfig(after)) return []
  const connectedBefore = new Set(before.properties.outputs.map((output) => output.name))
  return after.properties.outputs
    .filter((output) => connectedBefore.has(output.name) && before.disabled.has(output.name) !== after.disabled.has(output.name))
    .map((output) => [output.name, !after.disabled.has(output.name)])
}
