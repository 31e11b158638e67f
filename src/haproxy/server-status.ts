/** Pure: HAProxy's server `status` column to the seed's up/down. */
import type { OutputHealth } from '../ctl/controller.js'

/**
 * `UP`, `UP 1/3` (still up, failing), `no check`, `DRAIN` and `NOLB` carry traffic: up.
 * `DOWN`, `DOWN 1/2` (not up yet), `MAINT (resolution)` and anything else: down.
 */
export function outputHealth (status: string): OutputHealth {
  return /^(UP|no check|DRAIN|NOLB)/.test(status) ? 'up' : 'down'
}
