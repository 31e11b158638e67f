/**
 * One datagram out, answers in, on a connected UDP socket: what the `udp` and `sip` checks
 * share (SPEC §14). Connected, so the kernel passes only the server's answers, and an ICMP
 * port-unreachable comes back as ECONNREFUSED: the check fails at once rather than at its timeout.
 */
import { createSocket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import type { SipEndpoint } from './sip-message.js'

export interface DatagramExchange {
  readonly address: string
  readonly port: number
  readonly timeoutMs: number
  /** The datagram, made once the socket's own address is known (SIP names it in Via). */
  readonly request: (local: SipEndpoint) => Buffer
  /** True: the answer says up; false: keep waiting for another until the timeout. */
  readonly accept: (answer: Buffer) => boolean
}

/** Sends the request and resolves true on an accepted answer, false on refusal, unreachability or silence. */
export async function exchangeDatagram (exchange: DatagramExchange): Promise<boolean> {
  const socket = createSocket(isIPv6(exchange.address) ? 'udp6' : 'udp4')
  return await new Promise<boolean>((resolve) => {
    let done = false
    const finish = (up: boolean): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.close()
      resolve(up)
    }
    const timer = setTimeout(() => finish(false), exchange.timeoutMs)
    // port-unreachable (ECONNREFUSED), no route, or anything else the socket meets: the service did not answer
    socket.on('error', () => finish(false))
    socket.on('message', (answer) => { if (exchange.accept(answer)) finish(true) })
    socket.connect(exchange.port, exchange.address, () => {
      const local = socket.address()
      socket.send(exchange.request({ address: local.address, port: local.port }), (error) => { if (error !== null && error !== undefined) finish(false) })
    })
  })
}
