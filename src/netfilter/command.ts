/**
 * Runs the netfilter programs (iptables-restore, iptables-save, sysctl, conntrack)
 * behind an optional command prefix such as `ip netns exec NS`, with argument
 * arrays and a time limit. A non-zero exit is returned, not thrown: each caller
 * knows which exit statuses are fine; a program that is not installed is thrown.
 */
import { execa } from 'execa'
import { L3lbError } from '../errors.js'

/** Options every netfilter function takes. */
export interface NetfilterOptions {
  /** Put before the program's argv, e.g. `['ip', 'netns', 'exec', 'lb']`. Default none. */
  command?: readonly string[]
}

/** How a program ended. */
export interface ProgramResult {
  exitCode: number
  stdout: string
  stderr: string
}

const TIMEOUT_MS = 60_000

// The Debian package that ships each program, for the "not installed" message.
const PACKAGES: Record<string, string> = {
  iptables: 'iptables',
  ip6tables: 'iptables',
  'iptables-restore': 'iptables',
  'ip6tables-restore': 'iptables',
  'iptables-save': 'iptables',
  'ip6tables-save': 'iptables',
  conntrack: 'conntrack',
  sysctl: 'procps',
  ip: 'iproute2'
}

/** The Debian package that provides `program`, or the program's own name when unknown. */
export function debianPackageOf (program: string): string {
  return PACKAGES[program] ?? program
}

/**
 * Whether a run failed because its program could not be started: ENOENT from the
 * spawn itself, 127 from `env`/`sh`, or `ip netns exec`'s 255 with "exec of ... failed".
 */
export function programWasMissing (run: { code?: string | undefined, exitCode?: number | undefined, stderr: string }): boolean {
  if (run.code === 'ENOENT') return true
  if (run.exitCode === 127 && /No such file or directory|not found/.test(run.stderr)) return true
  return run.exitCode === 255 && /exec of "[^"]*" failed: No such file or directory/.test(run.stderr)
}

/** `program args` as one quoted line, for messages. */
export function commandLine (command: readonly string[], program: string, args: readonly string[]): string {
  return [...command, program, ...args].map((word) => /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word}'`).join(' ')
}

/**
 * Runs `command... program args` and returns its exit status and output; throws
 * L3LB_PROGRAM_MISSING when the program (or the prefix's) is not installed, and
 * L3LB_COMMAND_FAILED when it could not run at all or outlived the time limit.
 */
export async function runProgram (program: string, args: readonly string[], options: NetfilterOptions & { input?: string } = {}): Promise<ProgramResult> {
  const command = options.command ?? []
  const [file = program, ...rest] = [...command, program, ...args]
  const line = commandLine(command, program, args)
  const result = await execa(file, rest, {
    reject: false,
    timeout: TIMEOUT_MS,
    // Parsed messages ("N flow entries have been deleted") must not be translated.
    env: { LC_ALL: 'C' },
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input })
  })
  const stderr = String(result.stderr ?? '')
  if (programWasMissing({ code: result.code, exitCode: result.exitCode, stderr })) {
    const missing = result.code === 'ENOENT' ? file : program
    throw new L3lbError('L3LB_PROGRAM_MISSING',
      `'${missing}' is not installed (running: ${line}); install the Debian package '${debianPackageOf(missing)}'`,
      { cause: result })
  }
  if (result.timedOut || result.exitCode === undefined) {
    throw new L3lbError('L3LB_COMMAND_FAILED', `${line} did not finish: ${result.shortMessage ?? 'no exit status'}`, { cause: result })
  }
  return { exitCode: result.exitCode, stdout: String(result.stdout ?? ''), stderr }
}

/** An L3LB_COMMAND_FAILED for a run that ended with an unexpected exit status. */
export function commandFailed (what: string, command: readonly string[], program: string, args: readonly string[], result: ProgramResult): L3lbError {
  const said = result.stderr.trim() !== '' ? result.stderr.trim() : result.stdout.trim()
  return new L3lbError('L3LB_COMMAND_FAILED',
    `${what}: ${commandLine(command, program, args)} exited with status ${result.exitCode}: ${said === '' ? '(no message)' : said}`)
}
