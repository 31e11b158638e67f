import { OUTPUT_NAMES, type OutputName } from '../properties/model.js'
import { isServerKey, sortedKeys } from '../state/server-key.js'
import type { OutputSelector } from '../model/admin.js'
import { canonicalAddress } from '../properties/canonical-address.js'
import { CtlRequestError } from './request-error.js'

const ACCEPTED_FORMS = '?channel=outN (out1..out8), ?address=ADDRESS or ?ADDRESS'
const SERVICE_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/
const SERVER_NAME = /^[a-z0-9_]{1,32}$/
const ACCEPTED_ADDRESSES = 'an IPv4 address, an IPv6 address (brackets optional) or a host name'
// Values echoed in messages are cut here, so an answer stays short whatever was sent.
const QUOTE_LIMIT = 80

/** One `name=value` or bare `value` piece of a query string, %-decoded. */
interface QueryPart {
  readonly raw: string
  readonly name: string | undefined
  readonly value: string
}

/**
 * The output a `/api/enable` or `/api/disable` request means, read from the request's raw
 * URL in the seed's forms: `?channel=out3`, `?10.11.12.13`, `?address=10.11.12.13`, IPv6
 * with or without brackets, %-encoded or not. Addresses come back in canonical form
 * (see canonicalAddress). Throws CtlRequestError (400) naming the value and what is accepted.
 */
export function parseSelector (url: string): OutputSelector {
  const all = queryParts(rawQuery(url))
  const services = all.filter((part) => part.name === 'service')
  const parts = all.filter((part) => part.name !== 'service')
  const [part, extra] = parts
  if (services.length > 1) throw new CtlRequestError(400, `one service expected, got ${services.length}: ${services.map((each) => quote(each.raw)).join(', ')}`)
  const service = services[0] === undefined ? undefined : serviceOf(services[0].value)
  if (part === undefined) throw new CtlRequestError(400, `no output given: expected ${ACCEPTED_FORMS}`)
  if (extra !== undefined) {
    const given = parts.map((each) => quote(each.raw)).join(', ')
    throw new CtlRequestError(400, `one output expected, got ${parts.length}: ${given}; send one of ${ACCEPTED_FORMS}`)
  }
  const selector = selectorOf(part, service)
  return service === undefined ? selector : { ...selector, service }
}

/**
 * (SPEC §11) The `service=NAME` of a /api/status query, or undefined; the seed answered any
 * other query as if there were none, and still does. Throws CtlRequestError for a malformed
 * name or two of them.
 */
export function parseServiceQuery (url: string): string | undefined {
  // only a query that names a service is read: another one was never looked at, not even decoded
  if (!/(^|&)service=/.test(rawQuery(url))) return undefined
  const services = queryParts(rawQuery(url)).filter((part) => part.name === 'service')
  if (services.length > 1) throw new CtlRequestError(400, `one service expected, got ${services.length}: ${services.map((each) => quote(each.raw)).join(', ')}`)
  return services[0] === undefined ? undefined : serviceOf(services[0].value)
}

function serviceOf (value: string): string {
  if (value === 'default' || SERVICE_NAME.test(value)) return value
  throw new CtlRequestError(400, `invalid service name ${quote(value)}: expected default or 1 to 32 lower-case letters, digits and -`)
}

/** The query string of a raw request URL: everything after the first `?`, still %-encoded. */
export function rawQuery (url: string): string {
  const at = url.indexOf('?')
  return at === -1 ? '' : url.slice(at + 1)
}

function queryParts (query: string): QueryPart[] {
  // Empty pieces (`?&channel=out3`, a trailing `&`) carry nothing; skipping them is harmless.
  return query.split('&').filter((raw) => raw !== '').map((raw) => {
    const at = raw.indexOf('=')
    if (at === -1) return { raw, name: undefined, value: decode(raw) }
    return { raw, name: decode(raw.slice(0, at)), value: decode(raw.slice(at + 1)) }
  })
}

function selectorOf (part: QueryPart, service: string | undefined): OutputSelector {
  if (part.name === 'channel') return { channel: service === undefined || service === 'default' ? channelOf(part.value) : serverOf(part.value) }
  if (part.name === 'address') return { address: addressOf(part.value) }
  if (part.name !== undefined) {
    throw new CtlRequestError(400, `unknown query parameter ${quote(part.name)}: expected ${ACCEPTED_FORMS}`)
  }
  // `?channel` alone is a forgotten value, not a host named "channel".
  if (part.value === 'channel' || part.value === 'address') {
    throw new CtlRequestError(400, `${quote(part.value)} needs a value: expected ${ACCEPTED_FORMS}`)
  }
  return { address: addressOf(part.value) }
}

function serverOf (value: string): string {
  if (SERVER_NAME.test(value)) return value
  throw new CtlRequestError(400, `invalid server name ${quote(value)}: expected 1 to 32 lower-case letters, digits and _`)
}

function channelOf (value: string): OutputName {
  const channel = OUTPUT_NAMES.find((name) => name === value)
  if (channel === undefined) throw new CtlRequestError(400, `unknown channel ${quote(value)}: expected one of out1..out8`)
  return channel
}

function addressOf (value: string): string {
  if (value === '') throw new CtlRequestError(400, `empty address: expected ${ACCEPTED_ADDRESSES}`)
  const address = canonicalAddress(value)
  if (address === undefined) throw new CtlRequestError(400, `invalid address ${quote(value)}: expected ${ACCEPTED_ADDRESSES}`)
  return address
}

function decode (text: string): string {
  try {
    return decodeURIComponent(text)
  } catch (cause) {
    throw new CtlRequestError(400, `malformed %-encoding in ${quote(text)}: a % must start a %XX escape of UTF-8`, { cause })
  }
}

function quote (text: string): string {
  return JSON.stringify(text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}...` : text)
}

/** What a push of the admin state carries: the peer's whole disabled set, its drain when it sends one, and its settings' digest. */
export interface SyncRequest {
  readonly disabled: string[]
  readonly draining?: string[]
  readonly digest?: string
}

/**
 * (HA) What a `/api/sync?disabled=out1,out3&draining=web/a&settings=<digest>` push carries (the
 * GET form, kept for a transport that cannot POST): the peer's whole admin state (`?disabled=`
 * is none), optionally its drain and the digest of its shared settings (16 hex digits).
 * Throws CtlRequestError (400) for anything else.
 */
export function parseSyncQuery (url: string): SyncRequest {
  const parts = queryParts(rawQuery(url))
  const [part, ...rest] = parts
  const expected = `expected exactly ?disabled=outN,service/server,... (possibly empty), optionally &draining=... and &settings=<16 hex digits>, got ${quote(rawQuery(url))}`
  if (part === undefined || part.name !== 'disabled' || rest.length > 2) throw new CtlRequestError(400, expected)
  const draining = rest.filter((each) => each.name === 'draining')
  const settings = rest.filter((each) => each.name === 'settings')
  if (draining.length > 1 || settings.length > 1 || draining.length + settings.length !== rest.length) throw new CtlRequestError(400, expected)
  const digest = settings[0]?.value
  if (digest !== undefined && !DIGEST.test(digest)) throw new CtlRequestError(400, expected)
  const keys = (name: string, value: string): string[] => serverKeys(name, value === '' ? [] : value.split(','))
  return {
    disabled: keys('disabled', part.value),
    ...(draining[0] === undefined ? {} : { draining: keys('draining', draining[0].value) }),
    ...(digest === undefined ? {} : { digest })
  }
}

/**
 * (HA) What a `POST /api/sync` body carries: `{"disabled": [keys], "draining": [keys], "digest":
 * "<16 hex digits>"}`, each key out1..out8 or service/server. Throws CtlRequestError (400) for
 * anything else, naming what is wrong.
 */
export function parseSyncBody (body: unknown): SyncRequest {
  const expected = 'expected a JSON object {"disabled": [...], "draining": [...], "digest": "<16 hex digits>"}, each list of out1..out8 or service/server'
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new CtlRequestError(400, `${expected}, got ${body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body}`)
  const { disabled, draining, digest, ...extra } = body as Record<string, unknown>
  const unknown = Object.keys(extra)[0]
  if (unknown !== undefined) throw new CtlRequestError(400, `unknown member ${quote(unknown)}: ${expected}`)
  const list = (name: string, value: unknown): string[] => {
    if (!Array.isArray(value) || !value.every((each) => typeof each === 'string')) throw new CtlRequestError(400, `${name} is not a list of names: ${expected}`)
    return serverKeys(name, value as string[])
  }
  if (typeof digest !== 'string' || !DIGEST.test(digest)) throw new CtlRequestError(400, `digest ${quote(String(digest))} is not 16 hex digits: ${expected}`)
  return { disabled: list('disabled', disabled), draining: list('draining', draining), digest }
}

function serverKeys (name: string, names: readonly string[]): string[] {
  const unknown = names.find((each) => !isServerKey(each))
  if (unknown !== undefined) throw new CtlRequestError(400, `unknown channel ${quote(unknown)} in ${name}: expected out1..out8 or service/server, separated by commas`)
  return sortedKeys(new Set(names))
}

const DIGEST = /^[0-9a-f]{16}$/
