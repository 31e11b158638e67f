/**
 * The one writer: makes the system match the desired state.
 * TCP modes go to HAProxy (haproxy-path.ts), udp_roundrobin (default's or a service
 * file's) to netfilter (netfilter-path.ts); switching modes brings the new one up before the old one goes,
 * so a failed switch leaves the old mode serving.
 * Invariants: it runs only inside a job of the agent's one ChangeQueue (change-queue.ts): the
 * appliance's jobs and the agent's stop call it, so its work never overlaps another change;
 * a job that fails leaves what was in force.
 */
import { nodeParts } from '../render/node-files.js'
import type { DesiredState } from '../state/desired.js'
import { HaproxyPath, type HaproxyPathDeps, type ReconcileAction } from './haproxy-path.js'
import { NetfilterPath, type Netfilter } from './netfilter-path.js'
import type { RemovingServer } from './server-removals.js'

export { OUTPUTS_BACKEND, type ReconcileAction } from './haproxy-path.js'
export type { Netfilter } from './netfilter-path.js'
export type { RemovingServer } from './server-removals.js'

export interface ReconcilerDeps extends HaproxyPathDeps {
  readonly netfilter: Netfilter
}

export class Reconciler {
  readonly #haproxy: HaproxyPath
  readonly #netfilter: NetfilterPath

  constructor (deps: ReconcilerDeps) {
    this.#haproxy = new HaproxyPath(deps)
    this.#netfilter = new NetfilterPath(deps.netfilter)
  }

  /** (SPEC §12) The TCP services' servers gone from their files whose sessions have not ended yet. */
  removing (): readonly RemovingServer[] {
    return this.#haproxy.removing()
  }

  /** Stops HAProxy and removes l3lb's rules: nothing of l3lb is left. */
  async stop (): Promise<void> {
    await this.#haproxy.stop()
    await this.#netfilter.remove()
  }

  /**
   * Brings the system to `state`; resolves with what it had to do. HAProxy serves every TCP
   * service (and the stats UI while the env file's is TCP), the kernel's rules every UDP one;
   * the half that is needed comes up before the other goes.
   */
  async apply (state: DesiredState): Promise<ReconcileAction> {
    // the same split `l3lb render` prints
    const { haproxy: tcp, rules: udp } = nodeParts(state)
    const actions: ReconcileAction[] = []
    if (udp) actions.push(await this.#netfilter.apply(state))
    if (tcp) actions.push(await this.#haproxy.apply(state))
    if (!tcp && this.#haproxy.active) {
      await this.#haproxy.stop()
      actions.push('apply')
    }
    if (!udp && this.#netfilter.active) await this.#netfilter.remove()
    // a process started or reloaded says more than rules applied beside it (the API's `applied`)
    return actions.find((action) => action === 'start' || action === 'reload') ?? actions.find((action) => action !== 'none') ?? 'none'
  }
}
