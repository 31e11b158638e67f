/**
 * The web console's files (docs/console.md), served at `/` and `/console/*` by a handler of
 * our own: five fixed files, read on the first request and kept (about 60 kB), so an agent
 * nobody browses holds none of them. They hold no data: the page asks the API, with the token.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'

/** The folder `npm run build` fills (scripts/copy-console.mjs): dist/console beside dist/src. */
export const CONSOLE_FOLDER = new URL('../../console/', import.meta.url)

/** Each path the console answers, its file in the folder and its type. */
export const CONSOLE_FILES: ReadonlyMap<string, { readonly file: string, readonly type: string }> = new Map([
  ['/', { file: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/console/console.js', { file: 'console.js', type: 'text/javascript; charset=utf-8' }],
  ['/console/console.css', { file: 'console.css', type: 'text/css; charset=utf-8' }],
  ['/console/uPlot.iife.min.js', { file: 'uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' }],
  ['/console/uPlot.min.css', { file: 'uPlot.min.css', type: 'text/css; charset=utf-8' }]
])

/** Whether a path is one of the console's files, which load without the token. */
export function isConsolePath (path: string): boolean {
  return CONSOLE_FILES.has(path)
}

// the page's code and styles come from this listener only; uPlot sets element styles
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

/** Registers a GET route per file; `notApi` keeps them out of the OpenAPI document's routes. */
export function registerConsoleRoutes (app: FastifyInstance, folder: URL = CONSOLE_FOLDER): void {
  const loaded = new Map<string, Promise<{ readonly body: Buffer, readonly etag: string }>>()
  const load = async (file: string): Promise<{ readonly body: Buffer, readonly etag: string }> => {
    const body = await readFile(new URL(file, folder)).catch((cause: unknown) => {
      // unexpected: answered 500 with the details in the agent's log
      throw new Error(`the console's file ${file} could not be read from ${folder.pathname}: ${(cause as Error).message}; \`npm run build\` puts it there`, { cause })
    })
    return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` }
  }
  for (const [path, { file, type }] of CONSOLE_FILES) {
    app.get(path, { config: { notApi: true } }, async (request, reply) => {
      let pending = loaded.get(file)
      if (pending === undefined) {
        pending = load(file)
        loaded.set(file, pending)
        // a file missing now may be installed later: try again next time
        pending.catch(() => loaded.delete(file))
      }
      const { body, etag } = await pending
      // revalidated each load (a new agent serves new files), answered 304 when unchanged
      reply.header('cache-control', 'no-cache').header('etag', etag).header('x-content-type-options', 'nosniff')
      if (path === '/') reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('referrer-policy', 'no-referrer')
      if (request.headers['if-none-match'] === etag) return await reply.code(304).send()
      return await reply.type(type).send(body)
    })
  }
}
