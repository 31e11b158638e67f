/**
 * (SPEC §12) The management API's routes: a service and its servers read, created, changed
 * and removed over HTTP, JSON in and out. The agent's ServiceEdits does the work; these map
 * its outcome to the answer: §5's status object, `applied` beside it for a change, HTTP 200
 * for codes 0 and 10, 400 for a refused request, 404 for an unknown service or server.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ManagementResult } from '../model/management.js'
import type { ServiceStatus } from '../model/health.js'
import { answer } from './answer.js'

/** Bodies up to 1 MB: a service of 1,000 servers fits. */
export const MANAGEMENT_BODY_LIMIT = 1024 * 1024

/** What the ctl service asks of the agent for the management API. */
export interface ManagementController {
  /** The service as a PUT takes it back, and its servers' live state; null when there is none of that name. */
  service (name: string): Promise<{ readonly service: Readonly<Record<string, unknown>>, readonly state: ServiceStatus } | null>
  putService (name: string, body: unknown): Promise<ManagementResult>
  deleteService (name: string): Promise<ManagementResult>
  putServer (name: string, server: string, body: unknown): Promise<ManagementResult>
  deleteServer (name: string, server: string): Promise<ManagementResult>
}

const SERVICE_PATH = /^\/api\/services\/[^/]+$/
const SERVER_PATH = /^\/api\/services\/[^/]+\/servers\/[^/]+$/

/** The methods a management path takes, or null for a path that is not one. */
export function managementMethods (path: string): readonly string[] | null {
  if (SERVICE_PATH.test(path)) return ['GET', 'PUT', 'DELETE']
  if (SERVER_PATH.test(path)) return ['PUT', 'DELETE']
  return null
}

interface ServiceParams { readonly name: string }
interface ServerParams extends ServiceParams { readonly server: string }

/** Registers the management routes. */
export function registerManagementRoutes (app: FastifyInstance, management: ManagementController): void {
  const body = { bodyLimit: MANAGEMENT_BODY_LIMIT }
  app.get<{ Params: ServiceParams }>('/api/services/:name', async (request, reply) => {
    const found = await management.service(request.params.name)
    if (found === null) return await reply.code(404).send(answer(100, `no service is named ${JSON.stringify(request.params.name.slice(0, 80))}`))
    return { ...answer(0, ''), ...found }
  })
  app.put<{ Params: ServiceParams }>('/api/services/:name', body, async (request, reply) =>
    await send(reply, await management.putService(request.params.name, request.body)))
  app.delete<{ Params: ServiceParams }>('/api/services/:name', async (request, reply) =>
    await send(reply, await management.deleteService(request.params.name)))
  app.put<{ Params: ServerParams }>('/api/services/:name/servers/:server', body, async (request, reply) =>
    await send(reply, await management.putServer(request.params.name, request.params.server, request.body)))
  app.delete<{ Params: ServerParams }>('/api/services/:name/servers/:server', async (request, reply) =>
    await send(reply, await management.deleteServer(request.params.name, request.params.server)))
}

async function send (reply: FastifyReply, result: ManagementResult): Promise<FastifyReply> {
  if (result.outcome === 'refused') return await reply.code(result.status).send(answer(100, result.message))
  return await reply.code(200).send({ ...answer(result.code, result.message), applied: result.applied })
}
