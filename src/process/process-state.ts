/** Whether a process that is not our child has ended. */
import { readFileSync } from 'node:fs'

/**
 * True when `pid` no longer runs: gone, or a zombie that nobody reaps (an adopted HAProxy
 * is not our child, and kill(pid, 0) succeeds on a zombie for as long as it stays one).
 */
export function processGone (pid: number): boolean {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return true
  }
  return processStateOf(stat) === 'Z'
}

/** Pure: the state letter of a /proc/PID/stat line (after the command name, which may hold spaces and parentheses). */
export function processStateOf (stat: string): string {
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
}
