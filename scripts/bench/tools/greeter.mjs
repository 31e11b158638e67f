// The scale case's back end: one TCP listener on 0.0.0.0:--port answers every address of
// its namespace with the address it was reached on, a line, then closes; so a client tells
// which server a connection went to. Bounded: --max-connections at once, exits after --seconds.
//   node greeter.mjs --port 9000 --seconds 600
import { createServer } from 'node:net'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9000' },
    seconds: { type: 'string', default: '600' },
    'max-connections': { type: 'string', default: '4096' }
  }
})
const seconds = Math.min(Math.max(Number(values.seconds), 1), 3600)

const server = createServer((socket) => {
  socket.on('error', () => {})
  socket.end(`${socket.localAddress}\n`)
})
server.maxConnections = Math.min(Math.max(Number(values['max-connections']), 1), 65_000)
server.listen({ host: '0.0.0.0', port: Number(values.port), backlog: 4096 }, () => {
  console.log(JSON.stringify({ listening: Number(values.port) }))
})
setTimeout(() => process.exit(0), seconds * 1000).unref()
process.on('SIGTERM', () => process.exit(0))
