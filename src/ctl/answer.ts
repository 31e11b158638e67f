import { OUTPUT_NAMES, type OutputName } from '../properties/model.js'
import type { AdminChangeResult, CtlCode, OutputHealth } from './controller.js'

/** The seed's answer body: `{"status":{"code":N,"message":"..."}}`, plus `outN` members for /api/status. */
export interface CtlAnswer {
  readonly status: { readonly code: CtlCode, readonly message: string } & Partial<Record<OutputName, OutputHealth>>
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
export function statusAnswer (health: ReadonlyMap<OutputName, OutputHealth>): CtlAnswer {
  const members: Partial<Record<OutputName, OutputHealth>> = {}
  for (const name of OUTPUT_NAMES) {
    const state = health.get(name)
    if (state !== undefined) members[name] = state
  }
  return { status: { code: 0, message: '', ...members } }
}
