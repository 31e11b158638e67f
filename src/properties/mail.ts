/** Pure: the checkers of the e-mail notice properties (mail_to, mail_from, mail_server). */
import { isHostName, parseIpAddress } from './addresses.js'

/** Where notices are handed over: an SMTP relay. */
export interface MailServer {
  /** A host name or an IP address (IPv6 without brackets). */
  readonly host: string
  readonly port: number
}

export type MailResult<T> = { readonly ok: true, readonly value: T } | { readonly ok: false, readonly reasons: readonly string[] }

export const DEFAULT_SMTP_PORT = 25
const SEPARATORS = /[\s,]+/
// A plain mailbox, nothing a header could be broken with: no display names, quotes, CR or LF.
const LOCAL_PART = /^[A-Za-z0-9._%+-]{1,64}$/
const MAILBOX_ACCEPTED = 'an e-mail address such as ops@example.com (letters, digits and . _ % + - before the @, a host name after it)'
const SERVER_ACCEPTED = 'host, host:port, IPv4:port or [IPv6]:port of an SMTP server that relays for this host (port 1 to 65535, 25 when not given)'

/** True for `local@host.name`, the one shape accepted (no display name, no address literal). */
export function isMailbox (text: string): boolean {
  const at = text.lastIndexOf('@')
  if (at <= 0) return false
  return LOCAL_PART.test(text.slice(0, at)) && isHostName(text.slice(at + 1))
}

function notAccepted (value: string, accepted: string): string {
  return `${JSON.stringify(value)} is not accepted: give ${accepted}`
}

/** `mail_to`: mailboxes separated by spaces or commas; empty = no e-mail. */
export function parseMailboxes (text: string): MailResult<readonly string[]> {
  const given = text.split(SEPARATORS).filter((part) => part !== '')
  const reasons = given.filter((mailbox) => !isMailbox(mailbox))
    .map((mailbox) => `${notAccepted(mailbox, MAILBOX_ACCEPTED)}; separate several with spaces or commas, or leave empty for no e-mail`)
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, value: [...new Set(given)] }
}

/** `mail_from`: one mailbox; empty = l3lb@ this host's name, chosen when the mail is sent. */
export function parseSender (text: string): MailResult<string> {
  if (text === '' || isMailbox(text)) return { ok: true, value: text }
  return { ok: false, reasons: [`${notAccepted(text, MAILBOX_ACCEPTED)}, or leave empty for l3lb@ this host's name`] }
}

/** `mail_server`: host[:port]; an IPv6 address with a port goes in brackets. */
export function parseMailServer (text: string): MailResult<MailServer> {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(text)
  const [host, port] = bracketed !== null ? [bracketed[1] ?? '', bracketed[2]] : plain !== null ? [plain[1] ?? '', plain[2]] : [text, undefined]
  const address = parseIpAddress(host)
  const hostOk = bracketed !== null ? address !== null && host.includes(':') : address !== null || isHostName(host)
  // a bare IPv6 address has colons of its own: no port can follow it
  const bareV6 = bracketed === null && plain === null ? parseIpAddress(text) : null
  if (bareV6 !== null) return { ok: true, value: { host: bareV6, port: DEFAULT_SMTP_PORT } }
  const number = port === undefined ? DEFAULT_SMTP_PORT : Number(port)
  if (!hostOk || (bracketed === null && plain === null) || !Number.isInteger(number) || number < 1 || number > 65535) {
    return { ok: false, reasons: [notAccepted(text, SERVER_ACCEPTED)] }
  }
  return { ok: true, value: { host: address ?? host, port: number } }
}
