import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { CtlController, HaController } from './controller.js'
import { answer } from './answer.js'
import { bearerTokenCheck, TOKEN_REQUIRED_MESSAGE } from './auth.js'
import { answerClientError, failureOf, MISSING_HOST_MESSAGE, sendRaw } from './failure.js'
import { CONSOLE_API_PATHS, ctlPaths, OPENAPI_PATH, pathOf, registerCtlRoutes, SYNC_PATH, unknownPathError } from './routes.js'
import { managementMethods, registerManagementRoutes, type ManagementController } from './services-routes.js'
import { CtlRequestError } from './request-error.js'
import { isConsolePath, registerConsoleRoutes } from './console-files.js'
import type { ConsoleSources } from './controller.js'
import { lazySchemaCompilers } from './schema-compilers.js'

/** Longest request URL the ctl service reads; the seed's longest request is well under 100 characters. */
export const MAX_URL_LENGTH = 2048

export interface CtlAppOptions {
  readonly controller: CtlController
  /** `ctl_token`; empty = no authentication. */
  readonly token: string
  /** (HA) Set when ha_vip is: adds /api/admin, /api/sync (GET, and POST with a JSON body) and the role in /api/status. */
  readonly ha?: HaController
  /** (SPEC §12) Set to serve the management API: GET, PUT, DELETE of /api/services/NAME and PUT, DELETE of its servers. */
  readonly management?: ManagementController
  /**
   * Serves the web console: its page at `/` and its files at `/console/*`, which load without
   * the token, and the two calls it reads beside the others, `/api/notices` and `/api/rates`.
   */
  readonly console?: ConsoleSources
  /** Fastify's logger option; off by default (SPEC §8: no per-request log). */
  readonly logger?: boolean | object
}

/**
 * The ctl web service (SPEC §5), built but not listening. Every answer, errors included,
 * is the seed's `{"status":{"code":N,"message":"..."}}`.
 */
export function buildCtlApp (options: CtlAppOptions): FastifyInstance {
  const app = Fastify({
    logger: (options.logger ?? false) as FastifyServerOptions['logger'],
    logController: new LogController({ disableRequestLogging: true }),
    // HEAD would run a GET route, and an enable or disable is not safe to run from a HEAD.
    exposeHeadRoutes: false,
    bodyLimit: 1024,
    routerOptions: { maxParamLength: 100 },
    requestTimeout: 30_000,
    // Node's own refusal of a Host-less HTTP/1.1 request is a bare 400; the onRequest hook answers it instead.
    http: { requireHostHeader: false },
    frameworkErrors: (error, request, reply) => sendFailure(frameworkRefusal(error, request), request, reply),
    clientErrorHandler: answerClientError,
    // no route has a schema: ajv and fast-json-stringify load only if one ever does (schema-compilers.ts)
    schemaController: { compilersFactory: lazySchemaCompilers }
  })
  const routes: Array<{ readonly method: string, readonly url: string }> = []
  app.addHook('onRoute', (route) => {
    // the console's files are not calls of the API
    if ((route.config as { notApi?: boolean } | undefined)?.notApi === true) return
    for (const method of [route.method].flat()) routes.push({ method, url: route.url })
  })
  ROUTES.set(app, routes)
  const tokenAccepted = bearerTokenCheck(options.token)
  const ha = options.ha !== undefined
  answerWhatNodeWouldRefuse(app)
  // the page and its files hold no data: a browser navigating to them cannot send the token
  const open = options.console === undefined ? () => false : isConsolePath
  const getOnly = (path: string): boolean => path === OPENAPI_PATH || (options.console !== undefined && CONSOLE_API_PATHS.includes(path)) || open(path)

  // Runs before routing's outcome matters and before any body is read, for every request.
  app.addHook('onRequest', async (request) => {
    const url = request.raw.url ?? ''
    if (url.length > MAX_URL_LENGTH) {
      throw new CtlRequestError(414, `request URL of ${url.length} characters is longer than the ${MAX_URL_LENGTH} accepted`)
    }
    if (!open(pathOf(url)) && !tokenAccepted(request.headers.authorization)) throw new CtlRequestError(401, TOKEN_REQUIRED_MESSAGE)
    // the router takes `*` (and other spellings) for `/`: the console answers its own exact paths only
    if ((request.routeOptions.config as { notApi?: boolean } | undefined)?.notApi === true && !open(pathOf(url))) throw unknownPathError(pathOf(url), ha)
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) throw new CtlRequestError(400, MISSING_HOST_MESSAGE)
    // (HA) the push of the admin state is the one POST: its body is read under its own limit
    const push = ha && request.method === 'POST' && pathOf(url) === SYNC_PATH
    const methods = getOnly(pathOf(url)) ? ['GET'] : options.management === undefined ? null : managementMethods(pathOf(url))
    if (methods !== null) {
      if (!methods.includes(request.method)) throw new CtlRequestError(405, `method ${request.method} not allowed on ${pathOf(url).slice(0, 120)}: it takes ${methods.join(', ')}`, { allow: methods })
    } else if (request.method !== 'GET' && !push) throw methodRefusal(request.method, pathOf(url), ha)
  })
  app.setErrorHandler(sendFailure)
  app.setNotFoundHandler(async (request) => {
    throw unknownPathError(pathOf(request.raw.url ?? ''), ha)
  })
  registerCtlRoutes(app, options.controller, options.ha, options.console)
  if (options.console !== undefined) registerConsoleRoutes(app)
  if (options.management !== undefined) registerManagementRoutes(app, options.management)
  return app
}

const ROUTES = new WeakMap<FastifyInstance, ReadonlyArray<{ readonly method: string, readonly url: string }>>()

/** The routes an app built here answers (what its OpenAPI document must describe). */
export function routesOf (app: FastifyInstance): ReadonlyArray<{ readonly method: string, readonly url: string }> {
  return ROUTES.get(app) ?? []
}

// The one place an error becomes an answer: code 100, a fitting HTTP status, no stack trace.
function sendFailure (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const failure = failureOf(error)
  if (failure.unexpected) request.log.error({ err: error }, 'ctl request failed')
  if (failure.statusCode === 405) reply.header('allow', (error instanceof CtlRequestError ? error.allow : undefined)?.join(', ') ?? 'GET')
  return reply.code(failure.statusCode).send(answer(100, failure.message))
}

// Fastify's bad-URL message echoes the whole path, however long; ours is cut and says what is wrong.
function frameworkRefusal (error: FastifyError, request: FastifyRequest): unknown {
  if (error.code !== 'FST_ERR_BAD_URL') return error
  const path = JSON.stringify(pathOf(request.raw.url ?? '').slice(0, 80))
  return new CtlRequestError(400, `malformed %-encoding in the path ${path}: a % must start a %XX escape of UTF-8`, { cause: error })
}

/**
 * Node answers some requests itself, outside Fastify, with bare bodies or none: an
 * `Expect` it does not know (417), CONNECT (the socket is dropped). Those get the seed's
 * answer too. And a client that half-closes after its request (`nc -N`) would lose the
 * answer to a change already made: the answer is sent before the socket closes.
 */
function answerWhatNodeWouldRefuse (app: FastifyInstance): void {
  // Node's http.Server reads this flag in its end-of-input handler (undocumented, present since Node 0.x).
  Object.assign(app.server, { httpAllowHalfOpen: true })
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const message = `expectation ${JSON.stringify(String(request.headers.expect).slice(0, 80))} not supported: ctl requests send no Expect header`
    const body = JSON.stringify(answer(100, message))
    response.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' })
    response.end(body)
  })
  app.server.on('connect', (request: IncomingMessage, socket: Duplex) => {
    sendRaw(socket, 405, `method CONNECT not allowed on ${JSON.stringify(String(request.url).slice(0, 80))}: ctl requests use GET`, ['Allow: GET', 'Connection: close'])
    socket.end()
  })
}

function methodRefusal (method: string, path: string, ha: boolean): CtlRequestError {
  if (!ctlPaths(ha).includes(path)) return unknownPathError(path, ha)
  return new CtlRequestError(405, `method ${method} not allowed on ${path}: ctl requests use GET`)
}
