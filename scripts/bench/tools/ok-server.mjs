// The floor under a ctl latency: an HTTP server that answers every request `200 ok` and does
// nothing else, at --niceness (the agent's), on --host:--port; timed from the same client as
// the ctl calls, it shows what the machine, the kernel and Node's HTTP take apart from the
// agent's work. Exits after --seconds.
//   node ok-server.mjs --host 198.18.0.1 --port 8099 --niceness -10 --seconds 600
import { createServer } from 'node:http'
import { setPriority } from 'node:os'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8099' },
    seconds: { type: 'string', default: '600' },
    niceness: { type: 'string' }
  }
})
const seconds = Math.min(Math.max(Number(values.seconds), 1), 3600)
if (values.niceness !== undefined) setPriority(0, Number(values.niceness))

const server = createServer((request, response) => {
  request.resume()
  response.end('ok\n')
})
server.listen({ host: values.host, port: Number(values.port) }, () => {
  console.log(JSON.stringify({ listening: Number(values.port) }))
})
setTimeout(() => process.exit(0), seconds * 1000).unref()
process.on('SIGTERM', () => process.exit(0))
