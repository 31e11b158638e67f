import { L3lbError } from '../errors.js'

/** HTTP statuses a refused ctl request is answered with; the body is always code 100. */
export type RefusalStatus = 400 | 401 | 404 | 405 | 414

/** A ctl request refused before the controller saw it; `statusCode` is the HTTP status to answer with. */
export class CtlRequestError extends L3lbError {
  readonly statusCode: RefusalStatus
  /** A 405's accepted methods, for its Allow header; GET when not given. */
  readonly allow: readonly string[] | undefined

  constructor (statusCode: RefusalStatus, message: string, options?: { cause?: unknown, allow?: readonly string[] }) {
    super('L3LB_CTL_REQUEST', message, options)
    this.name = 'CtlRequestError'
    this.statusCode = statusCode
    this.allow = options?.allow
  }
}

/** (SPEC §11) The 404 for a `service=` naming no service: the name given, and those that exist. */
export function unknownServiceError (service: string, services: readonly string[]): CtlRequestError {
  return new CtlRequestError(404, `unknown service ${JSON.stringify(service.slice(0, 40))}: expected default or one of the service files' (${services.join(', ') || 'none'})`)
}
