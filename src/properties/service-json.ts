/**
 * Pure: a service and a server as the management API's JSON (SPEC §12), to and from the lines
 * of a service file. This gives the JSON its shape and types only; what a value may be is
 * decided by the files' own validation (service-file.ts), so a file edited by hand and a
 * body sent to the API are checked by the one rule.
 */
import { isIPv6 } from 'node:net'
import { z } from 'zod'
import { SERVICE_PROPERTIES } from './service-file.js'
import { CHECK_PROPERTIES } from './health-check.js'
import { OUTPUT_NAMES, type PropertyProblem, type Server } from './model.js'
import { SERVER_NAME, SERVER_PREFIX } from './server-line.js'

/** The service properties a body gives as JSON numbers; the others are strings as in the files. */
export const NUMERIC_SERVICE_PROPERTIES = [
  'max_connections', 'healthcheck_interval', 'healthcheck_rise', 'healthcheck_fall', 'client_timeout', 'server_timeout', 'conn_timeout', 'healthcheck_port'
] as const

/** The service properties a body gives as strings, as the files write them. */
export const TEXT_SERVICE_PROPERTIES = ['mode', 'ports', 'tcp_splice', 'in_addr', 'udp_snat', 'healthcheck_kind', 'healthcheck_http', 'healthcheck_send', 'healthcheck_expect'] as const

const NUMERIC: ReadonlySet<string> = new Set(NUMERIC_SERVICE_PROPERTIES)
const OUTPUTS: ReadonlySet<string> = new Set(OUTPUT_NAMES)
// out1..out8 and backup_outputs are the env file's way; a body names its servers and marks their backups
const IN_BODY: ReadonlySet<string> = new Set([...SERVICE_PROPERTIES.filter((name) => !OUTPUTS.has(name) && name !== 'backup_outputs'), ...CHECK_PROPERTIES])

const wholeNumber = z.number({ error: (issue) => `${shown(issue.input)} is not accepted: give a JSON number` })
  .int({ error: (issue) => `${shown(issue.input)} is not accepted: give a whole number` })
const text = z.string({ error: (issue) => `${shown(issue.input)} is not accepted: give a JSON string, as the service file writes it` })

/** One server in a body: `PUT /api/services/NAME/servers/SERVER`, and each of a service's `servers`. */
export const serverBodySchema = z.strictObject({
  address: z.string({ error: (issue) => issue.input === undefined ? 'is missing: give the server\'s IPv4 or IPv6 address or host name' : `${shown(issue.input)} is not accepted: give the address as a JSON string` }),
  port: wholeNumber.nullable().optional(),
  weight: wholeNumber.optional(),
  maxconn: wholeNumber.nullable().optional(),
  backup: z.boolean({ error: (issue) => `${shown(issue.input)} is not accepted: give true or false` }).optional()
}, { error: (issue) => unknownMember(issue, 'address, port, weight, maxconn, backup') })

export type ServerBody = z.infer<typeof serverBodySchema>

/** A whole service in a body: `PUT /api/services/NAME`. */
export const serviceBodySchema = z.strictObject({
  ...Object.fromEntries(NUMERIC_SERVICE_PROPERTIES.map((name) => [name, wholeNumber.optional()])) as Record<typeof NUMERIC_SERVICE_PROPERTIES[number], z.ZodOptional<typeof wholeNumber>>,
  ...Object.fromEntries(TEXT_SERVICE_PROPERTIES.map((name) => [name, text.optional()])) as Record<typeof TEXT_SERVICE_PROPERTIES[number], z.ZodOptional<typeof text>>,
  servers: z.record(z.string(), serverBodySchema, { error: (issue) => `${shown(issue.input)} is not accepted: give an object of servers by name` }).optional()
}, { error: (issue) => unknownMember(issue, `${[...IN_BODY].join(', ')}, servers`) })

export type ServiceBody = z.infer<typeof serviceBodySchema>

/** A body's shape problems, each naming its field (`servers.web1.weight`), or its value. */
export type BodyResult<T> = { readonly ok: true, readonly value: T } | { readonly ok: false, readonly problems: readonly BodyProblem[] }

export interface BodyProblem {
  readonly field: string
  readonly message: string
}

/** A service body's shape; names of servers are checked here, everything else by the files' validation. */
export function parseServiceBody (body: unknown): BodyResult<ServiceBody> {
  const result = serviceBodySchema.safeParse(body ?? null)
  if (!result.success) return { ok: false, problems: issuesOf(result.error) }
  const badNames = Object.keys(result.data.servers ?? {}).filter((name) => !SERVER_NAME.test(name))
  if (badNames.length > 0) return { ok: false, problems: badNames.map((name) => ({ field: `servers.${name}`, message: serverNameMessage(name) })) }
  return { ok: true, value: result.data }
}

/** A server body's shape. */
export function parseServerBody (body: unknown): BodyResult<ServerBody> {
  const result = serverBodySchema.safeParse(body ?? null)
  return result.success ? { ok: true, value: result.data } : { ok: false, problems: issuesOf(result.error) }
}

/** Why a server name in a path or a body is not accepted, or null. */
export function serverNameProblem (name: string): string | null {
  return SERVER_NAME.test(name) ? null : serverNameMessage(name)
}

/** A service body as a service file's entries, in the order a person would write them. */
export function serviceEntries (body: ServiceBody): Map<string, string> {
  const entries = new Map<string, string>()
  for (const name of [...TEXT_SERVICE_PROPERTIES, ...NUMERIC_SERVICE_PROPERTIES]) {
    const value = body[name]
    if (value !== undefined) entries.set(name, String(value))
  }
  for (const [name, server] of Object.entries(body.servers ?? {})) entries.set(`${SERVER_PREFIX}${name}`, serverLine(server))
  return entries
}

const DEFAULT_WEIGHT = 1

/** A server body as the value of its `server_<name>=` line. */
export function serverLine (server: ServerBody): string {
  const { address, port } = server
  const target = port === undefined || port === null ? address : `${isIPv6(address) ? `[${address}]` : address}:${port}`
  // the defaults left out, as a person writes the line
  return [
    target,
    ...(server.weight === undefined || server.weight === DEFAULT_WEIGHT ? [] : [`weight=${server.weight}`]),
    ...(server.maxconn === undefined || server.maxconn === null ? [] : [`maxconn=${server.maxconn}`]),
    ...(server.backup === true ? ['backup'] : [])
  ].join(' ')
}

/** A running service's file entries and servers as the JSON a PUT takes back: numbers as numbers, servers by name. */
export function serviceJson (entries: ReadonlyMap<string, string>, servers: readonly Server[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {}
  for (const [name, value] of entries) {
    if (!IN_BODY.has(name)) continue
    properties[name] = NUMERIC.has(name) && /^[0-9]+$/.test(value) ? Number(value) : value
  }
  const byName = Object.fromEntries(servers.map((server) => [server.name, serverJson(server)]))
  return { ...properties, servers: byName }
}

/** A server as the JSON a PUT takes back. */
export function serverJson (server: Server): Required<ServerBody> {
  return { address: server.address, port: server.port, weight: server.weight, maxconn: server.maxconn, backup: server.backup }
}

/** The JSON field a service file's problem is about: `server_web1` is `servers.web1`. */
export function fieldOf (problem: PropertyProblem): string {
  const { property } = problem
  if (property.startsWith(SERVER_PREFIX)) return `servers.${property.slice(SERVER_PREFIX.length)}`
  if (property === 'file name') return 'name'
  return property
}

function issuesOf (error: z.ZodError): BodyProblem[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String)
    // a strict object's unknown members are each named by their key
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: [...path, key].join('.'), message: issue.message }))
    return [{ field: path.length === 0 ? 'body' : path.join('.'), message: issue.message }]
  })
}

function unknownMember (issue: { code?: string, input?: unknown }, accepted: string): string {
  if (issue.code === 'unrecognized_keys') return `is not accepted: the members accepted are ${accepted}`
  return `${shown(issue.input)} is not accepted: give a JSON object of ${accepted}`
}

function serverNameMessage (name: string): string {
  return `${JSON.stringify(name.slice(0, 80))} is not accepted as a server name: 1 to 32 lower-case letters, digits and _`
}

// a value as a message quotes it, cut at 80 characters
function shown (value: unknown): string {
  if (value === undefined) return 'nothing'
  const json = JSON.stringify(value) ?? String(value)
  return json.length > 80 ? `${json.slice(0, 77)}...` : json
}
