import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { isL3lbError } from '../errors.js'
import { answer } from './answer.js'
import { CtlRequestError } from './request-error.js'

/** How a failed ctl request is answered: the HTTP status and the code-100 message. */
export interface Failure {
  readonly statusCode: number
  readonly message: string
  /** Not one of ours: the message is generic and the error belongs in the log. */
  readonly unexpected: boolean
}

/** Said to an HTTP/1.1 request without a Host header (RFC 9112 §3.2 asks for a 400). */
export const MISSING_HOST_MESSAGE = 'the request is not valid HTTP: an HTTP/1.1 request must carry a Host header'

export const INTERNAL_ERROR_MESSAGE = 'internal error in the ctl service; the details are in the agent\'s log'

/**
 * The answer to any error a ctl request ends in: a refused request keeps its status and
 * message, a controller's L3lbError is a 500 with its message, Fastify's own 4xx errors
 * keep theirs, anything else is a 500 with a generic message (never a stack trace).
 */
export function failureOf (error: unknown): Failure {
  if (error instanceof CtlRequestError) return { statusCode: error.statusCode, message: error.message, unexpected: false }
  if (isL3lbError(error)) return { statusCode: 500, message: error.message, unexpected: false }
  const statusCode = clientStatusOf(error)
  if (statusCode !== undefined && error instanceof Error) return { statusCode, message: error.message, unexpected: false }
  return { statusCode: 500, message: INTERNAL_ERROR_MESSAGE, unexpected: true }
}

/**
 * Answers an HTTP parse error that Node raises before any request exists (a URL past the
 * header size limit, a malformed request line, a timeout) in the seed's shape, then closes.
 */
export function answerClientError (error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const statusCode = clientErrorStatus(error.code)
  sendRaw(socket, statusCode, clientErrorMessage(statusCode), ['Connection: close'])
  socket.destroy()
}

/** Writes a code-100 answer straight to a socket, for the requests Node handles outside Fastify. */
export function sendRaw (socket: Duplex | null, statusCode: number, message: string, headers: readonly string[]): void {
  if (socket === null || !socket.writable) return
  const body = JSON.stringify(answer(100, message))
  socket.write(`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? ''}\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    headers.map((header) => `${header}\r\n`).join('') + `\r\n${body}`)
}

// Fastify's framework errors (bad URL, unsupported media type, ...) carry a 4xx statusCode.
function clientStatusOf (error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return undefined
  const { statusCode } = error
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 ? statusCode : undefined
}

function clientErrorStatus (code: string | undefined): number {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408
  if (code === 'HPE_HEADER_OVERFLOW') return 431
  return 400
}

function clientErrorMessage (statusCode: number): string {
  if (statusCode === 408) return 'the request did not arrive in time'
  if (statusCode === 431) return 'the request line and headers are too large'
  return 'the request is not valid HTTP'
}
