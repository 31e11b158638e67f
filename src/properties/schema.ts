import { isIPv4 } from 'node:net'
import { z } from 'zod'
import { MODES, OUTPUT_NAMES, type OutputName } from './model.js'
import { parsePorts } from './ports.js'
import { parseIpAddress, parseListenAddress, parseListenAddresses, parseOutputAddress } from './addresses.js'
import { canonicalAddress } from './canonical-address.js'
import { parseMailboxes, parseMailServer, parseSender } from './mail.js'
import { parseCheckPort, parseExpect, parseHttp, parseKind, parseSend } from './health-check.js'

type Checked<T> = { readonly ok: true, readonly value: T } | { readonly ok: false, readonly reasons: readonly string[] }

const DIGITS = /^[0-9]+$/
const OUTPUT_NAME = /^out[1-8]$/
const OUTPUT_RANGE = /^out\d+[-:~]out\d+$/i
const CREDENTIAL_RULE = 'printable ASCII without whitespace, quotes, backslash or # (it is written into haproxy.cfg and HTTP headers)'

/** The properties whose values are never repeated in a message. */
export const SECRET_PROPERTIES: ReadonlySet<string> = new Set(['ctl_token', 'ui_password'])

function notAccepted (value: unknown, accepted: string): string {
  return `${JSON.stringify(String(value))} is not accepted: ${accepted}`
}

// Plain decimal digits only: `1e3`, `0x10`, `-1`, `+5` and `` are what a typo looks like.
function wholeNumber (min: number, max: number, accepted: string) {
  return z.string()
    .refine((text) => DIGITS.test(text) && Number(text) >= min && Number(text) <= max, {
      error: (issue) => notAccepted(issue.input, accepted)
    })
    .transform(Number)
}

function seconds (min: number, max: number, note = '') {
  return wholeNumber(min, max, `a whole number of seconds from ${min} to ${max}${note}`)
}

// The seed's own wording for ctl_port, used for every port property alike.
function port (name: string) {
  return wholeNumber(1, 65535, `${name} value must be between 1 and 65535`)
}

// Runs a plain checker inside zod, so every reason it gives becomes an issue.
function checked<T> (check: (text: string) => Checked<T>) {
  return z.string().transform((text, context) => {
    const result = check(text)
    if (result.ok) return result.value
    for (const reason of result.reasons) context.addIssue({ code: 'custom', message: reason, input: text })
    return z.NEVER
  })
}

function portRanges (text: string) {
  const result = parsePorts(text)
  return result.ok ? { ok: true as const, value: { ranges: result.ranges, first: result.first } } : result
}

function listenAddress (text: string): Checked<string> {
  const result = parseListenAddress(text)
  return result.ok ? { ok: true, value: result.address } : { ok: false, reasons: [result.reason] }
}

function listenAddresses (text: string): Checked<readonly string[]> {
  const result = parseListenAddresses(text)
  return result.ok ? { ok: true, value: result.addresses } : result
}

// Empty is an output that is not connected.
function outputAddress (text: string): Checked<string> {
  if (text === '') return { ok: true, value: '' }
  const result = parseOutputAddress(text)
  return result.ok ? { ok: true, value: result.address } : { ok: false, reasons: [result.reason] }
}

function outputNames (text: string): Checked<readonly OutputName[]> {
  const names: OutputName[] = []
  const reasons: string[] = []
  for (const token of text.split(/[\s,]+/).filter((part) => part !== '')) {
    if (OUTPUT_RANGE.test(token)) {
      reasons.push(notAccepted(token, 'ranges of outputs are not accepted; name each output (out1 to out8), separated by spaces or commas'))
    } else if (!OUTPUT_NAME.test(token)) {
      reasons.push(notAccepted(token, 'give output names out1 to out8, separated by spaces or commas'))
    } else if (!names.includes(token as OutputName)) {
      names.push(token as OutputName)
    }
  }
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, value: names }
}

function monUrl (text: string): Checked<string> {
  if (text === '') return { ok: true, value: '' }
  const url = /\s/.test(text) ? null : URL.parse(text)
  if (url !== null && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return { ok: true, value: text }
  return { ok: false, reasons: [notAccepted(text, 'an http:// or https:// URL, or empty for no push')] }
}

// Credentials go into haproxy.cfg and HTTP headers, where these characters would break the line.
function credential (name: string, options: { secret: boolean, colon: boolean }) {
  return checked((text): Checked<string> => {
    const at = [...text].findIndex((char) => !isCredentialChar(char, options.colon))
    if (at < 0) return { ok: true, value: text }
    const shown = options.secret ? `the value given (hidden, ${text.length} characters)` : JSON.stringify(text)
    const colon = options.colon ? '' : ' and without : (it separates user from password)'
    const found = describeChar(text[at] ?? '')
    return { ok: false, reasons: [`${shown} is not accepted: ${name} must be ${CREDENTIAL_RULE}${colon}; found ${found} at character ${at + 1}`] }
  })
}

function isCredentialChar (char: string, colon: boolean): boolean {
  const code = char.charCodeAt(0)
  return char.length === 1 && code >= 0x21 && code <= 0x7e && !'"\'\\#'.includes(char) && (colon || char !== ':')
}

function describeChar (char: string): string {
  if (char === ' ') return 'a space'
  if (/\s/.test(char)) return 'whitespace'
  if (/[\x21-\x7e]/.test(char)) return JSON.stringify(char)
  return `the non-printable or non-ASCII character U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
}

const output = () => checked(outputAddress)

// A Linux interface name, kept to characters that need no quoting in keepalived.conf.
const INTERFACE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/

/** True for an address one host can own: not unspecified, not loopback, not link-local (VRRP and peers need a routable one). */
export function isSpecificAddress (address: string): boolean {
  const canonical = canonicalAddress(address) ?? address
  if (isIPv4(canonical)) return !canonical.startsWith('0.') && !canonical.startsWith('127.') && !canonical.startsWith('169.254.')
  return canonical !== '::' && canonical !== '::1' && !/^fe[89ab]/.test(canonical) && !canonical.startsWith('::ffff:')
}

const SPECIFIC_ACCEPTED = 'an IPv4 or IPv6 address this host or its peer can own (not unspecified, loopback, link-local or IPv4-mapped)'

// Empty is no HA (ha_vip) or none on the outputs' side (ha_out_vip); else addresses that move between the two nodes.
const virtualAddresses = (emptyMeans: string) => (text: string): Checked<readonly string[]> => {
  const result = parseListenAddresses(text)
  if (!result.ok) return result
  const reasons = result.addresses.filter((address) => !isSpecificAddress(address))
    .map((address) => notAccepted(address, `give ${SPECIFIC_ACCEPTED}, separated by spaces or commas; empty = ${emptyMeans}`))
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, value: result.addresses }
}

function peerAddress (text: string): Checked<string> {
  if (text === '') return { ok: true, value: '' }
  const address = parseIpAddress(text)
  if (address !== null && isSpecificAddress(address)) return { ok: true, value: address }
  return { ok: false, reasons: [notAccepted(text, `give the peer node's address on the VRRP link: ${SPECIFIC_ACCEPTED}`)] }
}

function interfaceName (text: string): Checked<string> {
  if (text === '' || (INTERFACE_NAME.test(text) && text !== '.' && text !== '..')) return { ok: true, value: text }
  return { ok: false, reasons: [notAccepted(text, 'a network interface name: 1 to 15 letters, digits, _, . or -')] }
}

// A folder: absolute, or relative to the env file's; empty = services.d beside the env file.
function folderPath (text: string): Checked<string> {
  if (!/[\0\n\r]/.test(text)) return { ok: true, value: text }
  return { ok: false, reasons: [notAccepted(text, 'a folder path without control characters; empty = services.d beside the env file')] }
}

const onOff = (meaning: string) => z.enum(['on', 'off'], { error: (issue) => notAccepted(issue.input, `on or off (${meaning})`) }).transform((value) => value === 'on')

/** One zod schema per property, by its name in the env file: text in, typed value out. */
export const PROPERTY_SCHEMAS = {
  mode: z.enum(MODES, {
    error: (issue) => notAccepted(issue.input, `invalid mode specified; the valid modes are ${MODES.join(', ')}`)
  }),
  ports: checked(portRanges),
  max_connections: wholeNumber(0, 1_000_000, 'a whole number from 0 to 1000000 (0 = use the value computed from memory)'),
  backup_outputs: checked(outputNames),
  healthcheck_interval: seconds(0, 86400, ' (0 = no checks)'),
  healthcheck_rise: wholeNumber(1, 100, 'a whole number of checks from 1 to 100'),
  healthcheck_fall: wholeNumber(1, 100, 'a whole number of checks from 1 to 100'),
  // (SPEC §14) checks that see the service: health-check.ts
  healthcheck_kind: checked(parseKind),
  healthcheck_http: checked(parseHttp),
  healthcheck_send: checked(parseSend),
  healthcheck_expect: checked(parseExpect),
  healthcheck_port: checked(parseCheckPort),
  client_timeout: seconds(1, 86400),
  server_timeout: seconds(1, 86400),
  conn_timeout: seconds(1, 86400),
  tcp_splice: onOff('on splices responses kernel to kernel (bulk about twice as fast); off moves them through HAProxy\'s buffers (small responses about 10 % cheaper)'),
  in_addr: checked(listenAddresses),
  ctl_addr: checked(listenAddress),
  ctl_port: port('ctl_port'),
  ctl_token: credential('ctl_token', { secret: true, colon: true }),
  ui_addr: checked(listenAddress),
  ui_port: port('ui_port'),
  ui_user: credential('ui_user', { secret: false, colon: false }),
  ui_password: credential('ui_password', { secret: true, colon: true }),
  mon_url: checked(monUrl),
  mon_interval: seconds(1, 86400),
  peer_addr: checked(listenAddress),
  peer_port: port('peer_port'),
  udp_snat: onOff('off when the load balancer is the outputs\' default gateway'),
  ha_vip: checked(virtualAddresses('no high availability')),
  ha_interface: checked(interfaceName),
  ha_peer: checked(peerAddress),
  ha_priority: wholeNumber(1, 254, 'a whole number from 1 to 254 (the higher node takes the virtual addresses)'),
  ha_preempt: onOff('on: a returning node of higher priority takes the virtual addresses back'),
  ha_router_id: wholeNumber(1, 255, 'a whole number from 1 to 255, the same on both nodes of a pair and unique on the link'),
  ha_out_vip: checked(virtualAddresses('no virtual address on the outputs\' side')),
  ha_out_interface: checked(interfaceName),
  mail_to: checked(parseMailboxes),
  mail_from: checked(parseSender),
  mail_server: checked(parseMailServer),
  mail_hold: seconds(1, 86400, ': at most one e-mail about the same output (or about failover) in that time; what happens meanwhile comes in the next one'),
  services_dir: checked(folderPath),
  out1: output(),
  out2: output(),
  out3: output(),
  out4: output(),
  out5: output(),
  out6: output(),
  out7: output(),
  out8: output()
}

export type PropertyName = keyof typeof PROPERTY_SCHEMAS

/** Every property, parsed to its typed value. */
export type ParsedProperties = { [Name in PropertyName]: z.output<typeof PROPERTY_SCHEMAS[Name]> }

/** Every property name the env file accepts, in the order of the reference table. */
export const PROPERTY_NAMES = Object.keys(PROPERTY_SCHEMAS) as PropertyName[]

/** The value each property takes when the env file does not name it, as text (SPEC §2, §3). */
export const PROPERTY_DEFAULTS: Readonly<Record<PropertyName, string>> = {
  mode: 'tcp_roundrobin',
  ports: '80',
  max_connections: '0',
  backup_outputs: '',
  healthcheck_interval: '20',
  healthcheck_rise: '2',
  healthcheck_fall: '3',
  healthcheck_kind: '',
  healthcheck_http: 'GET / 200',
  healthcheck_send: '',
  healthcheck_expect: '',
  healthcheck_port: '',
  client_timeout: '150',
  server_timeout: '150',
  conn_timeout: '20',
  tcp_splice: 'on',
  in_addr: '',
  ctl_addr: '127.0.0.1',
  ctl_port: '8080',
  ctl_token: '',
  ui_addr: '127.0.0.1',
  ui_port: '8404',
  ui_user: '',
  ui_password: '',
  mon_url: '',
  mon_interval: '10',
  peer_addr: '127.0.0.1',
  peer_port: '8405',
  udp_snat: 'on',
  ha_vip: '',
  ha_interface: '',
  ha_peer: '',
  ha_priority: '100',
  ha_preempt: 'off',
  ha_router_id: '51',
  ha_out_vip: '',
  ha_out_interface: '',
  mail_to: '',
  mail_from: '',
  mail_server: '127.0.0.1:25',
  mail_hold: '300',
  services_dir: '',
  ...Object.fromEntries(OUTPUT_NAMES.map((name) => [name, ''])) as Record<OutputName, string>
}
