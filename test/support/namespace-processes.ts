/**
 * The processes of one network namespace. pgrep sees every process of the host (network
 * namespaces do not separate pids), so a test that asks "is a HAProxy left?" must ask the
 * namespace, or it sees the HAProxy of another test running beside it.
 */
import { readFileSync } from 'node:fs'
import { execa } from 'execa'

/** Pids in namespace `ns` whose program name (`/proc/PID/comm`) is `name`, zombies left out. */
export async function programsInNamespace (ns: string, name: string): Promise<number[]> {
  const { stdout } = await execa('ip', ['netns', 'pids', ns], { reject: false })
  return stdout.split('\n').filter((line) => line.trim() !== '').map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name && state !== 'Z'
    } catch {
      return false
    }
  }).sort((a, b) => a - b)
}
