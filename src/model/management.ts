/**
 * The domain's words for the management API (SPEC §12): what a change of the service files
 * did, or why it was refused. ctl and the agent speak them; they import nothing.
 */

/** How a change reached what runs: HAProxy's runtime API or the kernel's rules (no new process), a reload, or nothing to do. */
export type AppliedHow = 'runtime' | 'reload' | 'none'

/** A management call's outcome: done (0), nothing changed (10), or refused with the HTTP status that says why. */
export type ManagementResult =
  | { readonly outcome: 'done', readonly code: 0 | 10, readonly message: string, readonly applied: AppliedHow }
  | { readonly outcome: 'refused', readonly status: 400 | 404, readonly message: string }
