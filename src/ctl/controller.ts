import type { CountersSnapshot } from '../counters/model.js'
import type { OutputName } from '../properties/model.js'
import type { PairSettings } from '../ha/pair-settings.js'

/**
 * Which servers a ctl request means: one channel (`outN`, or a service file's server with
 * `service`) or every server connected to an address; `service` (SPEC §11) narrows it to one
 * service, and without it a channel is the env file's own and an address is every service's.
 */
export type OutputSelector =
  | { readonly channel: string, readonly service?: string }
  | { readonly address: string, readonly service?: string }

/** The seed's ctl result codes (SPEC §5). */
export type CtlCode = 0 | 10 | 100

export interface AdminChangeResult {
  /** 0 = done, 10 = nothing changed (already in that state, or no connected output matches). */
  readonly code: 0 | 10
  readonly message: string
  /** The servers the request matched, by serverKey (`out2`, `web/web1`). */
  readonly outputs: readonly string[]
}

export type OutputHealth = 'up' | 'down'

/** An output's health and, when it is down, why (its last check, in the checker's words); '' when up or not known. */
export interface OutputReport {
  readonly health: OutputHealth
  readonly reason: string
}

/** An output's state as `/api/outputs` and `l3lb status` show it: its health, or disabled or draining through ctl. */
export type OutputState = OutputHealth | 'disabled' | 'draining'

/** One connected output as the agent runs it: what an operator asks first when one fails. */
export interface OutputView {
  readonly name: OutputName
  readonly address: string
  readonly backup: boolean
  readonly state: OutputState
  /** Why it is down, in the checker's words; while up (TCP modes), that its checks are failing; '' otherwise. */
  readonly reason: string
  /** Seconds since the state last changed; null when the agent has not seen it change. */
  readonly forSeconds: number | null
}

/** (SPEC §11) A server as `/api/services` shows it. */
export interface ServerStatus {
  readonly name: string
  readonly address: string
  /** null: the port the client used. */
  readonly port: number | null
  readonly weight: number
  readonly role: 'primary' | 'backup'
  readonly admin: 'enabled' | 'disabled' | 'draining'
  /** Its last check's verdict (kept while disabled); `up` where nothing checks it. */
  readonly health: OutputHealth
  /** Active sessions (TCP); null in a UDP service, whose flows /api/counters counts. */
  readonly sessions: number | null
}

/** (SPEC §11) A service as `/api/services` shows it. */
export interface ServiceStatus {
  readonly name: string
  readonly mode: string
  /** As in the files: `80,443`, `5060-5070`. */
  readonly ports: string
  /** Where it listens; empty: every address. */
  readonly addresses: readonly string[]
  readonly servers: readonly ServerStatus[]
}

/**
 * What the ctl service asks of the agent: the seam between HTTP and the system.
 * Errors thrown are L3lbError and become code 100 answers.
 */
export interface CtlController {
  /**
   * Enable (true) or disable (false) the selected outputs; takes effect at once and persists.
   * `origin` is `peer` when the HA peer forwarded the request (only with `ha`).
   */
  setEnabled (selector: OutputSelector, enabled: boolean, origin?: ChangeOrigin): Promise<AdminChangeResult>
  /** (SPEC §11) Drains the selected servers: no new sessions, those they have finish; persists. */
  setDraining (selector: OutputSelector): Promise<AdminChangeResult>
  /**
   * Health of every connected, enabled output, in outN order; with `service` (SPEC §11), of
   * that service's enabled servers by name. Throws CtlRequestError 404 for an unknown service.
   */
  status (service?: string): Promise<ReadonlyMap<string, OutputHealth>>
  /** Every connected output, enabled or not, in outN order (`/api/outputs`). */
  outputs (): Promise<readonly OutputView[]>
  /** (SPEC §11) Every service and its servers with their state (`/api/services`); one stats-socket round trip. */
  services (): Promise<readonly ServiceStatus[]>
  /** The seed's counters now (SPEC §6); one stats-socket round trip in the TCP modes. */
  counters (): Promise<CountersSnapshot>
}

/** Who asked for an enable or disable: a client, or (HA) the standby forwarding a client's request. */
export type ChangeOrigin = 'client' | 'peer'

/** (HA) This node's part in the pair: `active` holds the virtual addresses (VRRP MASTER). */
export type NodeRole = 'active' | 'standby'

/** (HA) The header a standby sets on a request it forwards to the active node. */
export const FORWARDED_HEADER = 'x-l3lb-forwarded'

/**
 * (HA) What the ctl service asks of the agent beyond CtlController when ha_vip is set:
 * the node's role, and the whole admin state read and replaced between the two nodes.
 */
export interface HaController {
  role (): NodeRole
  /** The servers disabled through ctl on this node, by serverKey, outN first. */
  disabled (): readonly string[]
  /** The shared settings this node runs (`/api/admin`), which the active node decides. */
  settings (): PairSettings
  /**
   * Replaces the whole admin state with the peer's (`/api/sync`); refused on the active node.
   * `digest` is the active node's settings digest: unlike this node's, its settings are fetched.
   */
  replaceDisabled (disabled: readonly string[], digest?: string): Promise<AdminChangeResult>
}
