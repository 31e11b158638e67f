/** The desired state: a plain immutable value that every event changes and the reconciler applies. */
import type { Limits } from '../limits/model.js'
import type { OutputName, Properties, Service } from '../properties/model.js'
import type { AppliancePaths } from './paths.js'
import type { ServerKey } from './server-key.js'
import type { OutputHealth } from '../model/health.js'

export interface DesiredState {
  readonly properties: Properties
  readonly limits: Limits
  /**
   * Servers disabled through ctl, by serverKey (`out2` for the env file's outputs, `web/web1`
   * for a service file's); every other server is enabled.
   */
  readonly disabled: ReadonlySet<string>
  /**
   * (SPEC §11) Servers draining through ctl, by serverKey: no new sessions or flows (clients
   * stuck to them by tcp_source included), those they have finish. Never also disabled.
   */
  readonly draining: ReadonlySet<string>
  /**
   * Outputs the agent's own health checks found down (udp_roundrobin, where the kernel
   * forwards and nothing else checks); every other output counts as up. In the TCP
   * modes HAProxy checks and this stays empty. A UDP service file's server is keyed
   * by serverKey (`web/a`); default's outputs by their own name.
   */
  readonly down: ReadonlySet<OutputName | ServerKey>
  readonly paths: AppliancePaths
  /** (SPEC §11) The services of the service files, by name; the env file's own, `default`, is `properties`. */
  readonly services: readonly Service[]
}

/** A new desired state, frozen. */
export function desiredState (properties: Properties, limits: Limits, disabled: Iterable<string>, paths: AppliancePaths, down: Iterable<OutputName | ServerKey> = [], services: readonly Service[] = [], draining: Iterable<string> = []): DesiredState {
  return Object.freeze({ properties, limits, disabled: new Set(disabled), draining: new Set(draining), down: new Set(down), paths, services })
}

/** The same state with the given servers (serverKey) enabled (no longer disabled nor draining) or disabled. */
export function withEnabled (state: DesiredState, outputs: readonly string[], enabled: boolean): DesiredState {
  const disabled = new Set(state.disabled)
  const draining = new Set(state.draining)
  for (const name of outputs) {
    draining.delete(name)
    if (enabled) disabled.delete(name)
    else disabled.add(name)
  }
  return Object.freeze({ ...state, disabled, draining })
}

/** The same state with the given servers (serverKey) draining. */
export function withDraining (state: DesiredState, servers: readonly string[]): DesiredState {
  const disabled = new Set(state.disabled)
  const draining = new Set(state.draining)
  for (const name of servers) {
    disabled.delete(name)
    draining.add(name)
  }
  return Object.freeze({ ...state, disabled, draining })
}

/**
 * The same state with exactly these servers (serverKey) disabled and, when given, exactly these
 * draining (HA: the peer's whole admin state); a disabled server is not draining.
 */
export function withDisabled (state: DesiredState, disabled: Iterable<string>, draining?: Iterable<string>): DesiredState {
  const set = new Set(disabled)
  return Object.freeze({ ...state, disabled: set, draining: new Set([...(draining ?? state.draining)].filter((name) => !set.has(name))) })
}

/** The same state with one output's (or service file server's) health as the checks found it. */
export function withHealth (state: DesiredState, output: OutputName | ServerKey, health: OutputHealth): DesiredState {
  const down = new Set(state.down)
  if (health === 'down') down.add(output)
  else down.delete(output)
  return Object.freeze({ ...state, down })
}
