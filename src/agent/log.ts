/** The agent's log: one line per event on standard error, which systemd sends to the journal. */

export interface Log {
  info (message: string): void
  warn (message: string): void
  error (message: string): void
}

/** A log that writes `l3lb: LEVEL: message` lines to `stream`. */
export function streamLog (stream: NodeJS.WritableStream = process.stderr): Log {
  const write = (level: string, message: string): void => { stream.write(`l3lb: ${level}: ${message}\n`) }
  return {
    info: (message) => write('info', message),
    warn: (message) => write('warning', message),
    error: (message) => write('error', message)
  }
}
