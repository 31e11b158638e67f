/** The `sip` check (SPEC §14): an OPTIONS request over UDP; a response matching healthcheck_expect (default: below 500) is up. */
import type { Probe } from './health-checker.js'
import { exchangeDatagram } from './datagram-probe.js'
import { freshSipIds, sipAnswerIsUp, sipOptionsRequest } from './sip-message.js'

export interface SipCheck {
  readonly expect: string | null
}

export function sipProbe (check: SipCheck): Probe {
  const expect = check.expect === null ? null : new RegExp(check.expect)
  return async (address, timeoutMs, port) => {
    if (port === undefined) throw new Error(`a sip check of ${address} needs a port`)
    const ids = freshSipIds()
    return await exchangeDatagram({
      address,
      port,
      timeoutMs,
      request: (local) => Buffer.from(sipOptionsRequest({ address, port }, local, ids), 'utf8'),
      accept: (answer) => sipAnswerIsUp(answer.toString('latin1'), ids.callId, expect)
    })
  }
}
