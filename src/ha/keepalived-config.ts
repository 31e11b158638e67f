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
  /** The HAProxy check; null in udp_roundrobin, where no HAProxy runs. */
  readonly check: { readonly command: string, readonly interval: number, readonly timeout: number, readonly fall: number, readonly rise: number } | null
  readonly interface: string
  readonly routerId: number
  readonly priority: number
  readonly preempt: boolean
  readonly peer: string
  /** Addresses of the peer's family, with their prefix and device: VRRP announces these. */
  readonly virtual: readonly string[]
  /** Addresses of the other family and those of the outputs' side (ha_out_vip): keepalived moves them with the instance. */
  readonly excluded: readonly string[]
  /** The commands keepalived runs on entering MASTER and BACKUP (conntrackd's state sync), or null. */
  readonly notify: { readonly master: string, readonly backup: string } | null
}

/**
 * The view for `ha`; `checkCommand` is the program and arguments keepalived runs to check HAProxy
 * (null: no HAProxy to track), `notifyCommand` the one it runs with `primary` or `backup` appended
 * on a state change (null: none).
 */
export function keepalivedConfigView (ha: HaSettings, checkCommand: readonly string[] | null, notifyCommand: readonly string[] | null = null): KeepalivedConfigView {
  const peerIsIPv4 = isIPv4(ha.peer)
  const onDevice = (device: string) => (address: string): string => `${address}/${isIPv4(address) ? 32 : 128} dev ${device}`
  const notify = notifyCommand === null ? null : scriptLine('state change', notifyCommand)
  return {
    routerName: `l3lb_${ha.routerId}_${ha.priority}`,
    instanceName: VRRP_INSTANCE,
    checkName: CHECK_SCRIPT,
    check: checkCommand === null ? null : { command: scriptLine('health check', checkCommand), ...CHECK_TIMING },
    interface: ha.interface,
    routerId: ha.routerId,
    priority: ha.priority,
    preempt: ha.preempt,
    peer: ha.peer,
    virtual: ha.virtualAddresses.filter((address) => isIPv4(address) === peerIsIPv4).map(onDevice(ha.interface)),
    excluded: [
      ...ha.virtualAddresses.filter((address) => isIPv4(address) !== peerIsIPv4).map(onDevice(ha.interface)),
      ...ha.outputVirtualAddresses.map(onDevice(ha.outputInterface))
    ],
    notify: notify === null ? null : { master: `${notify} primary`, backup: `${notify} backup` }
  }
}

/** keepalived.conf for `ha`; see keepalivedConfigView for the commands. */
export function renderKeepalivedConfig (ha: HaSettings, checkCommand: readonly string[] | null, notifyCommand: readonly string[] | null = null): string {
  return template('keepalived.conf')(keepalivedConfigView(ha, checkCommand, notifyCommand))
}

// keepalived splits a script line on blanks and has no quoting to rely on
function scriptLine (what: string, command: readonly string[]): string {
  const unsafe = command.find((word) => word === '' || /[\s"'\\]/.test(word))
  if (unsafe !== undefined) throw new Error(`the ${what} command cannot be written into keepalived.conf: ${JSON.stringify(unsafe)} holds a blank, a quote or a backslash`)
  return command.join(' ')
}
