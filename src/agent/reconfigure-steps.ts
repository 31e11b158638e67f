/**
 * The parts a new env file changes (SIGHUP, or the pair's settings on a standby), in the order
 * they change, each with how to put it back as it ran before: what applyAllOrNothing runs.
 */
import type { Conntrackd } from '../ha/conntrackd.js'
import type { Keepalived } from '../ha/keepalived.js'
import type { Limits } from '../limits/model.js'
import type { Notifier } from '../notify/notifier.js'
import type { Mode, Properties, Service } from '../properties/model.js'
import type { ReconcileAction } from '../reconcile/reconciler.js'
import type { Step } from './all-or-nothing.js'
import type { Appliance } from './appliance.js'
import type { CtlListener } from './ctl-listener.js'
import type { Log } from '../model/log.js'
import type { MonPush } from './mon-push.js'
import type { OutputChecks } from './output-checks.js'

/** The running parts, as the agent built them. */
export interface ReconfigurableParts {
  readonly ctl: Pick<CtlListener, 'change'>
  readonly appliance: Pick<Appliance, 'reconfigure'>
  readonly checks: Pick<OutputChecks, 'configure'>
  readonly push: Pick<MonPush, 'configure'>
  readonly notifier: Pick<Notifier, 'configure'>
  readonly conntrackd: Pick<Conntrackd, 'apply' | 'notifyCommand'>
  readonly keepalived: Pick<Keepalived, 'apply'>
  readonly log: Log
}

/** A configuration of every part: the validated properties and the limits computed for them. */
export interface PartsConfiguration {
  readonly properties: Properties
  readonly limits: Limits
  /** The services of the service files. */
  readonly services: readonly Service[]
}

/**
 * The steps from `before` to `after`; `reconfigured` hears what HAProxy or netfilter did.
 * The ctl service first (it comes up before the old one closes), the serving part next, the
 * pair's daemons last: conntrackd before keepalived, whose notify asks it for the peer's flows.
 */
export function reconfigureSteps (parts: ReconfigurableParts, before: PartsConfiguration, after: PartsConfiguration, reconfigured: (action: ReconcileAction) => void): Step[] {
  const { ctl, appliance, checks, push, notifier, conntrackd, keepalived, log } = parts
  let undoCtl: (() => Promise<void>) | null = null
  const keepalivedTo = ({ properties, services }: PartsConfiguration): ReturnType<Keepalived['apply']> =>
    keepalived.apply(properties.ha, { mode: properties.mode, notifyCommand: conntrackd.notifyCommand(properties, services), services })
  return [
    {
      name: 'the ctl service',
      apply: async () => {
        undoCtl = await ctl.change(after.properties)
        return undoCtl !== null
      },
      undo: async () => { await undoCtl?.() }
    },
    {
      name: servingPart(before.properties.mode, after.properties.mode),
      apply: async () => {
        const action = await appliance.reconfigure(after.properties, after.limits, after.services)
        reconfigured(action)
        return action !== 'none'
      },
      undo: async () => { await appliance.reconfigure(before.properties, before.limits, before.services) }
    },
    // inside the agent, they follow the properties at once: put back, but not named as changed
    {
      name: 'the ICMP checks',
      apply: async () => { await checks.configure(after.properties, after.services); return false },
      undo: () => checks.configure(before.properties, before.services)
    },
    {
      name: 'the mon push',
      apply: async () => { await push.configure(after.properties); return false },
      undo: () => push.configure(before.properties)
    },
    {
      name: 'the notices',
      apply: async () => { notifier.configure(after.properties); return false },
      undo: async () => { notifier.configure(before.properties) }
    },
    {
      name: 'conntrackd',
      apply: async () => logged('conntrackd', await conntrackd.apply(after.properties, after.services)),
      undo: async () => { logged('conntrackd, put back', await conntrackd.apply(before.properties, before.services)) }
    },
    {
      name: 'keepalived',
      apply: async () => logged('keepalived', await keepalivedTo(after)),
      undo: async () => { logged('keepalived, put back', await keepalivedTo(before)) }
    }
  ]

  // what a daemon did, in the log; whether it changed anything
  function logged (what: string, action: string): boolean {
    if (action !== 'none') log.info(`${what}: ${action}`)
    return action !== 'none'
  }
}

// HAProxy serves the TCP modes, the kernel's rules udp_roundrobin; a mode switch changes both
function servingPart (before: Mode, after: Mode): string {
  const part = (mode: Mode): string => mode === 'udp_roundrobin' ? 'the netfilter rules' : 'HAProxy'
  return part(before) === part(after) ? part(after) : 'HAProxy and the netfilter rules'
}
