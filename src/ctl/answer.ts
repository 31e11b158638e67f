import { countersDocument, defaultServiceDocument, serviceCountersDocument, type CountersDocument, type CountersSnapshot } from '../counters/model.js'
import { DEFAULT_SERVICE, OUTPUT_NAMES, type OutputName } from '../properties/model.js'
import type { CtlCode } from './controller.js'
import type { AdminChangeResult } from '../model/admin.js'
import type { OutputHealth, OutputState, OutputView } from '../model/health.js'
import type { NodeRole } from '../model/pair.js'
import { settingsDigest, type PairSettings } from '../properties/pair-settings.js'
import { unknownServiceError } from './request-error.js'

/** The seed's answer body: `{"status":{"code":N,"message":"..."}}`, plus a member per server (`outN`) for /api/status. */
export interface CtlAnswer {
  readonly status: { readonly code: CtlCode, readonly message: string } & Partial<Record<string, unknown>> & HaMembers
}

/** (HA) What /api/status and /api/admin add when ha_vip is set. */
interface HaMembers {
  readonly role?: NodeRole
  readonly disabled?: readonly string[]
  /** /api/admin: the servers draining through ctl (a node that keeps a drain). */
  readonly draining?: readonly string[]
  /** /api/admin: the shared settings this node runs (its service files' entries in `services`), and their digest. */
  readonly settings?: PairSettings
  readonly digest?: string
}

/** An answer with only a code and a message. */
export function answer (code: CtlCode, message: string): CtlAnswer {
  return { status: { code, message } }
}

/** The answer to an enable or disable: the controller's own code and message. */
export function changeAnswer (result: AdminChangeResult): CtlAnswer {
  return answer(result.code, result.message)
}

/** The answer to /api/status: code 0 and one `name: "up" | "down"` member per server: outN in outN order, then a service file's in the order given. */
export function statusAnswer (health: ReadonlyMap<string, OutputHealth>, role?: NodeRole): CtlAnswer {
  const outputs = OUTPUT_NAMES.filter((name) => health.has(name)).map((name) => [name, health.get(name)] as const)
  const others = [...health].filter(([name]) => !(OUTPUT_NAMES as readonly string[]).includes(name))
  return { status: { code: 0, message: '', ...(role === undefined ? {} : { role }), ...Object.fromEntries([...outputs, ...others]) } }
}

/** (HA) The answer to /api/admin: the node's disabled (and draining) servers, its role and its shared settings. */
export function adminAnswer (disabled: readonly string[], role: NodeRole, settings: PairSettings, draining?: readonly string[]): CtlAnswer {
  return { status: { code: 0, message: '', disabled, ...(draining === undefined ? {} : { draining }), role, settings, digest: settingsDigest(settings) } }
}

/** One output in the answer to /api/outputs: the seed's JSON names are snake_case (SPEC §6). */
export interface OutputMember {
  readonly name: OutputName
  readonly address: string
  readonly role: 'primary' | 'backup'
  readonly state: OutputState
  readonly reason: string
  readonly for_seconds: number | null
}

/** The answer to /api/outputs (addition): code 0, the role with HA, and every connected output in outN order. */
export function outputsAnswer (views: readonly OutputView[], role?: NodeRole): CtlAnswer & { readonly outputs: readonly OutputMember[] } {
  const outputs = views.map((view) => ({
    name: view.name,
    address: view.address,
    role: view.backup ? 'backup' as const : 'primary' as const,
    state: view.state,
    reason: view.reason,
    for_seconds: view.forSeconds
  }))
  return { status: { code: 0, message: '', ...(role === undefined ? {} : { role }) }, outputs }
}

/**
 * `/api/counters`: the seed's document without `service` (SPEC §6, exactly), and with
 * `service=NAME` that service's (SPEC §11). Throws CtlRequestError 404 for an unknown service.
 */
export function countersAnswer (snapshot: CountersSnapshot, service: string | undefined): CountersDocument {
  if (service === undefined) return countersDocument(snapshot)
  if (service === DEFAULT_SERVICE) return defaultServiceDocument(snapshot)
  const services = snapshot.services ?? []
  const found = services.find((candidate) => candidate.name === service)
  if (found === undefined) throw unknownServiceError(service, services.map((candidate) => candidate.name))
  return serviceCountersDocument(found)
}
