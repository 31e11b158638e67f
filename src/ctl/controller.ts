import type { CountersSnapshot } from '../counters/model.js'
import type { PairSettings } from '../properties/pair-settings.js'
import type { AdminChangeResult, OutputSelector } from '../model/admin.js'
import type { OutputHealth, OutputView, ServiceStatus } from '../model/health.js'
import type { ChangeOrigin, NodeRole } from '../model/pair.js'

/** The seed's ctl result codes (SPEC §5). */
export type CtlCode = 0 | 10 | 100

/**
 * What the ctl service asks of the agent: the seam between HTTP and the system.
 * Errors thrown are L3lbError and become code 100 answers.
 */
export interface CtlController {
  /**
   * Enable (true) or disable (false) the selected outputs; takes effect at once and persists.
   * `origin` is `forwarded` when the pair's standby forwarded a client's request (only with `ha`).
   */
  setEnabled (selector: OutputSelector, enabled: boolean, origin?: ChangeOrigin): Promise<AdminChangeResult>
  /**
   * (SPEC §11) Drains the selected servers: no new sessions, those they have finish; persists.
   * `origin` as for setEnabled (only with `ha`).
   */
  setDraining (selector: OutputSelector, origin?: ChangeOrigin): Promise<AdminChangeResult>
  /**
   * Health of every connected, enabled output, in outN order; with `service` (SPEC §11), of
   * that service's enabled servers by name. Throws CtlRequestError 404 for an unknown service.
   */
  status (service?: string): Promise<ReadonlyMap<string, OutputHealth>>
  /** Every connected output, enabled or not, in outN order (`/api/outputs`). */
  outputs (): Promise<readonly OutputView[]>
  /** (SPEC §11) Every service and its servers with their state (`/api/services`); one stats-socket round trip. */
  services (): Promise<readonly ServiceStatus[]>
  /**
   * The seed's counters now (SPEC §6), and (SPEC §11) every service file's in `services`; one
   * stats-socket round trip however many services.
   */
  counters (): Promise<CountersSnapshot>
}

/**
 * (HA) What the ctl service asks of the agent beyond CtlController when ha_vip is set:
 * the node's role, and the whole admin state read and replaced between the two nodes.
 */
export interface HaController {
  role (): NodeRole
  /** The servers disabled through ctl on this node, by serverKey, outN first. */
  disabled (): readonly string[]
  /** The servers draining through ctl on this node; undefined on a node that keeps no drain. */
  draining (): readonly string[] | undefined
  /** The shared settings this node runs (`/api/admin`), which the active node decides. */
  settings (): PairSettings
  /**
   * Replaces the whole admin state with the peer's (`/api/sync`): the disabled set, and the
   * draining one when given; refused on the active node. `digest` is the active node's
   * settings digest: unlike this node's, its settings are fetched.
   */
  replaceDisabled (disabled: readonly string[], digest?: string, draining?: readonly string[]): Promise<AdminChangeResult>
}

/** (console) What the web console reads beyond CtlController: kept by the agent in memory. */
export interface ConsoleSources {
  /** The last hour's notices, oldest first (`/api/notices`). */
  notices (): ReadonlyArray<Readonly<Record<string, unknown>>>
  /** Each TCP service's sessions per second over the last ten minutes, `[unixSeconds, perSecond]` oldest first (`/api/rates`). */
  rates (): Readonly<Record<string, ReadonlyArray<readonly [number, number]>>>
}
