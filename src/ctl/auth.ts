import { createHash, timingSafeEqual } from 'node:crypto'

/** Said to every request that lacks the right token; never echoes what was sent. */
export const TOKEN_REQUIRED_MESSAGE = 'ctl_token required: send Authorization: Bearer <token>'

/** True when a request's Authorization header may use the ctl service. */
export type TokenCheck = (authorization: string | undefined) => boolean

const BEARER = /^Bearer +(.+)$/i

/**
 * The check for `ctl_token`: with an empty token every request passes; otherwise the
 * header must be `Bearer <token>`, compared in constant time.
 */
export function bearerTokenCheck (token: string): TokenCheck {
  if (token === '') return () => true
  const expected = digestOf(token)
  return (authorization) => {
    const given = BEARER.exec(authorization ?? '')?.[1]
    // Equal-length digests let timingSafeEqual compare without leaking the token's length.
    return given !== undefined && timingSafeEqual(digestOf(given), expected)
  }
}

function digestOf (text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}
