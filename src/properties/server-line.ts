/**
 * Pure: one real server of a service file (SPEC §11),
 * `server_<name>=<address>[:<port>] [weight=<0..256>] [maxconn=<n>] [backup]`.
 */
import { isIPv6 } from 'node:net'
import { parseOutputAddress } from './addresses.js'
import type { Server } from './model.js'

/** The property prefix of a server line, and what a server's name may be. */
export const SERVER_PREFIX = 'server_'
export const SERVER_NAME = /^[a-z0-9_]{1,32}$/

export const MAX_WEIGHT = 256
export const MAX_SERVER_MAXCONN = 1_000_000

export type ServerResult =
  | { readonly ok: true, readonly server: Server }
  | { readonly ok: false, readonly reasons: readonly string[] }

const FORM = '<address>[:<port>] [weight=<0..256>] [maxconn=<n>] [backup]'
const DIGITS = /^[0-9]+$/
// `[v6]:port`, `[v6]`, `host-or-v4:port`
const BRACKETED = /^\[([^\]]*)\](?::(.*))?$/
const WITH_PORT = /^([^:]+):(.*)$/

/** The server of a `server_<name>` line, or every reason the value is not accepted. */
export function parseServerLine (name: string, text: string): ServerResult {
  const tokens = text.split(/\s+/).filter((token) => token !== '')
  const reasons: string[] = []
  const first = tokens.shift()
  if (first === undefined) return { ok: false, reasons: [`"" is not accepted: give ${FORM}`] }
  const target = addressAndPort(first)
  if (!target.ok) reasons.push(target.reason)
  let weight = 1
  let maxconn: number | null = null
  let backup = false
  const seen = new Set<string>()
  for (const token of tokens) {
    const [key = '', value] = token.split('=', 2) as [string, string | undefined]
    if (seen.has(key)) {
      reasons.push(`${JSON.stringify(token)} is not accepted: ${key} is given twice`)
      continue
    }
    seen.add(key)
    if (key === 'backup' && value === undefined) {
      backup = true
    } else if (key === 'weight' && value !== undefined) {
      if (DIGITS.test(value) && Number(value) <= MAX_WEIGHT) weight = Number(value)
      else reasons.push(`${JSON.stringify(token)} is not accepted: weight is a whole number from 0 to ${MAX_WEIGHT} (0 takes no new sessions)`)
    } else if (key === 'maxconn' && value !== undefined) {
      if (DIGITS.test(value) && Number(value) >= 1 && Number(value) <= MAX_SERVER_MAXCONN) maxconn = Number(value)
      else reasons.push(`${JSON.stringify(token)} is not accepted: maxconn is a whole number from 1 to ${MAX_SERVER_MAXCONN}`)
    } else {
      reasons.push(`${JSON.stringify(token)} is not accepted: after the address come only weight=<0..256>, maxconn=<n> and backup`)
    }
  }
  if (!target.ok || reasons.length > 0) return { ok: false, reasons }
  return { ok: true, server: { name, address: target.address, port: target.port, weight, maxconn, backup } }
}

type Target = { readonly ok: true, readonly address: string, readonly port: number | null } | { readonly ok: false, readonly reason: string }

// An IPv6 address takes brackets when a port follows; without one, brackets are optional.
function addressAndPort (text: string): Target {
  const bracketed = BRACKETED.exec(text)
  const split = bracketed !== null
    ? { host: `[${bracketed[1] ?? ''}]`, port: bracketed[2] }
    : isIPv6(text) ? { host: text, port: undefined } : splitPort(text)
  if (split.port !== undefined && !(DIGITS.test(split.port) && Number(split.port) >= 1 && Number(split.port) <= 65535)) {
    return { ok: false, reason: `${JSON.stringify(text)} is not accepted: the port after the address is a whole number from 1 to 65535` }
  }
  const address = parseOutputAddress(split.host)
  if (!address.ok) return { ok: false, reason: `${address.reason} (as ${FORM}; an IPv6 address with a port in brackets: [fd00:1b::5]:8080)` }
  return { ok: true, address: address.address, port: split.port === undefined ? null : Number(split.port) }
}

function splitPort (text: string): { host: string, port: string | undefined } {
  const match = WITH_PORT.exec(text)
  return match === null ? { host: text, port: undefined } : { host: match[1] ?? '', port: match[2] }
}
