/** Starting a long-running program of the appliance (HAProxy, keepalived) as the agent's child. */
import { createInterface } from 'node:readline'
import { execa, type ResultPromise } from 'execa'
import { atNiceness, ownNiceness } from './priority.js'

/**
 * Starts `file args` with no shell and no stdin, killed if the agent exits normally, and
 * calls `onLine` with each non-blank line it prints on stdout or stderr: whole lines, however
 * the pipe cuts them (a line split across two reads would otherwise be logged as two).
 * With `niceness`, the program runs at that niceness whatever the agent's own (priority.ts).
 */
export function startDaemon (file: string, args: readonly string[], onLine: (line: string) => void, niceness?: number): ResultPromise {
  const command = niceness === undefined ? { file, args } : atNiceness(file, args, niceness, ownNiceness())
  const child = execa(command.file, command.args, { reject: false, stdin: 'ignore', buffer: false, cleanup: true })
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      if (line.trim() !== '') onLine(line)
    })
  }
  return child
}
