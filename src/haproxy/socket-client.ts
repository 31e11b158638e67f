/** One command to a HAProxy CLI socket (stats or master), one answer back. */
import { createConnection } from 'node:net'
import { L3lbError } from '../errors.js'

/** Default bound on one round trip; the CLI answers in milliseconds when HAProxy is healthy. */
export const SOCKET_TIMEOUT_MS = 5000

/** Sends `command` on the UNIX socket at `path` and resolves with the whole answer (the socket closes after it). */
export function sendCommand (path: string, command: string, timeoutMs = SOCKET_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = createConnection({ path })
    const fail = (cause: Error): void => {
      socket.destroy()
      reject(new L3lbError('L3LB_HAPROXY_SOCKET', `HAProxy socket ${path} did not answer "${command}": ${cause.message}`, { cause }))
    }
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer within ${timeoutMs} ms`)))
    socket.on('connect', () => socket.end(`${command}\n`))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', fail)
    socket.on('close', (hadError) => {
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'))
    })
  })
}
