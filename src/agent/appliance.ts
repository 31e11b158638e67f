/**
 * The running appliance: owns the desired state and hands every change to the reconciler.
 * Invariant: changes to the desired state happen one at a time, and the desired state
 * only moves forward once the system and the saved state both hold it.
 */
import { forEachInSlices } from '../process/slices.js'
import { defaultService } from '../properties/configuration.js'
import { isUdpMode } from '../properties/service-file.js'
import { portRangeText } from '../render/addresses.js'
import { L3lbError } from '../errors.js'
import type { RuntimeApi } from '../haproxy/runtime-api.js'
import type { Limits } from '../limits/model.js'
import { DEFAULT_SERVICE, type Output, type OutputName, type Properties, type Service } from '../properties/model.js'
import type { ChangeQueue } from '../reconcile/change-queue.js'
import { OUTPUTS_BACKEND, type ReconcileAction, type Reconciler } from '../reconcile/reconciler.js'
import { saveAdminState } from '../state/admin-store.js'
import { sameServers } from '../state/server-targets.js'
import { desiredState, withDisabled, withDraining, withEnabled, withHealth, type DesiredState } from '../state/desired.js'
import { selectServers } from '../state/select-servers.js'
import { fileServerKey, serverKey, sortedKeys, type ServerKey } from '../state/server-key.js'
import { unknownServiceError } from '../ctl/request-error.js'
import { changedOutputs, outputStateIn } from '../state/output-changes.js'
import { downReason, outputHealth, secondsSinceChange, serverHealth, upReason } from '../haproxy/server-status.js'
import type { AdminChangeResult, OutputSelector } from '../model/admin.js'
import type { OutputHealth, OutputReport, OutputState, OutputView, ServerReport, ServiceStatus } from '../model/health.js'
import { findRow, type Row } from '../haproxy/parse.js'
import { nodeParts } from '../render/node-files.js'
import { addServiceReports, unansweredPings } from './server-reports.js'

export class Appliance {
  #desired: DesiredState
  readonly #reconciler: Reconciler
  readonly #runtime: RuntimeApi
  readonly #queue: ChangeQueue
  // (udp_roundrobin) when each output last changed state, as this agent saw it; HAProxy keeps its own
  readonly #changedAt = new Map<OutputName, number>()

  constructor (desired: DesiredState, reconciler: Reconciler, runtime: RuntimeApi, queue: ChangeQueue) {
    this.#desired = desired
    this.#reconciler = reconciler
    this.#runtime = runtime
    this.#queue = queue
  }

  get desired (): DesiredState {
    return this.#desired
  }

  /** Brings the system to the current desired state (at boot). */
  async start (): Promise<ReconcileAction> {
    return await this.#oneAtATime(() => this.#reconciler.apply(this.#desired))
  }

  /**
   * New properties, limits and service files' services (SIGHUP, the pair's settings): applied
   * whole or not at all; admin state is kept. Runs inside the caller's job of the change queue
   * (the agent's SIGHUP or pair-settings job, which changes keepalived and the rest with it).
   */
  async reconfigure (properties: Properties, limits: Limits, services: readonly Service[]): Promise<ReconcileAction> {
    const next = desiredState(properties, limits, this.#desired.disabled, this.#desired.paths, this.#keptDown({ properties, services }), services, this.#desired.draining)
    const action = await this.#reconciler.apply(next)
    this.#become(next)
    return action
  }

  async setEnabled (selector: OutputSelector, enabled: boolean): Promise<AdminChangeResult> {
    return await this.#oneAtATime(async () => {
      const state = this.#desired
      const selected = selectServers(state, selector)
      const verb = enabled ? 'enabled' : 'disabled'
      if (selected === null) return { code: 10, message: `nothing changed: no service is named ${JSON.stringify(selector.service ?? '')}`, outputs: [] }
      const matched = selected.map((server) => server.key)
      if (matched.length === 0) {
        const within = selector.service === undefined ? '' : ` in service ${selector.service}`
        const what = 'channel' in selector
          ? selector.service === undefined ? `output ${selector.channel} is not connected` : `service ${selector.service} has no server ${selector.channel}`
          : `no connected output has address ${selector.address}${within}`
        return { code: 10, message: `nothing changed: ${what}`, outputs: [] }
      }
      // an enable also ends a drain; a disable of a draining server disables it
      const changing = matched.filter((key) => enabled ? state.disabled.has(key) || state.draining.has(key) : !state.disabled.has(key))
      if (changing.length === 0) return { code: 10, message: `nothing changed: ${matched.join(', ')} already ${verb}`, outputs: matched }
      await this.#commitAdmin(state, withEnabled(state, changing, enabled))
      return { code: 0, message: `${changing.join(', ')} ${verb}`, outputs: matched }
    })
  }

  /**
   * (SPEC §11) Drains the selected servers: no new sessions or flows, those they have finish;
   * `/api/enable` ends it. One disabled or draining already is left as it is (code 10).
   */
  async setDraining (selector: OutputSelector): Promise<AdminChangeResult> {
    return await this.#oneAtATime(async () => {
      const state = this.#desired
      const selected = selectServers(state, selector)
      if (selected === null) return { code: 10, message: `nothing changed: no service is named ${JSON.stringify(selector.service ?? '')}`, outputs: [] }
      const matched = selected.map((server) => server.key)
      if (matched.length === 0) return { code: 10, message: 'nothing changed: no connected server matches', outputs: [] }
      const changing = matched.filter((key) => !state.disabled.has(key) && !state.draining.has(key))
      if (changing.length === 0) return { code: 10, message: `nothing changed: ${matched.join(', ')} already draining or disabled`, outputs: matched }
      await this.#commitAdmin(state, withDraining(state, changing))
      return { code: 0, message: `${changing.join(', ')} draining`, outputs: matched }
    })
  }

  /** (HA) Makes exactly these servers (serverKey) the disabled ones, and when given these the draining ones: the active peer's whole admin state. */
  async replaceDisabled (disabled: readonly string[], draining?: readonly string[]): Promise<AdminChangeResult> {
    return await this.#oneAtATime(async () => {
      const state = this.#desired
      const next = withDisabled(state, disabled, draining)
      const listed = sortedKeys(next.disabled)
      const shown = `${listed.length === 0 ? 'none' : listed.join(', ')}${draining === undefined ? '' : `; draining ${next.draining.size === 0 ? 'none' : sortedKeys(next.draining).join(', ')}`}`
      if (sameSet(next.disabled, state.disabled) && sameSet(next.draining, state.draining)) {
        return { code: 10, message: `nothing changed: disabled already ${shown}`, outputs: listed }
      }
      await this.#commitAdmin(state, next)
      return { code: 0, message: `disabled now ${shown}`, outputs: listed }
    })
  }

  // The file and what runs change together and the answer waits for both: the save's disk
  // wait overlaps HAProxy's round trip (docs/ctl.md). Whichever fails, the other is put back.
  // A crash between the two leaves the file's admin state, which the next start gives HAProxy.
  async #commitAdmin (state: DesiredState, next: DesiredState): Promise<void> {
    const file = state.paths.adminStateFile
    const saved = saveAdminState(file, next).then(() => null, (error: unknown) => ({ error }))
    const applied = await this.#reconciler.apply(next).then(() => null, (error: unknown) => ({ error }))
    const notSaved = await saved
    if (applied !== null) {
      if (notSaved === null) await saveAdminState(file, state).catch(() => undefined)
      throw applied.error
    }
    if (notSaved !== null) {
      await this.#reconciler.apply(state).catch(() => undefined)
      throw notSaved.error
    }
    this.#become(next)
  }

  /** An output's (or a UDP service file server's) health as the agent's own checks found it; applied at once. */
  async setHealth (output: OutputName | ServerKey, health: OutputHealth): Promise<void> {
    await this.#oneAtATime(async () => {
      const next = withHealth(this.#desired, output, health)
      await this.#reconciler.apply(next)
      this.#become(next)
    })
  }

  /** The health of every enabled output of the env file's service, or (SPEC §11) of a service file's servers. */
  async status (service?: string): Promise<ReadonlyMap<string, OutputHealth>> {
    if (service === undefined || service === DEFAULT_SERVICE) return new Map([...await this.reports()].map(([output, report]) => [output, report.health]))
    const state = this.#desired
    const found = state.services.find((candidate) => candidate.name === service)
    if (found === undefined) throw unknownServiceError(service, state.services.map((candidate) => candidate.name))
    const enabled = found.servers.filter((server) => !state.disabled.has(serverKey(found.name, server.name)) && !state.draining.has(serverKey(found.name, server.name)))
    if (isUdpMode(found.mode)) return new Map(enabled.map((server) => [server.name, state.down.has(fileServerKey(found.name, server.name)) ? 'down' : 'up']))
    // every server row: a service's frontend and backend share its name, and HAProxy's `show stat NAME` gives the first only
    const rows = await this.#runtime.showServerStats()
    return new Map(enabled.map((server) => {
      const row = findRow(rows, found.name, server.name)
      return [server.name, row === undefined ? 'down' : outputHealth(row.status ?? '')]
    }))
  }

  /** (SPEC §11) Every service that listens, the env file's first, with every server's state: one `show stat` of the servers. */
  async services (): Promise<ServiceStatus[]> {
    const state = this.#desired
    const services: Array<{ name: string, backend: string, service: Service }> = [
      ...(state.properties.outputs.length > 0 ? [{ name: DEFAULT_SERVICE, backend: OUTPUTS_BACKEND, service: defaultService(state.properties, '') }] : []),
      ...state.services.map((service) => ({ name: service.name, backend: service.name, service }))
    ]
    const tcp = services.some(({ service }) => !isUdpMode(service.mode))
    const rows = tcp ? await this.#runtime.showServerStats() : []
    const removing = this.#reconciler.removing()
    const now = Date.now()
    return services.map(({ name, backend, service }) => ({
      name,
      mode: service.mode,
      ports: service.ports.map(portRangeText).join(','),
      addresses: service.inAddrs,
      servers: service.servers.map((server) => {
        const key = serverKey(name, server.name)
        const udp = isUdpMode(service.mode)
        const row = udp ? undefined : findRow(rows, backend, server.name)
        const health: OutputHealth = udp ? ((state.down as ReadonlySet<string>).has(key) ? 'down' : 'up') : row === undefined ? 'down' : serverHealth(row)
        return {
          name: server.name,
          address: server.address,
          port: server.port,
          weight: server.weight,
          role: server.backup ? 'backup' : 'primary',
          admin: state.disabled.has(key) ? 'disabled' : state.draining.has(key) ? 'draining' : 'enabled',
          health,
          sessions: udp ? null : Number(row?.scur ?? 0) || 0
        }
      }),
      // (SPEC §12) out of the file and of traffic, its sessions not ended yet
      removing: removing.filter((server) => server.backend === backend).map((server) => {
        // one an old worker holds since a reload: its sessions as last counted there (the current worker has no such server)
        const sessions = server.worker === undefined ? Number(findRow(rows, backend, server.server)?.scur ?? 0) || 0 : server.sessions ?? 0
        return { name: server.server, address: server.address, port: server.port, state: 'removing' as const, sessions, forSeconds: Math.floor((now - server.since) / 1000) }
      })
    }))
  }

  /** Every connected, enabled output's health, and why when it is down: what the notices say. */
  async reports (): Promise<ReadonlyMap<OutputName, OutputReport>> {
    const reports = new Map<OutputName, OutputReport>()
    for (const view of await this.outputs()) {
      // an up output's failing checks are not a notice: it is up
      if (view.state !== 'disabled' && view.state !== 'draining') reports.set(view.name, { health: view.state, reason: view.state === 'down' ? view.reason : '' })
    }
    return reports
  }

  /**
   * (SPEC §11) Every enabled server of every service, by server key, with its health and why it
   * is down: what the notices watch. One `show stat` for all of them.
   */
  async serverReports (): Promise<ReadonlyMap<string, ServerReport>> {
    const state = this.#desired
    const rows = nodeParts(state).haproxy ? await this.#runtime.showServerStats() : []
    // every second, and at 256 services the reports took 2 ms: built in slices of the event loop's time, a ctl call waiting runs between them
    const reports = new Map<string, ServerReport>()
    for (const view of this.#outputViews(state, rows)) {
      if (view.state === 'disabled' || view.state === 'draining') continue
      reports.set(view.name, { service: DEFAULT_SERVICE, server: view.name, address: view.address, port: null, health: view.state, reason: view.state === 'down' ? view.reason : '' })
    }
    await forEachInSlices(state.services, (service) => { addServiceReports(reports, state, service, rows) })
    return reports
  }

  /** Every connected output, enabled or not: its state, why it is down (or failing, or coming back), and for how long. */
  async outputs (): Promise<OutputView[]> {
    const state = this.#desired
    return this.#outputViews(state, state.properties.mode === 'udp_roundrobin' || state.properties.outputs.length === 0 ? [] : await this.#runtime.showStat(OUTPUTS_BACKEND))
  }

  // the env file's outputs from one `show stat` (unused in udp_roundrobin, where the agent's checks decide)
  #outputViews (state: DesiredState, rows: readonly Row[]): OutputView[] {
    if (state.properties.mode === 'udp_roundrobin') {
      const unanswered = unansweredPings(state.properties.healthcheckFall)
      const now = Date.now()
      return state.properties.outputs.map((output) => {
        const current = outputStateIn(state, output.name) ?? 'up'
        const changedAt = this.#changedAt.get(output.name)
        const forSeconds = changedAt === undefined ? null : Math.floor((now - changedAt) / 1000)
        return outputView(output, current, current === 'down' ? unanswered : '', forSeconds)
      })
    }
    return state.properties.outputs.map((output) => {
      const row = findRow(rows, OUTPUTS_BACKEND, output.name)
      if (row === undefined) throw new L3lbError('L3LB_HAPROXY_SOCKET', `HAProxy does not report output ${output.name}`)
      const current = state.disabled.has(output.name) ? 'disabled' : state.draining.has(output.name) ? 'draining' : outputHealth(row.status ?? '')
      const reason = current === 'down' ? downReason(row) : current === 'up' ? upReason(row) : ''
      return outputView(output, current, reason, secondsSinceChange(row))
    })
  }

  // the one place the desired state moves forward: notes which outputs changed state, and when
  #become (next: DesiredState): void {
    const at = Date.now()
    for (const name of changedOutputs(this.#desired, next)) this.#changedAt.set(name, at)
    this.#desired = next
  }

  // after a reload, a server found down (udp_roundrobin's own checks) stays down while it is the same server
  #keptDown (next: Pick<DesiredState, 'properties' | 'services'>): Array<OutputName | ServerKey> {
    const same = sameServers(this.#desired, next)
    const checked = new Set([
      ...(next.properties.mode === 'udp_roundrobin' ? next.properties.outputs.map((output) => output.name) : []),
      ...next.services.filter((service) => isUdpMode(service.mode)).flatMap((service) => service.servers.map((server) => fileServerKey(service.name, server.name)))
    ])
    return [...this.#desired.down].filter((key) => same.has(key) && checked.has(key))
  }

  // every change of the desired state is a job of the agent's one queue (reconcile/change-queue.ts)
  #oneAtATime<T> (job: () => Promise<T>): Promise<T> {
    return this.#queue.run(job)
  }
}

function sameSet (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((name) => b.has(name))
}

// an output as /api/outputs shows it
function outputView (output: Output, state: OutputState, reason: string, forSeconds: number | null): OutputView {
  return { name: output.name, address: output.address, backup: output.backup, state, reason, forSeconds }
}
