import type { FastifyInstance, FastifyRequest } from 'fastify'
import { countersDocument } from '../counters/model.js'
import { METRICS_CONTENT_TYPE, metricsText } from '../counters/prometheus.js'
import type { CtlController } from './controller.js'
import { changeAnswer, statusAnswer } from './answer.js'
import { parseSelector } from './query.js'
import { CtlRequestError } from './request-error.js'

/** The paths the ctl service answers (SPEC §5, and the counters), GET only. */
export const CTL_PATHS = ['/api/enable', '/api/disable', '/api/status', '/api/counters', '/metrics'] as const

/** Registers the GET routes; errors they throw go to the app's one error handler. */
export function registerCtlRoutes (app: FastifyInstance, controller: CtlController): void {
  app.get('/api/status', async () => statusAnswer(await controller.status()))
  app.get('/api/enable', async (request) => changeAnswer(await controller.setEnabled(selectorOf(request), true)))
  app.get('/api/disable', async (request) => changeAnswer(await controller.setEnabled(selectorOf(request), false)))
  app.get('/api/counters', async () => countersDocument(await controller.counters()))
  app.get('/metrics', async (_request, reply) => {
    const text = await metricsText(await controller.counters())
    reply.type(METRICS_CONTENT_TYPE)
    return text
  })
}

/** The refusal for a path that is not one of CTL_PATHS. */
export function unknownPathError (path: string): CtlRequestError {
  return new CtlRequestError(404, `unknown path ${JSON.stringify(path.slice(0, 80))}: expected ${CTL_PATHS.join(', ')}`)
}

/** The path of a raw request URL, without its query. */
export function pathOf (url: string): string {
  const at = url.indexOf('?')
  return at === -1 ? url : url.slice(0, at)
}

// Fastify's own query parser is lenient; the seed's forms are read from the raw URL instead.
function selectorOf (request: FastifyRequest) {
  return parseSelector(request.raw.url ?? '')
}
