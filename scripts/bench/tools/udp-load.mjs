// A bounded UDP load generator: for --seconds, sends datagrams of --size bytes from
// --sockets sockets (one flow each, spread over --targets) as fast as the kernel takes
// them, counts the echoes, waits a little for stragglers and prints one JSON line.
//   node udp-load.mjs --targets 198.18.0.1:5000 --size 64 --seconds 5 --sockets 16
import { createSocket } from 'node:dgram'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    targets: { type: 'string' },
    size: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '5' },
    sockets: { type: 'string', default: '16' },
    window: { type: 'string', default: '64' }
  }
})
const targets = String(values.targets).split(',').map((t) => {
  const i = t.lastIndexOf(':')
  return { host: t.slice(0, i), port: Number(t.slice(i + 1)) }
})
const size = Math.min(Math.max(Number(values.size), 1), 1472)
const seconds = Math.min(Math.max(Number(values.seconds), 0.2), 60)
const socketCount = Math.min(Math.max(Number(values.sockets), 1), 256)
const window = Math.min(Math.max(Number(values.window), 1), 1024)
const payload = Buffer.alloc(size, 0x61)

let sent = 0
let received = 0
let sendErrors = 0
let sending = true
const sockets = []

for (let i = 0; i < socketCount; i++) {
  const socket = createSocket('udp4')
  socket.on('message', () => { received++ })
  socket.on('error', () => { sendErrors++ })
  sockets.push({ socket, target: targets[i % targets.length] })
}
await Promise.all(sockets.map(({ socket }) => new Promise((resolve) => socket.bind(0, resolve))))
for (const { socket } of sockets) socket.setRecvBufferSize(4 * 1024 * 1024)

// Each turn of the event loop tops every socket's send queue up to `window`: as fast as
// the kernel takes datagrams, never an unbounded queue, and the replies are read between turns.
function tick () {
  if (!sending) return
  for (const { socket, target } of sockets) {
    for (let n = 0; n < window && socket.getSendQueueCount() < window; n++) {
      socket.send(payload, target.port, target.host)
      sent++
    }
  }
  setImmediate(tick)
}
const started = performance.now()
tick()
await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
sending = false
const elapsed = (performance.now() - started) / 1000
const sentAtStop = sent
// replies still on their way back are counted; the wait is bounded
const drainUntil = Date.now() + 1000
// stops once every echo is in, or none came in the last 100 ms
const drained = () => received >= sent
let last = -1
while (Date.now() < drainUntil) {
  if (drained() || received === last) break
  last = received
  await new Promise((resolve) => setTimeout(resolve, 100))
}
for (const { socket } of sockets) socket.close()
console.log(JSON.stringify({ sent, sentAtStop, received, sendErrors, seconds: elapsed, size }))
process.exit(0)
