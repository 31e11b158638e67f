// The checks case's back end: one UDP socket bound on EACH address:port of --bind (a file of
// `address port` lines), so an answer comes from the address the check was sent to (the
// agent's probe uses a connected socket). A SIP OPTIONS gets a 200 OK with its Call-ID, any
// other datagram an echo. Prints {"listening": N} once bound, then {"answered": total} every
// second. Bounded: exits after --seconds.
//   node udp-responder.mjs --bind /tmp/addresses --seconds 600
import { createSocket } from 'node:dgram'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { bind: { type: 'string' }, seconds: { type: 'string', default: '600' } } })
const seconds = Math.min(Math.max(Number(values.seconds), 1), 3600)
const targets = readFileSync(values.bind, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => line.trim().split(/\s+/))
let answered = 0

// RFC 3261 §8.2.6: the response copies Via, From, To (a tag added), Call-ID and CSeq
function sipAnswer (request) {
  const headers = request.split(/\r?\n/).filter((line) => /^(via|v|from|f|to|t|call-id|i|cseq)\s*:/i.test(line))
  return ['SIP/2.0 200 OK', ...headers.map((line) => /^(to|t)\s*:/i.test(line) ? `${line};tag=bench` : line), 'Content-Length: 0', '', ''].join('\r\n')
}

let bound = 0
for (const [address, port] of targets) {
  const socket = createSocket({ type: 'udp4' })
  socket.on('message', (message, from) => {
    const text = message.toString('latin1')
    const answer = text.startsWith('OPTIONS ') ? Buffer.from(sipAnswer(text), 'latin1') : message
    socket.send(answer, from.port, from.address, () => { answered++ })
  })
  socket.on('error', (error) => { console.error(`${address}:${port}: ${error.message}`); process.exit(1) })
  socket.bind({ address, port: Number(port) }, () => {
    if (++bound === targets.length) console.log(JSON.stringify({ listening: bound }))
  })
}
setInterval(() => console.log(JSON.stringify({ answered })), 1000).unref()
setTimeout(() => process.exit(0), seconds * 1000).unref()
process.on('SIGTERM', () => process.exit(0))
