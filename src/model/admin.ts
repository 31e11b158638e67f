/**
 * The domain's words for admin state (SPEC §5, §11): which servers a request means, and what
 * a change did. ctl, state, ha and the agent speak them; they import nothing.
 */

/**
 * Which servers a request means: one channel (`outN`, or a service file's server with
 * `service`) or every server connected to an address; `service` (SPEC §11) narrows it to one
 * service, and without it a channel is the env file's own and an address is every service's.
 */
export type OutputSelector =
  | { readonly channel: string, readonly service?: string }
  | { readonly address: string, readonly service?: string }

/** What an enable, disable or drain did. */
export interface AdminChangeResult {
  /** 0 = done, 10 = nothing changed (already in that state, or no connected output matches). */
  readonly code: 0 | 10
  readonly message: string
  /** The servers the request matched, by serverKey (`out2`, `web/web1`). */
  readonly outputs: readonly string[]
}

/** A server's admin state: taken out through ctl (disabled), or finishing its sessions (draining). */
export type AdminState = 'enabled' | 'disabled' | 'draining'
