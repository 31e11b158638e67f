/**
 * keepalived's vrrp_script: `node health-check.js STATS_SOCKET` exits 0 when HAProxy answers
 * `show info` on its stats socket, 1 otherwise. Asking the socket, not the process table,
 * because a dead HAProxy its parent has not reaped yet still looks alive to pidof.
 */
import { sendCommand } from '../haproxy/socket-client.js'

/** Less than keepalived's script timeout, so a hung HAProxy counts as a failure, not a kill. */
const ANSWER_TIMEOUT_MS = 1500

// `show info` of a serving process names it and gives its pid; anything else is not HAProxy serving.
function isServingInfo (text: string): boolean {
  return /^Name: HAProxy$/m.test(text) && /^Pid: \d+$/m.test(text)
}

async function main (socket: string | undefined): Promise<number> {
  if (socket === undefined) {
    process.stderr.write('usage: health-check.js STATS_SOCKET\n')
    return 2
  }
  const answer = await sendCommand(socket, 'show info', ANSWER_TIMEOUT_MS).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`)
    return ''
  })
  return isServingInfo(answer) ? 0 : 1
}

main(process.argv[2]).then((code) => { process.exitCode = code }, () => { process.exitCode = 1 })
