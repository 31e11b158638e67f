// A bounded HTTP/1.1 load of new connections (`Connection: close`): --concurrency loops,
// each one request per connection, for --seconds. Prints one JSON line with every
// failure's start time, so a caller can tell requests made before and after an event.
//   node http-load.mjs --target 198.18.0.1:80 --path /small --concurrency 16 --seconds 20
import { connect } from 'node:net'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    path: { type: 'string', default: '/small' },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    timeout: { type: 'string', default: '5000' }
  }
})
const i = String(values.target).lastIndexOf(':')
const host = String(values.target).slice(0, i)
const port = Number(String(values.target).slice(i + 1))
const concurrency = Math.min(Math.max(Number(values.concurrency), 1), 512)
const seconds = Math.min(Math.max(Number(values.seconds), 0.2), 120)
const timeoutMs = Math.min(Math.max(Number(values.timeout), 100), 30_000)
const request = `GET ${values.path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n`

let ok = 0
const failures = []

// One request on a new connection: resolves with null when it got a 200, else a failure code.
function once () {
  return new Promise((resolve) => {
    let data = ''
    let connected = false
    let settled = false
    const socket = connect({ host, port })
    const finish = (code) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(code)
    }
    const timer = setTimeout(() => finish(connected ? 'response-timeout' : 'connect-timeout'), timeoutMs)
    socket.setEncoding('latin1')
    socket.on('connect', () => { connected = true; socket.write(request) })
    socket.on('data', (chunk) => { if (data.length < 64) data += chunk })
    socket.on('error', (error) => finish(connected ? `reset:${error.code}` : `connect:${error.code}`))
    socket.on('close', () => finish(data.startsWith('HTTP/1.1 200') ? null : (connected ? (data === '' ? 'empty-response' : 'bad-status') : 'connect-closed')))
  })
}

const startedAt = Date.now()
const deadline = startedAt + seconds * 1000
async function loop () {
  while (Date.now() < deadline) {
    const t = Date.now()
    const failure = await once()
    if (failure === null) ok++
    else if (failures.length < 10_000) failures.push({ t, code: failure })
  }
}
await Promise.all(Array.from({ length: concurrency }, loop))
console.log(JSON.stringify({ startedAt, endedAt: Date.now(), ok, failed: failures.length, failures }))
