/** Pure: the HA properties to keepalived.conf text (templates/keepalived.conf.hbs). */
import { isIPv4 } from 'node:net'
import type { HaSettings } from '../properties/model.js'
import { template } from '../render/templates.js'

/** The VRRP instance's name in keepalived.conf and in keepalived's log lines, `(l3lb) Entering MASTER STATE`. */
export const VRRP_INSTANCE = 'l3lb'

/** The vrrp_script that tracks HAProxy. */
export const CHECK_SCRIPT = 'l3lb_haproxy'

/** How keepalived runs the health check: seconds between runs, its time limit, failures and successes in a row. */
export const CHECK_TIMING = Object.freeze({ interval: 1, timeout: 2, fall: 2, rise: 2 })

/** What templates/keepalived.conf.hbs is filled with. */
export interface KeepalivedConfigView {
  readonly routerName: string
  readonly instanceName: string
  readonly checkName: string
  readonly check: { readonly command: string, readonly interval: number, readonly timeout: number, readonly fall: number, readonly rise: number }
  readonly interface: string
  readonly routerId: number
  readonly priority: number
  readonly preempt: boolean
  readonly peer: string
  /** Addresses of the peer's family, with their prefix: VRRP announces these. */
  readonly virtual: readonly string[]
  /** Addresses of the other family: keepalived moves them with the instance. */
  readonly excluded: readonly string[]
}

/** The view for `ha`; `checkCommand` is the program and arguments keepalived runs to check HAProxy. */
export function keepalivedConfigView (ha: HaSettings, checkCommand: readonly string[]): KeepalivedConfigView {
  const unsafe = checkCommand.find((word) => word === '' || /[\s"'\\]/.test(word))
  // keepalived splits the script line on blanks and has no quoting to rely on
  if (unsafe !== undefined) throw new Error(`the health check command cannot be written into keepalived.conf: ${JSON.stringify(unsafe)} holds a blank, a quote or a backslash`)
  const peerIsIPv4 = isIPv4(ha.peer)
  const withPrefix = (address: string): string => `${address}/${isIPv4(address) ? 32 : 128}`
  return {
    routerName: `l3lb_${ha.routerId}_${ha.priority}`,
    instanceName: VRRP_INSTANCE,
    checkName: CHECK_SCRIPT,
    check: { command: checkCommand.join(' '), ...CHECK_TIMING },
    interface: ha.interface,
    routerId: ha.routerId,
    priority: ha.priority,
    preempt: ha.preempt,
    peer: ha.peer,
    virtual: ha.virtualAddresses.filter((address) => isIPv4(address) === peerIsIPv4).map(withPrefix),
    excluded: ha.virtualAddresses.filter((address) => isIPv4(address) !== peerIsIPv4).map(withPrefix)
  }
}

/** keepalived.conf for `ha`. */
export function renderKeepalivedConfig (ha: HaSettings, checkCommand: readonly string[]): string {
  return template('keepalived.conf')(keepalivedConfigView(ha, checkCommand))
}
