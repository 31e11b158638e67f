/** Pure: HAProxy's server `status` column to the seed's up/down, and why a server is down. */
import type { Row } from './parse.js'
import type { OutputHealth } from '../model/health.js'

/**
 * `UP`, `UP 1/3` (still up, failing), `no check`, `DRAIN` and `NOLB` carry traffic: up.
 * `DOWN`, `DOWN 1/2` (not up yet), `MAINT (resolution)` and anything else: down.
 */
export function outputHealth (status: string): OutputHealth {
  return /^(UP|no check|DRAIN|NOLB)/.test(status) ? 'up' : 'down'
}

/**
 * Why a server is down, from a `show stat` row's last check: `Layer4 timeout`, `Layer4
 * connection problem: Connection refused`; for a down taken by the clients' connections
 * (`observe layer4`, check status HANA), how many failed in a row. '' when it says nothing.
 */
export function downReason (row: Row): string {
  const lastCheck = (row.last_chk ?? '').trim()
  const observed = /^Detected (\d+) consecutive errors, last one was: (.+)$/.exec(lastCheck)
  // "* HANA" while the next check runs, as a dead host's long connect timeout makes common
  if (/^(\* )?HANA$/.test((row.check_status ?? '').trim()) && observed !== null) {
    const count = observed[1] ?? ''
    return `${count === '1' ? 'a client\'s connection' : `${count} clients' connections in a row`} failed (${observed[2] ?? ''})`
  }
  const description = (row.check_desc ?? '').trim()
  return [description, lastCheck].filter((part) => part !== '').join(': ')
}

// check_status of a check that passed (HAProxy 2.6 prefixes "* " while the next one runs)
const PASSED = /^(\* )?(L4OK|L6OK|L7OK|L7OKC|PROCOK)$/
// not checked yet: HAProxy starts each server up at the bottom of its range until its first check
const NOT_CHECKED = /^(\* )?INI$/

/**
 * For a server HAProxy counts up but not at full health (`UP 1/3`: one more failed check
 * takes it down), what an operator should know. Its last check failed: `checks failing: 1
 * more takes it down (Layer4 timeout)`, before it goes. It passed: the server just left
 * maintenance (`l3lb enable`: HAProxy 2.6 puts it back at `UP 1/3` until its next check),
 * `coming back: its next check confirms it`. Not checked yet (just started), or fully up: ''.
 */
export function upReason (row: Row): string {
  const trend = /^UP (\d+)\/\d+$/.exec((row.status ?? '').trim())
  if (trend === null) return ''
  const checkStatus = (row.check_status ?? '').trim()
  if (PASSED.test(checkStatus)) return 'coming back: its next check confirms it'
  if (NOT_CHECKED.test(checkStatus)) return ''
  const why = downReason(row)
  return `checks failing: ${trend[1] ?? ''} more ${trend[1] === '1' ? 'takes' : 'take'} it down${why === '' ? '' : ` (${why})`}`
}

/**
 * A server's health from its row, in maintenance too: HAProxy does not check a server in
 * maintenance, and keeps the result of its last check from before, which says it.
 */
export function serverHealth (row: Row): OutputHealth {
  const status = (row.status ?? '').trim()
  if (!status.startsWith('MAINT')) return outputHealth(status)
  const checkStatus = (row.check_status ?? '').trim()
  return checkStatus === '' || PASSED.test(checkStatus) ? 'up' : 'down'
}

/** Seconds since the server last changed state (`lastchg`; carried across reloads by the state file); null when absent. */
export function secondsSinceChange (row: Row): number | null {
  const text = (row.lastchg ?? '').trim()
  return /^\d+$/.test(text) ? Number(text) : null
}
