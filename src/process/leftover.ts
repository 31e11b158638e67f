/**
 * Stopping a daemon that an earlier agent started and left running when it was killed: found
 * through a pid file, and only if that pid still runs the named program (pids are reused).
 */
import { readFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import { processGone } from './process-state.js'

const STOP_TIMEOUT_MS = 5000
const POLL_MS = 50

/**
 * For each pid file that names a live `program` (as /proc/PID/comm has it): SIGTERM, then
 * SIGKILL after 5 s. `said` is told of each one stopped.
 */
export async function stopLeftovers (pidFiles: readonly string[], program: string, said: (message: string) => void): Promise<void> {
  for (const file of pidFiles) {
    const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim())
    if (!Number.isInteger(pid) || pid <= 1 || processGone(pid) || programName(pid) !== program) continue
    said(`stopping the ${program} an earlier agent left running (pid ${pid})`)
    killQuietly(pid, 'SIGTERM')
    const deadline = Date.now() + STOP_TIMEOUT_MS
    while (!processGone(pid) && Date.now() < deadline) await delay(POLL_MS)
    if (!processGone(pid)) killQuietly(pid, 'SIGKILL')
  }
}

function programName (pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return ''
  }
}

function killQuietly (pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}
