/** The `udp` check (SPEC §14): healthcheck_send's bytes in one datagram; any answer, or one matching healthcheck_expect, is up. */
import type { Probe } from './health-checker.js'
import { exchangeDatagram } from './datagram-probe.js'

export interface UdpCheck {
  /** The bytes, as hex. */
  readonly send: string
  readonly expect: string | null
}

export function udpProbe (check: UdpCheck): Probe {
  const payload = Buffer.from(check.send, 'hex')
  const expect = check.expect === null ? null : new RegExp(check.expect)
  return async (address, timeoutMs, port) => {
    if (port === undefined) throw new Error(`a udp check of ${address} needs a port`)
    return await exchangeDatagram({ address, port, timeoutMs, request: () => payload, accept: (answer) => udpAnswerIsUp(answer, expect) })
  }
}

/** Whether a datagram answer says up: any answer, or one matching `expect` (bytes read as Latin-1, one character each, as HAProxy's PCRE2 reads them). */
export function udpAnswerIsUp (answer: Buffer, expect: RegExp | null): boolean {
  return expect === null || expect.test(answer.toString('latin1'))
}
