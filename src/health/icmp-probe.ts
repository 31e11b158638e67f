/**
 * The ICMP probe for udp_roundrobin outputs: one echo request through iputils `ping`.
 * iputils (Debian 12: 20221126) picks IPv4 or IPv6 from a literal address, so no -4/-6.
 */
import { execa } from 'execa'
import { L3lbError } from '../errors.js'
import { Slots } from '../process/slots.js'
import type { Probe } from './health-checker.js'

/** `ping`s running at once, for every check of the agent: a reply takes ms, so a round of 1,000 servers still takes well under a second. */
export const MAX_PINGS = 32
const pings = new Slots(MAX_PINGS)

/** How long past ping's own -W the process may run before it is killed. */
export const PROBE_GRACE_MS = 500

// ping keeps -W in whole milliseconds: anything smaller becomes 0
const MIN_TIMEOUT_MS = 1

export interface IcmpProbeOptions {
  /** Prefixes ping's argv, e.g. `['ip', 'netns', 'exec', ns]`. */
  readonly command?: readonly string[]
}

/**
 * A Probe that runs `ping -n -c 1 -W <seconds> <address>`: true on exit 0, false on any other
 * outcome (no reply, unreachable, timed out). Throws L3LB_PROGRAM_MISSING only when the program
 * itself cannot be found.
 */
export function icmpProbe (options: IcmpProbeOptions = {}): Probe {
  const prefix = options.command ?? []
  return async (address, timeoutMs) => {
    const waitMs = Math.max(MIN_TIMEOUT_MS, Math.ceil(timeoutMs))
    const argv = [...prefix, 'ping', '-n', '-c', '1', '-W', formatSeconds(waitMs), address]
    const [file = 'ping', ...args] = argv
    const result = await pings.run(async () => await execa(file, args, {
      reject: false,
      // only the exit status says anything: no output is kept
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'ignore',
      timeout: waitMs + PROBE_GRACE_MS,
      // ping holds nothing worth a graceful stop, and a stuck one must not outlive the check
      killSignal: 'SIGKILL'
    }))
    if (result.code === 'ENOENT') {
      const hint = file === 'ping' ? 'install the Debian package \'iputils-ping\'' : `install '${file}'`
      throw new L3lbError('L3LB_PROGRAM_MISSING', `'${file}' is not installed (running: ${argv.join(' ')}), so outputs cannot be health checked; ${hint}`, { cause: result })
    }
    return result.exitCode === 0 && !result.timedOut
  }
}

// ping takes seconds with a dot as separator; whole seconds are written without one
function formatSeconds (ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(3)
}
