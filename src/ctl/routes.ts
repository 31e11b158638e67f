import type { FastifyInstance, FastifyRequest } from 'fastify'
import { METRICS_CONTENT_TYPE, metricsText } from '../counters/prometheus.js'
import { FORWARDED_HEADER, type ChangeOrigin } from '../model/pair.js'
import type { ConsoleSources, CtlController, HaController } from './controller.js'
import { adminAnswer, changeAnswer, countersAnswer, outputsAnswer, statusAnswer } from './answer.js'
import { parseSelector, parseServiceQuery, parseSyncBody, parseSyncQuery } from './query.js'
import { CtlRequestError } from './request-error.js'
import { agentVersion } from '../version.js'

/** The paths the ctl service answers (SPEC §5, and the counters), GET only. */
export const CTL_PATHS = ['/api/enable', '/api/disable', '/api/drain', '/api/status', '/api/outputs', '/api/services', '/api/counters', '/metrics'] as const

/** The ctl API's own description (OpenAPI 3.1); not in CTL_PATHS, whose list the seed's 404 message gives. */
export const OPENAPI_PATH = '/api/openapi.json'

/** (addition) What the web console reads: the last hour's notices, each service's sessions per second; beside CTL_PATHS as OPENAPI_PATH is. */
export const CONSOLE_API_PATHS: readonly string[] = ['/api/notices', '/api/rates']

/** (HA) The paths added when ha_vip is set: the admin state read and replaced between the two nodes. */
export const HA_CTL_PATHS = ['/api/admin', '/api/sync'] as const

/** (HA) The one path that takes a POST: the active node's push, whose 1,000 server keys do not fit a URL. */
export const SYNC_PATH = '/api/sync'

/** (HA) The largest push body read: 1,000 keys of 65 characters in two lists are about 130 kB. */
export const SYNC_BODY_LIMIT = 1024 * 1024

/** The paths a ctl app answers: CTL_PATHS, and HA_CTL_PATHS with `ha`. */
export function ctlPaths (ha: boolean): readonly string[] {
  return ha ? [...CTL_PATHS, ...HA_CTL_PATHS] : CTL_PATHS
}

/** Registers the GET routes; errors they throw go to the app's one error handler. */
export function registerCtlRoutes (app: FastifyInstance, controller: CtlController, ha?: HaController, consoleSources?: ConsoleSources): void {
  app.get('/api/status', async (request) => statusAnswer(await controller.status(parseServiceQuery(request.raw.url ?? '')), ha?.role()))
  app.get('/api/outputs', async () => outputsAnswer(await controller.outputs(), ha?.role()))
  app.get('/api/services', async () => ({ status: { code: 0, message: '' }, services: await controller.services() }))
  app.get('/api/enable', async (request) => changeAnswer(await controller.setEnabled(selectorOf(request), true, ...originOf(request, ha))))
  app.get('/api/disable', async (request) => changeAnswer(await controller.setEnabled(selectorOf(request), false, ...originOf(request, ha))))
  app.get('/api/drain', async (request) => changeAnswer(await controller.setDraining(selectorOf(request), ...originOf(request, ha))))
  if (ha !== undefined) {
    app.get('/api/admin', async () => adminAnswer(ha.disabled(), ha.role(), ha.settings(), ha.draining()))
    app.get(SYNC_PATH, async (request) => {
      const { disabled, digest, draining } = parseSyncQuery(request.raw.url ?? '')
      return changeAnswer(await ha.replaceDisabled(disabled, digest, draining))
    })
    app.post(SYNC_PATH, { bodyLimit: SYNC_BODY_LIMIT }, async (request) => {
      const { disabled, digest, draining } = parseSyncBody(request.body)
      return changeAnswer(await ha.replaceDisabled(disabled, digest, draining))
    })
  }
  app.get('/api/counters', async (request) => {
    const service = parseServiceQuery(request.raw.url ?? '')
    return countersAnswer(await controller.counters(), service)
  })
  // built when asked, and its module (the API's zod schemas) loaded then: nothing at boot needs it
  app.get(OPENAPI_PATH, async () => (await import('./openapi.js')).openApiDocument(agentVersion(), ha !== undefined, consoleSources !== undefined))
  if (consoleSources !== undefined) {
    app.get('/api/notices', async () => ({ status: { code: 0, message: '' }, notices: consoleSources.notices() }))
    app.get('/api/rates', async () => ({ status: { code: 0, message: '' }, rates: consoleSources.rates() }))
  }
  app.get('/metrics', async (_request, reply) => {
    const text = await metricsText(await controller.counters())
    reply.type(METRICS_CONTENT_TYPE)
    return text
  })
}

/** The refusal for a path that is not one of CTL_PATHS. */
export function unknownPathError (path: string, ha = false): CtlRequestError {
  return new CtlRequestError(404, `unknown path ${JSON.stringify(path.slice(0, 80))}: expected ${ctlPaths(ha).join(', ')}`)
}

/** The path of a raw request URL, without its query. */
export function pathOf (url: string): string {
  const at = url.indexOf('?')
  return at === -1 ? url : url.slice(0, at)
}

// Without HA the controller is called exactly as before: no third argument.
function originOf (request: FastifyRequest, ha: HaController | undefined): [] | [ChangeOrigin] {
  if (ha === undefined) return []
  return [request.headers[FORWARDED_HEADER] === undefined ? 'client' : 'forwarded']
}

// Fastify's own query parser is lenient; the seed's forms are read from the raw URL instead.
function selectorOf (request: FastifyRequest) {
  return parseSelector(request.raw.url ?? '')
}
