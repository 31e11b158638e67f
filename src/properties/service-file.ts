/**
 * Pure: one service file of services_dir (SPEC §11) to a Service, or every problem in it.
 * A service file takes the env file's line format and the service properties of §3 with
 * their meanings, defaults and messages, plus `server_<name>` lines; out1..out8 are servers
 * named so. in_addr defaults to the env file's.
 */
import { isIP, isIPv4 } from 'node:net'
import { z } from 'zod'
import { OUTPUT_NAMES, SERVICE_MODES, type Mode, type PropertyProblem, type Server, type Service, type ServiceMode } from './model.js'
import { PROPERTY_DEFAULTS, PROPERTY_NAMES, PROPERTY_SCHEMAS, type ParsedProperties, type PropertyName } from './schema.js'
import { parseServerLine, SERVER_NAME, SERVER_PREFIX } from './server-line.js'
import { serviceSettingsOf } from './validate.js'
import { cycleLength, UDP_CYCLE_LIMIT } from './udp-weights.js'
import { CHECK_PROPERTIES, healthCheckOf, unusedCheckWarnings, type CheckFields, type CheckPropertyName } from './health-check.js'

/** A service's name: the file's name without `.env`. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/

/** Names a service may not have: the seed's service, and HAProxy's sections of the seed's own. */
export const RESERVED_SERVICE_NAMES: ReadonlySet<string> = new Set(['default', 'in', 'outputs', 'ui'])

/** The properties that describe a service, in the env file (`default`) and in service files. */
export const SERVICE_PROPERTIES = [
  'mode', 'ports', 'max_connections', 'backup_outputs', 'healthcheck_interval', 'healthcheck_rise', 'healthcheck_fall',
  'client_timeout', 'server_timeout', 'conn_timeout', 'tcp_splice', 'in_addr', 'udp_snat', ...OUTPUT_NAMES
] as const satisfies readonly PropertyName[]

type ServicePropertyName = typeof SERVICE_PROPERTIES[number]

const SERVICE_NAMES: ReadonlySet<string> = new Set(SERVICE_PROPERTIES)
// (SPEC §14) a service's check properties, read beside the others
const CHECK_NAMES: ReadonlySet<string> = new Set(CHECK_PROPERTIES)
const NODE_NAMES: ReadonlySet<string> = new Set(PROPERTY_NAMES.filter((name) => !SERVICE_NAMES.has(name) && !CHECK_NAMES.has(name)))
const TCP_ONLY: readonly ServicePropertyName[] = ['max_connections', 'client_timeout', 'server_timeout']

const serviceMode = z.enum(SERVICE_MODES, {
  error: (issue) => `${JSON.stringify(String(issue.input))} is not accepted: invalid mode specified; the valid modes are ${SERVICE_MODES.join(', ')}`
})

/** A file as read: its path, its entries (name -> value as given) and the problems of its lines. */
export interface FileEntries {
  readonly file: string
  readonly entries: ReadonlyMap<string, string>
  readonly lineProblems: readonly PropertyProblem[]
}

/** One service file as read, with its service's name. */
export interface ServiceFileEntries extends FileEntries {
  readonly name: string
}

export type ServiceResult =
  | { readonly ok: true, readonly service: Service, readonly warnings: readonly string[] }
  | { readonly ok: false, readonly problems: readonly PropertyProblem[] }

/** Whether a mode is carried by the kernel's rules (UDP) rather than HAProxy. */
export function isUdpMode (mode: ServiceMode): boolean {
  return mode === 'udp_roundrobin' || mode === 'udp_source'
}

/**
 * Whether HAProxy runs on a node whose env file has `mode` beside these service files: the env
 * file's service is TCP (with no output, for the stats UI), or a service file is.
 */
export function runsHaproxy (mode: Mode, services: readonly Pick<Service, 'mode'>[]): boolean {
  return !isUdpMode(mode) || services.some((service) => !isUdpMode(service.mode))
}

/**
 * Validates one service file. `inAddr` is the env file's in_addr as written (a service file
 * that leaves it out takes it); `virtual` the pair's virtual addresses, added to a non-empty
 * in_addr as for the env file. Every problem names the file.
 */
export function validateServiceFile (source: ServiceFileEntries, inherited: { readonly inAddr: string, readonly virtual: readonly string[] }): ServiceResult {
  // the same file read again (a SIGHUP, an API call that edits another file) gives the very same
  // result: its Service object stays the same, so what is rendered from it is not rendered again
  const key = JSON.stringify([source.name, source.file, [...source.entries], source.lineProblems, inherited.inAddr, inherited.virtual])
  const known = RESULTS.get(key)
  if (known !== undefined) return known
  const result = checkServiceFile(source, inherited)
  if (RESULTS.size >= MAX_KEPT_RESULTS) RESULTS.delete(RESULTS.keys().next().value as string)
  RESULTS.set(key, result)
  return result
}

// the results of the files of the last configurations, oldest first; a node has at most 256 files
const RESULTS = new Map<string, ServiceResult>()
const MAX_KEPT_RESULTS = 1024

function checkServiceFile (source: ServiceFileEntries, inherited: { readonly inAddr: string, readonly virtual: readonly string[] }): ServiceResult {
  const { entries, file } = source
  const problems: PropertyProblem[] = []
  const add = (property: string, value: string, message: string): void => { problems.push({ property, value, message, file }) }
  for (const problem of source.lineProblems) problems.push({ ...problem, file })
  if (!SERVICE_NAME.test(source.name) || RESERVED_SERVICE_NAMES.has(source.name)) {
    add('file name', source.name, `${JSON.stringify(source.name)} is not accepted as a service name: give NAME.env with NAME of 1 to 32 lower-case letters, digits and -, starting with a letter or digit, and not ${[...RESERVED_SERVICE_NAMES].join(', ')}`)
  }
  const given = (name: ServicePropertyName): string => entries.get(name) ?? (name === 'in_addr' ? inherited.inAddr : PROPERTY_DEFAULTS[name])
  const parsed: Partial<Pick<ParsedProperties, ServicePropertyName>> = {}
  let mode: ServiceMode | undefined
  for (const name of SERVICE_PROPERTIES) {
    const result = name === 'mode' ? serviceMode.safeParse(given(name)) : PROPERTY_SCHEMAS[name].safeParse(given(name))
    if (!result.success) {
      for (const issue of result.error.issues) add(name, given(name), issue.message)
    } else if (name === 'mode') {
      mode = result.data as ServiceMode
    } else {
      Object.assign(parsed, { [name]: result.data })
    }
  }
  const checkText = (name: CheckPropertyName): string => entries.get(name) ?? PROPERTY_DEFAULTS[name]
  const checkFields: Partial<CheckFields> = {}
  for (const name of CHECK_PROPERTIES) {
    const result = PROPERTY_SCHEMAS[name].safeParse(checkText(name))
    if (result.success) Object.assign(checkFields, { [name]: result.data })
    else for (const issue of result.error.issues) add(name, checkText(name), issue.message)
  }
  const check = mode !== undefined && CHECK_PROPERTIES.every((name) => checkFields[name] !== undefined)
    ? healthCheckOf(mode, isUdpMode(mode), checkFields as CheckFields, checkText)
    : { check: null, problems: [] }
  for (const { property, message } of check.problems) add(property, checkText(property), message)
  const servers: Server[] = []
  for (const name of OUTPUT_NAMES) {
    const address = parsed[name]
    if (address !== undefined && address !== '') servers.push({ name, address, port: null, weight: 1, maxconn: null, backup: (parsed.backup_outputs ?? []).includes(name) })
  }
  for (const [property, value] of entries) {
    if (SERVICE_NAMES.has(property) || CHECK_NAMES.has(property)) continue
    if (property.startsWith(SERVER_PREFIX)) {
      const name = property.slice(SERVER_PREFIX.length)
      if (!SERVER_NAME.test(name)) {
        add(property, value, `${JSON.stringify(name)} is not accepted as a server name: 1 to 32 lower-case letters, digits and _ (server_<name>)`)
        continue
      }
      if (servers.some((server) => server.name === name)) {
        add(property, value, `server ${name} is given twice: as ${name} and as ${property}; give each server once`)
        continue
      }
      const result = parseServerLine(name, value)
      if (result.ok) servers.push(result.server)
      else for (const reason of result.reasons) add(property, value, reason)
    } else if (NODE_NAMES.has(property)) {
      add(property, '(not shown)', `${JSON.stringify(property)} is a node property: it belongs in the env file, not in a service file`)
    } else {
      add(property, value, `${JSON.stringify(property)} is not a known service property: a service file takes ${SERVICE_PROPERTIES.filter((name) => !name.startsWith('out')).join(', ')}, out1..out8 and server_<name> lines`)
    }
  }
  for (const name of parsed.backup_outputs ?? []) {
    if (!servers.some((server) => server.name === name)) add('backup_outputs', given('backup_outputs'), `${JSON.stringify(name)} is not accepted: ${name} is not connected (empty or absent); name connected outputs only`)
  }
  const ranges = parsed.ports?.ranges ?? []
  const singlePort = ranges.length === 1 && ranges[0]?.low === ranges[0]?.high
  for (const server of servers.filter((candidate) => candidate.port !== null)) {
    if (!singlePort && parsed.ports !== undefined) add(`${SERVER_PREFIX}${server.name}`, entries.get(`${SERVER_PREFIX}${server.name}`) ?? '', `a port after the address is accepted only where the service has a single port; ports is ${JSON.stringify(given('ports'))}, so ${server.name} receives on the port each client used: drop :${String(server.port)}`)
  }
  if (mode !== undefined && isUdpMode(mode)) problems.push(...udpServerProblems(servers, entries, file, mode))
  if (mode !== undefined && isUdpMode(mode) && parsed.in_addr !== undefined) problems.push(...udpListenProblems(parsed.in_addr, inherited.virtual, servers, given('in_addr'), file, mode))
  if (problems.length > 0 || mode === undefined) return { ok: false, problems }
  // every property parsed: no problem was found
  const fields = { ...parsed as Pick<ParsedProperties, ServicePropertyName>, healthcheck_port: checkFields.healthcheck_port ?? null }
  const service: Service = { name: source.name, file, mode, servers, ...serviceSettingsOf(fields, inherited.virtual, check.check) }
  const unused = unusedCheckWarnings(check.check, (name) => entries.has(name)).map((warning) => `${file}: ${warning}`)
  return { ok: true, service, warnings: [...serviceWarnings(service, entries), ...unused] }
}

// The kernel's DNAT takes addresses, and one rule set is one family: a UDP service stays within it.
function udpServerProblems (servers: readonly Server[], entries: ReadonlyMap<string, string>, file: string, mode: ServiceMode): PropertyProblem[] {
  const problems: PropertyProblem[] = []
  const property = (server: Server): string => entries.has(server.name) ? server.name : `${SERVER_PREFIX}${server.name}`
  for (const server of servers) {
    if (isIP(server.address) === 0) problems.push({ property: property(server), value: server.address, file, message: `${JSON.stringify(server.address)} is not accepted in ${mode}: give an IPv4 or IPv6 address (the kernel's DNAT rules take addresses, not host names)` })
    if (server.maxconn !== null) problems.push({ property: property(server), value: entries.get(property(server)) ?? '', file, message: `maxconn=${server.maxconn} is not accepted in ${mode}: a UDP server has no session limit (the kernel forwards its flows); drop it` })
  }
  const families = new Set(servers.filter((server) => isIP(server.address) !== 0).map((server) => isIPv4(server.address) ? 'IPv4' : 'IPv6'))
  if (families.size > 1) {
    const listed = servers.map((server) => `${server.name} ${server.address}`).join(', ')
    problems.push({ property: 'servers', value: listed, file, message: `${mode} services stay within one address family (clients and servers alike: the kernel translates a flow's addresses, not its family), and these mix IPv4 and IPv6: ${listed}; make one service per family` })
  }
  // one nth rule per flow of the cycle (docs/udp.md): any set of available servers has a cycle no longer than all of them;
  // udp_source spreads by a bucket table of fixed size instead, whatever the weights
  const cycle = cycleLength(servers.map((server) => server.weight))
  if (mode === 'udp_roundrobin' && cycle > UDP_CYCLE_LIMIT) {
    const listed = servers.map((server) => `${server.name} weight=${server.weight}`).join(', ')
    problems.push({ property: 'servers', value: listed, file, message: `the weights of a ${mode} service spread new flows over a cycle of ${cycle} flows (their sum over their greatest common divisor), and at most ${UDP_CYCLE_LIMIT} are accepted: give weights with a common divisor, or fewer distinct ones` })
  }
  return problems
}

// A UDP service listens only in its servers' family: an in_addr with no address of it would serve nothing.
function udpListenProblems (inAddr: readonly string[], virtual: readonly string[], servers: readonly Server[], given: string, file: string, mode: ServiceMode): PropertyProblem[] {
  const family = servers.some((server) => isIPv4(server.address)) ? 4 : servers.some((server) => isIP(server.address) === 6) ? 6 : null
  if (family === null || inAddr.length === 0) return []
  const covers = (address: string): boolean => address === '::' || (family === 4 ? isIPv4(address) || /^::ffff:\d/.test(address) : isIP(address) === 6 && !/^::ffff:\d/.test(address))
  if ([...inAddr, ...virtual].some(covers)) return []
  return [{ property: 'in_addr', value: given, file, message: `${JSON.stringify(given)} is not accepted in ${mode}: its servers are IPv${family} and a UDP service forwards within one family, but in_addr has no IPv${family} address, so it would serve nothing; give an IPv${family} address (or none, for every address)` }]
}

function serviceWarnings (service: Service, entries: ReadonlyMap<string, string>): string[] {
  const warnings: string[] = []
  const at = `${service.file}: `
  if (service.servers.length === 0) warnings.push(`${at}no server is given (out1..out8 or server_<name>), so service ${service.name} cannot serve a client`)
  else if (service.servers.every((server) => server.backup)) warnings.push(`${at}every server of service ${service.name} is a backup, so the backups get all traffic`)
  if (isUdpMode(service.mode)) {
    for (const name of TCP_ONLY.filter((known) => entries.has(known))) warnings.push(`${at}${name}: has no effect in ${service.mode}; it applies to the TCP modes only`)
  }
  return warnings
}
