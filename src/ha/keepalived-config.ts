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

/**
 * VRRP's own timing (docs/ha.md, "How fast a failover is"): version 3 takes adverts every
 * 0.1 s, so a standby takes over 3 adverts plus the skew after the active node went silent
 * (about 0.35 s); the VRRP process runs at this realtime priority, so a node whose CPUs are
 * busy with traffic still sends and hears them on time.
 */
export const VRRP_TIMING = Object.freeze({ version: 3, advertInterval: 0.1, realtimePriority: 50 })

/** What templates/keepalived.conf.hbs is filled with. */
export interface KeepalivedConfigView {
  readonly routerName: string
  readonly instanceName: string
  readonly checkName: string
  /** The HAProxy check; null in udp_roundrobin, where no HAProxy runs. */
  readonly check: { readonly command: string, readonly interval: number, readonly timeout: number, readonly fall: number, readonly rise: number } | null
  readonly interface: string
  readonly routerId: number
  readonly vrrp: typeof VRRP_TIMING
  readonly priority: number
  readonly preempt: boolean
  readonly peer: string
  /** This node's address the adverts come from (`unicast_src_ip`, ownLinkAddress); null leaves keepalived's default. */
  readonly source: string | null
  /** Addresses of the peer's family, with their prefix and device: VRRP announces these. */
  readonly virtual: readonly string[]
  /** Addresses of the other family and those of the outputs' side (ha_out_vip): keepalived moves them with the instance. */
  readonly excluded: readonly string[]
  /** The commands keepalived runs on entering MASTER and BACKUP (conntrackd's state sync), or null. */
  readonly notify: { readonly master: string, readonly backup: string } | null
}

/** What the agent adds to the properties: the commands keepalived runs, and this node's address. */
export interface KeepalivedRuntime {
  /** The program and arguments that check HAProxy; null: no HAProxy to track (udp_roundrobin). */
  readonly check: readonly string[] | null
  /** Run with `primary` or `backup` appended on a state change (conntrackd's sync); null: none. */
  readonly notify?: readonly string[] | null
  /** This node's own address on the link (ownLinkAddress); null: keepalived's default. */
  readonly source?: string | null
}

/** The view for `ha` with the agent's commands and address. */
export function keepalivedConfigView (ha: HaSettings, runtime: KeepalivedRuntime): KeepalivedConfigView {
  const checkCommand = runtime.check
  const notifyCommand = runtime.notify ?? null
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
    vrrp: VRRP_TIMING,
    priority: ha.priority,
    preempt: ha.preempt,
    peer: ha.peer,
    source: runtime.source ?? null,
    virtual: ha.virtualAddresses.filter((address) => isIPv4(address) === peerIsIPv4).map(onDevice(ha.interface)),
    excluded: [
      ...ha.virtualAddresses.filter((address) => isIPv4(address) !== peerIsIPv4).map(onDevice(ha.interface)),
      ...ha.outputVirtualAddresses.map(onDevice(ha.outputInterface))
    ],
    notify: notify === null ? null : { master: `${notify} primary`, backup: `${notify} backup` }
  }
}

/** keepalived.conf for `ha`; see KeepalivedRuntime for what the agent adds. */
export function renderKeepalivedConfig (ha: HaSettings, runtime: KeepalivedRuntime): string {
  return template('keepalived.conf')(keepalivedConfigView(ha, runtime))
}

// keepalived splits a script line on blanks and has no quoting to rely on
function scriptLine (what: string, command: readonly string[]): string {
  const unsafe = command.find((word) => word === '' || /[\s"'\\]/.test(word))
  if (unsafe !== undefined) throw new Error(`the ${what} command cannot be written into keepalived.conf: ${JSON.stringify(unsafe)} holds a blank, a quote or a backslash`)
  return command.join(' ')
}
