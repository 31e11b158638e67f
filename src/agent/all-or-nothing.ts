/**
 * A change of several parts (HAProxy, the ctl service, keepalived...) that takes whole or not
 * at all: the steps apply in order; when one fails, it and every step before it are undone in
 * reverse order, and the error says what runs now. The steps bring their own effects.
 * Invariant: a run either applies every step or has called undo on each step it started.
 */
import { L3lbError } from '../errors.js'

export interface Step {
  /** The part it changes, for messages: `HAProxy`, `keepalived`. */
  readonly name: string
  /** Applies the new configuration; resolves true when it changed what runs (the message names it as put back). */
  apply (): Promise<boolean>
  /** Brings back what ran before; safe whatever apply did: nothing, all of it, or part of it before it failed. */
  undo (): Promise<void>
}

/** What a run that failed did. */
export interface StepsFailure {
  /** The step that failed, and why. */
  readonly failed: string
  readonly error: unknown
  /** The steps before it that had changed what runs, in the order they applied. */
  readonly changed: readonly string[]
  /** The undos that failed too, in the order they ran: those parts did not go back. */
  readonly notUndone: ReadonlyArray<{ readonly name: string, readonly error: unknown }>
}

/** Applies every step, or undoes what it started and throws `failureError` of what happened. */
export async function applyAllOrNothing (steps: readonly Step[]): Promise<void> {
  const applied: Array<{ readonly step: Step, readonly changed: boolean }> = []
  for (const step of steps) {
    try {
      applied.push({ step, changed: await step.apply() })
    } catch (error) {
      // the failed step first: it may have done part of its work
      const undoing = [step, ...applied.map((done) => done.step).reverse()]
      const notUndone: Array<{ name: string, error: unknown }> = []
      for (const done of undoing) {
        await done.undo().catch((undoError: unknown) => { notUndone.push({ name: done.name, error: undoError }) })
      }
      const changed = applied.filter((done) => done.changed).map((done) => done.step.name)
      throw failureError({ failed: step.name, error, changed, notUndone })
    }
  }
}

/**
 * The error a failed run throws. Nothing else had changed and all went back: the step's own
 * error, as is. Else an L3LB_RELOAD_UNDONE that names what was put back, or, when an undo
 * failed too, an L3LB_RELOAD_MIXED that says which part runs what.
 */
export function failureError (failure: StepsFailure): unknown {
  const { failed, error, changed, notUndone } = failure
  const why = `${failed}: ${messageOf(error)}`
  if (notUndone.length === 0) {
    if (changed.length === 0) return error
    return new L3lbError('L3LB_RELOAD_UNDONE', `${failed} failed; ${listed(changed)} ${changed.length === 1 ? 'was' : 'were'} put back: the previous configuration runs. ${why}`, { cause: error })
  }
  const parts = notUndone.map(({ name, error: undoError }) => name === failed
    ? `${name} is as its failure left it (putting it back failed: ${messageOf(undoError)})`
    : `${name} runs the new configuration (putting it back failed: ${messageOf(undoError)})`)
  return new L3lbError('L3LB_RELOAD_MIXED', `${failed} failed, and not every part could be put back: ${parts.join('; ')}; every other part runs the previous configuration. ${why}`, { cause: error })
}

function listed (names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`
}

function messageOf (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
