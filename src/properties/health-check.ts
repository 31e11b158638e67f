/**
 * Pure: the check properties of SPEC §14 (healthcheck_kind and its own), each parsed alone,
 * then together with the mode into the HealthCheck a service runs. The same rules for the
 * env file (`default`) and service files; absent, a service keeps the seed's checks.
 */
import type { HealthCheck } from './model.js'

export const HEALTHCHECK_KINDS = ['tcp', 'http', 'send_expect', 'icmp', 'udp', 'sip'] as const
export type HealthcheckKind = typeof HEALTHCHECK_KINDS[number]

/** The kinds HAProxy runs (TCP modes) and the ones the agent runs (UDP modes); the first of each is the mode's default. */
export const TCP_KINDS: readonly HealthcheckKind[] = ['tcp', 'http', 'send_expect']
export const UDP_KINDS: readonly HealthcheckKind[] = ['icmp', 'udp', 'sip']

/** The check properties, by their names in the files. */
export const CHECK_PROPERTIES = ['healthcheck_kind', 'healthcheck_http', 'healthcheck_send', 'healthcheck_expect', 'healthcheck_port'] as const
export type CheckPropertyName = typeof CHECK_PROPERTIES[number]

/** At most this many bytes are sent: a check is a probe, not a transfer (and HAProxy's check buffer is 16 kB). */
export const MAX_SEND_BYTES = 1024

/** `METHOD PATH STATUS` of healthcheck_http. */
export interface HttpCheck {
  readonly method: string
  readonly path: string
  readonly status: number
}

type Checked<T> = { readonly ok: true, readonly value: T } | { readonly ok: false, readonly reasons: readonly string[] }

const notAccepted = (text: string, accepted: string): string => `${JSON.stringify(text)} is not accepted: ${accepted}`

// An HTTP method token as HAProxy and servers take it; a path of URI characters that haproxy.cfg needs no quoting for.
const METHOD = /^[A-Z]{1,20}$/
const PATH = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@/%?]*$/
const HTTP_ACCEPTED = 'give METHOD PATH STATUS, e.g. "GET /health 200": an upper-case method, a path starting with / of URI characters (no spaces, quotes, # or backslash), and the status from 100 to 599 that means up'

/** healthcheck_kind: one of the kinds, or empty for the mode's default. */
export function parseKind (text: string): Checked<HealthcheckKind | null> {
  if (text === '') return { ok: true, value: null }
  if ((HEALTHCHECK_KINDS as readonly string[]).includes(text)) return { ok: true, value: text as HealthcheckKind }
  return { ok: false, reasons: [notAccepted(text, `healthcheck_kind takes ${TCP_KINDS.join(', ')} (TCP modes, tcp the default) or ${UDP_KINDS.join(', ')} (UDP modes, icmp the default); empty = the mode's default`)] }
}

/** healthcheck_http: `METHOD PATH STATUS`. */
export function parseHttp (text: string): Checked<HttpCheck> {
  const parts = text.trim().split(/\s+/)
  const [method = '', path = '', status = ''] = parts
  if (parts.length !== 3 || !METHOD.test(method) || !PATH.test(path) || !/^[1-5][0-9][0-9]$/.test(status)) {
    return { ok: false, reasons: [notAccepted(text, HTTP_ACCEPTED)] }
  }
  return { ok: true, value: { method, path, status: Number(status) } }
}

/**
 * healthcheck_send's escapes decoded: `\r`, `\n`, `\t`, `\\` and `\xHH`; every other character
 * stands for its own byte (UTF-8). Null with the reason when an escape is not one of those.
 */
export function decodeEscapes (text: string): { readonly bytes: Buffer } | { readonly reason: string } {
  const parts: Buffer[] = []
  let plain = ''
  for (let at = 0; at < text.length; at++) {
    const char = text[at] ?? ''
    if (char !== '\\') {
      plain += char
      continue
    }
    parts.push(Buffer.from(plain, 'utf8'))
    plain = ''
    const next = text[at + 1] ?? ''
    const hex = text.slice(at + 2, at + 4)
    if (next in SIMPLE_ESCAPES) {
      parts.push(Buffer.from([SIMPLE_ESCAPES[next] ?? 0]))
      at++
    } else if (next === 'x' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      parts.push(Buffer.from(hex, 'hex'))
      at += 3
    } else {
      return { reason: `the escape ${JSON.stringify(text.slice(at, at + 4))} at character ${at + 1} is not one l3lb decodes: give \\r, \\n, \\t, \\\\ or \\xHH (two hex digits)` }
    }
  }
  parts.push(Buffer.from(plain, 'utf8'))
  return { bytes: Buffer.concat(parts) }
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { r: 0x0d, n: 0x0a, t: 0x09, '\\': 0x5c }

/** healthcheck_send: the decoded bytes as hex ('' when empty). */
export function parseSend (text: string): Checked<string> {
  const decoded = decodeEscapes(text)
  if ('reason' in decoded) return { ok: false, reasons: [notAccepted(text, decoded.reason)] }
  if (decoded.bytes.length > MAX_SEND_BYTES) return { ok: false, reasons: [notAccepted(text, `at most ${MAX_SEND_BYTES} bytes once decoded; this is ${decoded.bytes.length}`)] }
  return { ok: true, value: decoded.bytes.toString('hex') }
}

/**
 * healthcheck_expect: a regular expression the agent compiles (JavaScript, matched against the
 * answer's bytes as Latin-1) and HAProxy takes as PCRE2 in `tcp-check expect rstring`, written
 * between single quotes: so printable ASCII only, and no single quote (use \x27).
 */
export function parseExpect (text: string): Checked<string | null> {
  if (text === '') return { ok: true, value: null }
  const at = [...text].findIndex((char) => !/^[\x20-\x7e]$/.test(char) || char === '\'')
  if (at >= 0) {
    const char = [...text][at] ?? ''
    const found = char === '\'' ? 'a single quote' : `the character U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
    return { ok: false, reasons: [notAccepted(text, `healthcheck_expect is written into haproxy.cfg between single quotes, so it takes printable ASCII without ' (write \\x27 for it, \\xHH for other bytes, \\r and \\n for line ends); found ${found} at character ${at + 1}`)] }
  }
  try {
    // compiled once here so that a broken pattern is a property problem, not a failed check
    RegExp(text)
  } catch (error) {
    return { ok: false, reasons: [notAccepted(text, `healthcheck_expect must be a regular expression (${(error as Error).message})`)] }
  }
  return { ok: true, value: text }
}

/** healthcheck_port: a port, or empty for the first port of `ports`. */
export function parseCheckPort (text: string): Checked<number | null> {
  if (text === '') return { ok: true, value: null }
  if (/^[0-9]+$/.test(text) && Number(text) >= 1 && Number(text) <= 65535) return { ok: true, value: Number(text) }
  return { ok: false, reasons: [notAccepted(text, 'healthcheck_port value must be between 1 and 65535, or empty for the first port of ports')] }
}

/** The check properties once each is parsed. */
export interface CheckFields {
  readonly healthcheck_kind: HealthcheckKind | null
  readonly healthcheck_http: HttpCheck
  readonly healthcheck_send: string
  readonly healthcheck_expect: string | null
  readonly healthcheck_port: number | null
}

/** One problem across the check properties: the property, and the message. */
export interface CheckProblem {
  readonly property: CheckPropertyName
  readonly message: string
}

/**
 * The check a service of `mode` runs, or problems: a kind of the other protocol, udp without
 * healthcheck_send, send_expect without healthcheck_expect. `udp` says whether the mode is a UDP
 * one; `given(name)` is the value as written, for messages. Absent check: the mode's default.
 */
export function healthCheckOf (mode: string, udp: boolean, fields: CheckFields, given: (name: CheckPropertyName) => string): { readonly check: HealthCheck | null, readonly problems: readonly CheckProblem[] } {
  const kind = fields.healthcheck_kind ?? (udp ? 'icmp' : 'tcp')
  const fits = udp ? UDP_KINDS : TCP_KINDS
  if (!fits.includes(kind)) {
    const other = udp ? 'TCP' : 'UDP'
    return { check: null, problems: [{ property: 'healthcheck_kind', message: notAccepted(given('healthcheck_kind'), `${kind} checks ${other} services, and mode ${mode} is ${udp ? 'UDP' : 'TCP'}: its kinds are ${fits.join(', ')}`) }] }
  }
  const { healthcheck_http: http, healthcheck_send: send, healthcheck_expect: expect } = fields
  switch (kind) {
    case 'tcp':
    case 'icmp':
      return { check: null, problems: [] }
    case 'http':
      return { check: { kind, method: http.method, path: http.path, status: http.status }, problems: [] }
    case 'send_expect':
      if (expect === null) return { check: null, problems: [{ property: 'healthcheck_expect', message: notAccepted('', 'healthcheck_kind=send_expect needs healthcheck_expect, the regular expression the answer must match') }] }
      return { check: { kind, send, expect }, problems: [] }
    case 'udp':
      if (send === '') return { check: null, problems: [{ property: 'healthcheck_send', message: notAccepted(given('healthcheck_send'), 'healthcheck_kind=udp needs healthcheck_send, the bytes of the datagram sent (an empty datagram gets silence from most services)') }] }
      return { check: { kind, send, expect }, problems: [] }
    case 'sip':
      return { check: { kind, expect }, problems: [] }
  }
}

// Which kinds read each property besides healthcheck_kind.
const USED_BY: ReadonlyArray<readonly [CheckPropertyName, readonly HealthcheckKind[]]> = [
  ['healthcheck_http', ['http']],
  ['healthcheck_send', ['send_expect', 'udp']],
  ['healthcheck_expect', ['send_expect', 'udp', 'sip']]
]

/** Warnings for check properties given that the service's kind does not read. */
export function unusedCheckWarnings (check: HealthCheck | null, given: (name: CheckPropertyName) => boolean): string[] {
  const kind = check?.kind
  return USED_BY
    .filter(([name, kinds]) => given(name) && (kind === undefined || !kinds.includes(kind)))
    .map(([name, kinds]) => `${name}: has no effect with healthcheck_kind ${kind ?? 'tcp or icmp (the mode\'s default)'}; it applies to ${kinds.join(', ')} only`)
}
