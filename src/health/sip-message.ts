/**
 * Pure: the SIP OPTIONS request of a `sip` check (SPEC §14, RFC 3261 §11) and the reading of
 * its answer. A fresh Call-ID, branch and tag each time, so no server or proxy takes a check
 * for a retransmission of the last one.
 */
import { randomBytes } from 'node:crypto'
import { isIPv6 } from 'node:net'

/** RFC 3261 §8.1.1.7: a branch starts with this magic cookie. */
export const BRANCH_COOKIE = 'z9hG4bK'

/** The identifiers that make one request unique. */
export interface SipIds {
  readonly callId: string
  readonly branch: string
  readonly tag: string
}

export interface SipEndpoint {
  readonly address: string
  readonly port: number
}

/** New identifiers from `random` (hex of n random bytes by default). */
export function freshSipIds (random: (bytes: number) => string = (bytes) => randomBytes(bytes).toString('hex')): SipIds {
  return { callId: `${random(12)}@l3lb`, branch: `${BRANCH_COOKIE}${random(8)}`, tag: random(6) }
}

// a host in a SIP URI or Via: an IPv6 address in brackets
function host (address: string): string {
  return isIPv6(address) ? `[${address}]` : address
}

/** The OPTIONS request from `local` (the check's socket) to `target`, lines ended by CRLF. */
export function sipOptionsRequest (target: SipEndpoint, local: SipEndpoint, ids: SipIds): string {
  const uri = `sip:${host(target.address)}:${target.port}`
  return [
    `OPTIONS ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${host(local.address)}:${local.port};branch=${ids.branch};rport`,
    'Max-Forwards: 70',
    `To: <${uri}>`,
    `From: <sip:l3lb@${host(local.address)}:${local.port}>;tag=${ids.tag}`,
    `Call-ID: ${ids.callId}`,
    'CSeq: 1 OPTIONS',
    `Contact: <sip:l3lb@${host(local.address)}:${local.port}>`,
    'Accept: application/sdp',
    'User-Agent: l3lb health check',
    'Content-Length: 0',
    '',
    ''
  ].join('\r\n')
}

/** A SIP response's status line and code, or null when `answer` is not a response to the request with this Call-ID. */
export function sipResponse (answer: string, callId: string): { readonly line: string, readonly code: number } | null {
  const lines = answer.split(/\r?\n/)
  const line = lines[0] ?? ''
  const status = /^SIP\/2\.0 ([1-6][0-9][0-9])(?: .*)?$/.exec(line)
  if (status === null) return null
  // Call-ID, or its compact form i (RFC 3261 §7.3.3)
  const header = lines.find((each) => /^(?:call-id|i)\s*:/i.test(each))
  if (header === undefined || header.slice(header.indexOf(':') + 1).trim() !== callId) return null
  return { line, code: Number(status[1]) }
}

/** Whether an answer says the server is up: a response to this request whose status line matches `expect`, or by default any status below 500. */
export function sipAnswerIsUp (answer: string, callId: string, expect: RegExp | null): boolean {
  const response = sipResponse(answer, callId)
  if (response === null) return false
  return expect === null ? response.code < 500 : expect.test(response.line)
}
