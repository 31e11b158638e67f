/**
 * Pure: the OpenAPI 3.1 document of the ctl API (`GET /api/openapi.json`). The management
 * API's bodies are described by the very zod schemas that check them (properties/
 * service-json.ts), turned into JSON Schema by zod itself; the seed's query forms, which
 * query.ts reads by hand to keep the seed's exact messages, are listed here as parameters.
 * A unit test holds this table and the routes the app registers to each other.
 */
import { z } from 'zod'
import { serverBodySchema, serviceBodySchema } from '../properties/service-json.js'

/** One operation of the ctl API. */
export interface RouteDoc {
  readonly method: 'GET' | 'PUT' | 'DELETE' | 'POST'
  /** As Fastify registers it: `/api/services/:name`. */
  readonly path: string
  readonly summary: string
  readonly query?: readonly QueryDoc[]
  readonly body?: z.ZodType
  /** A success answer's schema; §5's status object alone when absent. */
  readonly answer?: z.ZodType
  /** Answers other than JSON (`/metrics`). */
  readonly contentType?: string
  /** Only in a pair (ha_vip set). */
  readonly pairOnly?: boolean
  /** Only with the web console (the app's `console` option). */
  readonly consoleOnly?: boolean
}

interface QueryDoc {
  readonly name: string
  readonly description: string
}

const status = z.object({
  code: z.union([z.literal(0), z.literal(10), z.literal(100)]).describe('0 done, 10 nothing changed, 100 error (SPEC §5)'),
  message: z.string()
})
const statusAnswer = z.object({ status })
const changeAnswer = z.object({ status, applied: z.enum(['runtime', 'reload', 'none']).describe('how the change reached what runs (SPEC §12)') })
const serverState = z.object({
  name: z.string(),
  address: z.string(),
  port: z.number().int().nullable(),
  weight: z.number().int(),
  role: z.enum(['primary', 'backup']),
  admin: z.enum(['enabled', 'disabled', 'draining']),
  health: z.enum(['up', 'down']),
  sessions: z.number().int().nullable()
})
const serviceState = z.object({ name: z.string(), mode: z.string(), ports: z.string(), addresses: z.array(z.string()), servers: z.array(serverState) })

const SELECTOR: readonly QueryDoc[] = [
  { name: 'channel', description: 'out1..out8, or with service= any server of that service; the seed\'s bare forms `?out2` and `?198.18.1.2` are read too' },
  { name: 'address', description: 'every server with this IPv4 or IPv6 address (any spelling), in every service unless service= is given' },
  { name: 'service', description: '(SPEC §11) the service: default (the env file\'s) or a service file\'s name' }
]
const SERVICE: readonly QueryDoc[] = [{ name: 'service', description: '(SPEC §11) the service: default or a service file\'s name' }]

/** Every operation the ctl service answers. */
export const CTL_ROUTE_DOCS: readonly RouteDoc[] = [
  { method: 'GET', path: '/api/status', summary: 'Health of every connected, enabled output (or of one service\'s servers): `outN: up|down` members beside status', query: SERVICE },
  { method: 'GET', path: '/api/outputs', summary: 'Every connected output with its state, the reason it is down and for how long' },
  { method: 'GET', path: '/api/services', summary: 'Every service and its servers with their state', answer: z.object({ status, services: z.array(serviceState) }) },
  { method: 'GET', path: '/api/enable', summary: 'Enable the selected servers (ends a drain); at once, persisted', query: SELECTOR },
  { method: 'GET', path: '/api/disable', summary: 'Disable the selected servers; at once, persisted', query: SELECTOR },
  { method: 'GET', path: '/api/drain', summary: 'Drain the selected servers: no new sessions, those they have finish', query: SELECTOR },
  { method: 'GET', path: '/api/counters', summary: 'The counters (SPEC §6), or one service\'s', query: SERVICE, answer: z.object({ group: z.string(), service: z.string().optional(), counters: z.record(z.string(), z.number()) }) },
  { method: 'GET', path: '/metrics', summary: 'The counters in Prometheus\' text format', contentType: 'text/plain; version=0.0.4' },
  {
    method: 'GET',
    path: '/api/notices',
    summary: 'The notices of the last hour (outputs and servers down or up, outages, failovers), oldest first; at most 500',
    answer: z.object({ status, notices: z.array(z.object({ at: z.string(), notice: z.enum(['output', 'server', 'service', 'role']), message: z.string() }).catchall(z.unknown())) }),
    consoleOnly: true
  },
  {
    method: 'GET',
    path: '/api/rates',
    summary: 'Each TCP service\'s completed sessions per second over the last ten minutes, from the counters: one [unix seconds, per second] point every 10 s, oldest first',
    answer: z.object({ status, rates: z.record(z.string(), z.array(z.tuple([z.number(), z.number()]))) }),
    consoleOnly: true
  },
  { method: 'GET', path: '/api/openapi.json', summary: 'This document', contentType: 'application/json' },
  { method: 'GET', path: '/api/services/:name', summary: 'One service: its properties and servers as PUT takes them back, and their state', answer: z.object({ status, service: serviceBodySchema, state: serviceState }) },
  { method: 'PUT', path: '/api/services/:name', summary: 'Create or replace a service (its file written anew)', body: serviceBodySchema, answer: changeAnswer },
  { method: 'DELETE', path: '/api/services/:name', summary: 'Remove a service and its file; its sessions finish', answer: changeAnswer },
  { method: 'PUT', path: '/api/services/:name/servers/:server', summary: 'Add or change one server (only its line of the file changes)', body: serverBodySchema, answer: changeAnswer },
  { method: 'DELETE', path: '/api/services/:name/servers/:server', summary: 'Remove one server: no new sessions at once, its sessions finish', answer: changeAnswer },
  { method: 'GET', path: '/api/admin', summary: '(pair) The admin state and the shared settings this node runs', pairOnly: true },
  { method: 'GET', path: '/api/sync', summary: '(pair) The active node\'s admin state, in a query (kept for older peers)', query: [{ name: 'disabled', description: 'server keys, comma-separated' }, { name: 'draining', description: 'server keys, comma-separated' }, { name: 'digest', description: 'the active node\'s settings digest' }], pairOnly: true },
  {
    method: 'POST',
    path: '/api/sync',
    summary: '(pair) The active node\'s whole admin state, pushed to the standby',
    body: z.object({ disabled: z.array(z.string()), draining: z.array(z.string()).optional(), digest: z.string().optional() }),
    pairOnly: true
  }
]

/** The document for an app with (`ha`) or without the pair's routes, and with or without the console's (`withConsole`). */
export function openApiDocument (version: string, ha: boolean, withConsole = false): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of CTL_ROUTE_DOCS.filter((candidate) => (ha || candidate.pairOnly !== true) && (withConsole || candidate.consoleOnly !== true))) {
    const path = route.path.replace(/:([a-z]+)/g, '{$1}')
    const parameters = [
      ...[...route.path.matchAll(/:([a-z]+)/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...(route.query ?? []).map((query) => ({ name: query.name, in: 'query', required: false, description: query.description, schema: { type: 'string' } }))
    ]
    const success = route.contentType === undefined
      ? { 'application/json': { schema: jsonSchema(route.answer ?? statusAnswer) } }
      : { [route.contentType]: {} }
    paths[path] = {
      ...paths[path],
      [route.method.toLowerCase()]: {
        summary: route.summary,
        ...(parameters.length === 0 ? {} : { parameters }),
        ...(route.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } }),
        responses: {
          200: { description: 'done (code 0) or nothing changed (code 10)', content: success },
          default: { description: 'refused (code 100): 400 a bad request, 401 no valid token, 404 an unknown path, service or server, 405 another method, 413 a body past 1 MB, 500 the agent could not do it', content: { 'application/json': { schema: jsonSchema(statusAnswer) } } }
        }
      }
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'l3lb ctl', version, description: 'The ctl service of the l3lb agent (SPEC §5, §6, §11, §12). With ctl_token set every call needs `Authorization: Bearer <token>`.' },
    components: { securitySchemes: { ctlToken: { type: 'http', scheme: 'bearer' } } },
    security: [{ ctlToken: [] }],
    paths
  }
}

// zod's own JSON Schema (2020-12, which OpenAPI 3.1 takes), without the dialect line
function jsonSchema (schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
  return rest
}
