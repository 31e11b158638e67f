/**
 * Pure: what the appliance tells its operator about, and how it reads in the log, in the
 * JSON sent to mon and in an e-mail.
 */
import { DEFAULT_SERVICE, OUTPUT_NAMES, type OutputName } from '../properties/model.js'
import type { ServerReport } from '../model/health.js'
import { fileServerKey } from '../state/server-key.js'

/** An output found down or up again by the health checks (admin changes through ctl are not notices). */
export interface OutputNotice {
  readonly kind: 'output'
  readonly output: OutputName
  readonly address: string
  readonly state: 'up' | 'down'
  /** Why it is down, in the checker's words (`Layer4 timeout`); '' when up or not known. */
  readonly reason: string
  readonly at: Date
}

/** (SPEC §11) A service file's server found down or up again by the health checks. */
export interface ServerNotice {
  readonly kind: 'server'
  readonly service: string
  readonly server: string
  readonly address: string
  /** null: the port the client used. */
  readonly port: number | null
  readonly state: 'up' | 'down'
  /** Why it is down, in the checker's words; '' when up or not known. */
  readonly reason: string
  readonly at: Date
}

/** This node's place in the pair changed, as keepalived reported it. */
export interface RoleNotice {
  readonly kind: 'role'
  /** MASTER: it holds the virtual addresses now; FAULT: its data path failed its check; BACKUP: it gave them up. */
  readonly vrrp: 'MASTER' | 'BACKUP' | 'FAULT'
  readonly previous: string
  readonly virtualAddresses: readonly string[]
  readonly at: Date
}

/**
 * No output can serve any more (every connected, enabled output is down), or one can again:
 * the outage itself, which each output's own notice does not say.
 */
export interface OutputsOutageNotice {
  readonly kind: 'service'
  /** The env file's service: absent, or `default`. */
  readonly service?: typeof DEFAULT_SERVICE
  readonly state: 'up' | 'down'
  /** down: the outputs that are down; up: the ones up again. */
  readonly outputs: readonly OutputName[]
  readonly at: Date
}

/** (SPEC §11) The same outage for a service file's service: no enabled server of it is up, or one is again. */
export interface ServersOutageNotice {
  readonly kind: 'service'
  readonly service: string
  readonly state: 'up' | 'down'
  /** down: the servers that are down; up: the ones up again (by their names in the service). */
  readonly servers: readonly string[]
  readonly at: Date
}

/** A service's outage or its end: the env file's in the seed's words (its outputs), a service file's by its servers. */
export type ServiceNotice = OutputsOutageNotice | ServersOutageNotice

export type Notice = OutputNotice | ServerNotice | RoleNotice | ServiceNotice

/** Who sends: the host's name, the node's own address in a pair (two nodes may share a name), the mode. */
export interface NodeIdentity {
  readonly host: string
  /** Empty outside a pair. */
  readonly address: string
  readonly mode: string
}

/** The notice of a server's change of health: the seed's output notice for `default`'s outputs, a server notice for a service file's. */
export function healthNotice (report: ServerReport, at: Date): OutputNotice | ServerNotice {
  const { service, server, address, port, health: state, reason } = report
  const output = OUTPUT_NAMES.find((name) => name === server)
  if (service === DEFAULT_SERVICE && output !== undefined) return { kind: 'output', output, address, state, reason, at }
  return { kind: 'server', service, server, address, port, state, reason, at }
}

// where a server receives, as an operator writes it: `198.18.5.1:8080`, `[fd00:1b::5]:8080`, or the address alone
function endpoint (address: string, port: number | null): string {
  if (port === null) return address
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
}

function nodeName (node: NodeIdentity): string {
  return node.address === '' ? node.host : `${node.host} (${node.address})`
}

/**
 * What a rate limit keeps apart: one output's notices, one service file server's (by its
 * server key, `web/web2`), the env file's outage (`service`), a service file's outage
 * (`service:web`: no name holds a `:`, so it is no other key), or the node's role changes.
 */
export function noticeKey (notice: Notice): string {
  if (notice.kind === 'output') return notice.output
  if (notice.kind === 'server') return fileServerKey(notice.service, notice.server)
  if (notice.kind === 'service' && 'servers' in notice) return `service:${notice.service}`
  return notice.kind
}

/** One line: the log's, and the e-mail's subject when it carries one notice. */
export function noticeLine (notice: Notice): string {
  if (notice.kind === 'output') return `output ${notice.output} (${notice.address}) is ${notice.state.toUpperCase()}${notice.reason === '' ? '' : `: ${notice.reason}`}`
  if (notice.kind === 'server') return `service ${notice.service}: server ${notice.server} (${endpoint(notice.address, notice.port)}) is ${notice.state.toUpperCase()}${notice.reason === '' ? '' : `: ${notice.reason}`}`
  if (notice.kind === 'service') {
    if ('servers' in notice) return `service ${notice.service}: ${outageLine('NO SERVER IS UP', notice.state, notice.servers)}`
    return outageLine('NO OUTPUT IS UP', notice.state, notice.outputs)
  }
  switch (notice.vrrp) {
    case 'MASTER': return `this node is now ACTIVE: it holds the virtual address(es) ${notice.virtualAddresses.join(', ')} (was ${notice.previous})`
    case 'FAULT': return `this node is in FAULT: its HAProxy failed the VRRP check, so it cannot hold the virtual address(es) ${notice.virtualAddresses.join(', ')} (was ${notice.previous})`
    case 'BACKUP': return `this node is now STANDBY: the peer holds the virtual address(es) ${notice.virtualAddresses.join(', ')} (was ${notice.previous})`
  }
}

// the outage in the seed's words, of outputs or of a service file's servers
function outageLine (headline: string, state: 'up' | 'down', names: readonly string[]): string {
  return state === 'down'
    ? `${headline}: ${names.join(', ')} ${names.length === 1 ? 'is' : 'are all'} down, clients are not served`
    : `serving again: ${names.join(', ')} up`
}

/** Whether a notice is worth an e-mail: outputs and servers always; of role changes, taking over and failing (leaving for the peer is the peer's news). */
export function isMailed (notice: Notice): boolean {
  return notice.kind !== 'role' || notice.vrrp !== 'BACKUP'
}

/** The document POSTed to mon_url for one notice. */
export function noticeDocument (notice: Notice, node: NodeIdentity): Record<string, unknown> {
  return { group: 'L3LB', node: { host: node.host, address: node.address }, ...noticeFields(notice) }
}

/** A notice's own fields, as mon gets them without the sender: what `/api/notices` lists. */
export function noticeFields (notice: Notice): Record<string, unknown> {
  const common = { at: notice.at.toISOString(), message: noticeLine(notice) }
  if (notice.kind === 'output') {
    return { ...common, notice: 'output', output: notice.output, address: notice.address, state: notice.state, reason: notice.reason }
  }
  if (notice.kind === 'server') {
    return { ...common, notice: 'server', service: notice.service, server: notice.server, address: notice.address, port: notice.port, state: notice.state, reason: notice.reason }
  }
  if (notice.kind === 'service') {
    if ('servers' in notice) return { ...common, notice: 'service', service: notice.service, state: notice.state, servers: notice.servers }
    return { ...common, notice: 'service', state: notice.state, outputs: notice.outputs }
  }
  return { ...common, notice: 'role', vrrp: notice.vrrp, previous: notice.previous, virtual: notice.virtualAddresses }
}

export interface Mail {
  readonly subject: string
  readonly text: string
}

/**
 * One e-mail for notices of one key, oldest first: the first is what happened; several
 * (a flapping output held back by the rate limit) are listed with the state they ended in.
 */
export function noticeMail (notices: readonly Notice[], node: NodeIdentity): Mail {
  const last = notices.at(-1)
  if (last === undefined) throw new Error('a notice mail needs at least one notice')
  const subject = notices.length === 1
    ? `l3lb ${nodeName(node)}: ${noticeLine(last)}`
    : `l3lb ${nodeName(node)}: ${notices.length} changes, last: ${noticeLine(last)}`
  const note = notices.length > 1 ? 'These were held back by mail_hold so a flapping output does not flood the mailbox; the last line is the state now.' : ''
  return { subject: oneLine(subject), text: mailText(notices, node, note) }
}

// a mail's body: the node, each notice with its time, why they came together ('' for none), where to look
function mailText (notices: readonly Notice[], node: NodeIdentity, note: string): string {
  const text = [
    `l3lb on ${nodeName(node)}, mode ${node.mode}, reports:`,
    '',
    ...notices.map((notice) => `${notice.at.toISOString()}  ${noticeLine(notice)}`),
    '',
    note,
    'Details: l3lb status, or /api/status on the ctl service.'
  ].filter((line, index, all) => line !== '' || all[index - 1] !== '').join('\n')
  return `${text}\n`
}

/** Whether a notice says more than one server's health: an outage, its end, or this node's role. */
export function isUrgent (notice: Notice): boolean {
  return notice.kind === 'service' || notice.kind === 'role'
}

/** Pure: `waiting` with `entry` added, an urgent one (`urgent`) ahead of every one that is not; each keeps its order otherwise. */
export function urgentAhead<T> (waiting: readonly T[], entry: T, urgent: (entry: T) => boolean): T[] {
  const next = [...waiting]
  const at = urgent(entry) ? next.findIndex((other) => !urgent(other)) : -1
  if (at === -1) next.push(entry)
  else next.splice(at, 0, entry)
  return next
}

/**
 * One mail for notices of many subjects that came faster than mails go out one by one (a back
 * end shared by many services dying): the outages first in the subject, every notice in the
 * text in time order, none left out.
 */
export function noticesTogetherMail (notices: readonly Notice[], node: NodeIdentity): Mail {
  const first = notices[0]
  if (first === undefined) throw new Error('a notice mail needs at least one notice')
  const urgent = notices.filter(isUrgent)
  const headline = urgent[0] ?? first
  const subject = urgent.length > 0
    ? `l3lb ${nodeName(node)}: ${notices.length} changes at once, ${urgent.length} of them outages or roles: ${noticeLine(headline)}`
    : `l3lb ${nodeName(node)}: ${notices.length} changes at once, first: ${noticeLine(headline)}`
  const inTime = [...notices].sort((a, b) => a.at.getTime() - b.at.getTime())
  return { subject: oneLine(subject), text: mailText(inTime, node, 'These came faster than mails go out one by one: they are mailed together, none left out.') }
}

// a subject is a header: no line breaks in it, whatever a host name holds
function oneLine (text: string): string {
  return text.replace(/[\r\n]+/g, ' ')
}
