/**
 * CPU priority: the agent (the control plane) runs above the data plane, so an operator's
 * ctl call, a check's verdict or a failover is not queued behind the traffic HAProxy carries
 * when that traffic holds every CPU. HAProxy itself runs at the host's normal priority, never
 * above the other programs of the host. keepalived does the same for its VRRP process
 * (`vrrp_priority`, realtime 50 here): a control plane that saturation cannot starve.
 */
import { readdirSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'

/** The agent's niceness: above the data plane, below nothing the kernel runs for itself. */
export const AGENT_NICENESS = -10

/** The data plane's niceness (HAProxy and its workers): the host's normal. */
export const DATA_PLANE_NICENESS = 0

/**
 * Pure: `file args` to run at niceness `target` from a process at niceness `current`
 * (a child inherits its parent's): through `nice -n`, which execs the program in the same
 * process, so its pid is the one the agent watches. Unchanged when they are equal.
 */
export function atNiceness (file: string, args: readonly string[], target: number, current: number): { readonly file: string, readonly args: readonly string[] } {
  if (target === current) return { file, args }
  return { file: 'nice', args: ['-n', String(target - current), file, ...args] }
}

/** This process's niceness. */
export function ownNiceness (): number {
  return getPriority(0)
}

/**
 * Sets the niceness of every thread of this process to `target`; returns null, or why it
 * could not (raising priority needs root or CAP_SYS_NICE): the agent then runs at the one it
 * has. Linux keeps a niceness per thread, and Node starts V8's and libuv's worker threads
 * (garbage collection, file system calls) before any code of ours runs: setting the calling
 * thread alone left them at the data plane's. Threads started later inherit it.
 */
export function setOwnNiceness (target: number): string | null {
  try {
    setPriority(0, target)
  } catch (error) {
    return (error as Error).message
  }
  for (const thread of ownThreads()) {
    // one that has ended since the list was read needs none
    try { setPriority(thread, target) } catch {}
  }
  return null
}

/** The ids of this process's threads (Linux's /proc); none where there is no /proc. */
function ownThreads (): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number).filter((id) => Number.isInteger(id) && id > 0)
  } catch {
    return []
  }
}
