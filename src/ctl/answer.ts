import { OUTPUT_NAMES, type OutputName } from '../properties/model.js'
import type { AdminChangeResult, CtlCode, NodeRole, OutputHealth, OutputState, OutputView } from './controller.js'
import { settingsDigest, type PairSettings } from '../ha/pair-settings.js'

/** The seed's answer body: `{"status":{"code":N,"message":"..."}}`, plus `outN` members for /api/status. */
export interface CtlAnswer {
  readonly status: { readonly code: CtlCode, readonly message: string } & Partial<Record<OutputName, OutputHealth>> & HaMembers
}

/** (HA) What /api/status and /api/admin add when ha_vip is set. */
interface HaMembers {
  readonly role?: NodeRole
  readonly disabled?: readonly OutputName[]
  /** /api/admin: the shared settings this node runs, and their digest. */
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

/** The answer to /api/status: code 0 and one `outN: "up" | "down"` member per output, in outN order. */
export function statusAnswer (health: ReadonlyMap<OutputName, OutputHealth>, role?: NodeRole): CtlAnswer {
  const members: Partial<Record<OutputName, OutputHealth>> = {}
  for (const name of OUTPUT_NAMES) {
    const state = health.get(name)
    if (state !== undefined) members[name] = state
  }
  return { status: { code: 0, message: '', ...(role === undefined ? {} : { role }), ...members } }
}

/** (HA) The answer to /api/admin: the node's disabled outputs and its role. */
export function adminAnswer (disabled: readonly OutputName[], role: NodeRole, settings: PairSettings): CtlAnswer {
  return { status: { code: 0, message: '', disabled, role, settings, digest: settingsDigest(settings) } }
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
