/** Starting a long-running program of the appliance (HAProxy, keepalived) as the agent's child. */
import { execa, type ResultPromise } from 'execa'

/**
 * Starts `file args` with no shell and no stdin, killed if the agent exits normally, and
 * calls `onLine` with each non-blank line it prints on stdout or stderr.
 */
export function startDaemon (file: string, args: readonly string[], onLine: (line: string) => void): ResultPromise {
  const child = execa(file, args, { reject: false, stdin: 'ignore', buffer: false, cleanup: true })
  const forward = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') onLine(line)
  }
  child.stdout?.on('data', forward)
  child.stderr?.on('data', forward)
  return child
}
