/** The domain's words for a server's health and state as operators see them (`/api/outputs`, `/api/services`). */
import type { OutputName } from '../properties/model.js'
import type { AdminState } from './admin.js'

export type OutputHealth = 'up' | 'down'

/** An output's health and, when it is down, why (its last check, in the checker's words); '' when up or not known. */
export interface OutputReport {
  readonly health: OutputHealth
  readonly reason: string
}

/**
 * (SPEC §11) An enabled server of any service as the notices watch it: its health and why it
 * is down. The env file's outputs are servers of `default`.
 */
export interface ServerReport extends OutputReport {
  readonly service: string
  readonly server: string
  readonly address: string
  /** null: the port the client used. */
  readonly port: number | null
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
  readonly admin: AdminState
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
  /**
   * (SPEC §12) Servers gone from the service's file and out of traffic whose sessions have not
   * ended yet; each leaves once they have (or at server_timeout). Absent where nothing removes any.
   */
  readonly removing?: readonly RemovingServerStatus[]
}

/** (SPEC §12) A server being removed as `/api/services` shows it: state `removing`, and its sessions until it is gone. */
export interface RemovingServerStatus {
  readonly name: string
  readonly address: string
  /** null: the port the client used. */
  readonly port: number | null
  readonly state: 'removing'
  /** Active sessions, which it keeps until they end. */
  readonly sessions: number
  /** Seconds since it left the file. */
  readonly forSeconds: number
}
