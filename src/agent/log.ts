/** The agent's log: one line per event on standard error, which systemd sends to the journal. */
import { fstatSync } from 'node:fs'
import type { Log } from '../model/log.js'

export interface StreamLogOptions {
  /** Start each line with its syslog priority (`<3>`, `<4>`, `<6>`), which the journal reads as the line's priority. */
  readonly priorities?: boolean
}

// sd-daemon's prefixes: err, warning, info
const PRIORITY = { error: '<3>', warning: '<4>', info: '<6>' } as const

/** A log that writes `l3lb: LEVEL: message` lines to `stream`. */
export function streamLog (stream: NodeJS.WritableStream = process.stderr, options: StreamLogOptions = {}): Log {
  const write = (level: keyof typeof PRIORITY, message: string): void => {
    stream.write(`${options.priorities === true ? PRIORITY[level] : ''}l3lb: ${level}: ${message}\n`)
  }
  return {
    info: (message) => write('info', message),
    warn: (message) => write('warning', message),
    error: (message) => write('error', message)
  }
}

/**
 * Whether standard error is the journal's stream: systemd sets JOURNAL_STREAM to its
 * `device:inode` for a service (not for a shell the service may have started).
 */
export function stderrIsJournal (env: NodeJS.ProcessEnv = process.env, fd = 2): boolean {
  const stream = env.JOURNAL_STREAM
  if (stream === undefined || stream === '') return false
  try {
    const stat = fstatSync(fd, { bigint: true })
    return stream === `${stat.dev}:${stat.ino}`
  } catch {
    return false
  }
}
