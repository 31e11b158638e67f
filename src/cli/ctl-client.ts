/** Calls the ctl service for `l3lb status|enable|disable`. */
import { L3lbError } from '../errors.js'
import type { Properties } from '../properties/model.js'

export interface CtlAnswer {
  readonly status: { readonly code: number, readonly message: string } & Readonly<Record<string, unknown>>
}

/** The ctl service's base URL for these properties (a wildcard address is reached on loopback). */
export function ctlBaseUrl (properties: Pick<Properties, 'ctlAddr' | 'ctlPort'>): string {
  const host = properties.ctlAddr === '0.0.0.0' ? '127.0.0.1' : properties.ctlAddr === '::' ? '::1' : properties.ctlAddr
  return `http://${host.includes(':') ? `[${host}]` : host}:${properties.ctlPort}`
}

/** GETs `path` (with its query) and returns the seed's answer, whatever its code. */
export async function callCtl (baseUrl: string, path: string, token: string): Promise<CtlAnswer> {
  const body = await getJson(baseUrl, path, token) as Partial<CtlAnswer>
  if (typeof body.status?.code !== 'number') {
    throw new L3lbError('L3LB_CTL_UNREACHABLE', `${baseUrl}${path} did not answer with the ctl service's JSON`)
  }
  return body as CtlAnswer
}

/** GETs a path that answers a document of its own (`/api/counters`); a seed error answer becomes an L3lbError. */
export async function callCtlDocument<T> (baseUrl: string, path: string, token: string): Promise<T> {
  const body = await getJson(baseUrl, path, token) as T & Partial<CtlAnswer>
  if (body.status !== undefined) throw new L3lbError('L3LB_CTL_REQUEST', `${baseUrl}${path}: ${body.status.message}`)
  return body
}

async function getJson (baseUrl: string, path: string, token: string): Promise<object> {
  let response: Response
  try {
    response = await fetch(`${baseUrl}${path}`, {
      headers: token === '' ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000)
    })
  } catch (cause) {
    throw new L3lbError('L3LB_CTL_UNREACHABLE', `the ctl service at ${baseUrl} cannot be reached (${(cause as Error).message}); is the agent running?`, { cause })
  }
  const body = await response.json().catch(() => null) as unknown
  if (body === null || typeof body !== 'object') {
    throw new L3lbError('L3LB_CTL_UNREACHABLE', `${baseUrl}${path} did not answer with JSON (HTTP ${response.status})`)
  }
  return body
}
