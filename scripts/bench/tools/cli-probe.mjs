// Times round trips on a HAProxy CLI socket as the agent makes them: a new connection, one
// command line, the answer read until HAProxy closes; the --command lines in turn. --count
// round trips after --warmup not timed; --niceness sets the probe's own priority (the agent's,
// so it times HAProxy, not its own wait for a CPU). HAProxy's share of a ctl change.
//   node cli-probe.mjs --socket /run/l3lb/haproxy.sock --command 'set server s3/a state maint' --command 'set server s3/a state ready' --count 200
import { createConnection } from 'node:net'
import { setPriority } from 'node:os'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    socket: { type: 'string' },
    command: { type: 'string', multiple: true },
    count: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '0' },
    timeout: { type: 'string', default: '30000' },
    niceness: { type: 'string' }
  }
})
const count = Math.min(Math.max(Number(values.count), 1), 100_000)
const warmup = Math.min(Math.max(Number(values.warmup), 0), 1000)
const timeoutMs = Math.min(Math.max(Number(values.timeout), 100), 120_000)
if (values.niceness !== undefined) setPriority(0, Number(values.niceness))

/** One round trip: resolves with true when HAProxy answered and closed, false on an error or after 5 s. */
function roundTrip (command) {
  return new Promise((resolve) => {
    const socket = createConnection({ path: values.socket })
    socket.setTimeout(5000, () => { socket.destroy(); resolve(false) })
    socket.on('connect', () => socket.end(`${command}\n`))
    socket.on('data', () => undefined)
    socket.on('error', () => resolve(false))
    socket.on('close', (hadError) => { if (!hadError) resolve(true) })
  })
}

const deadline = Date.now() + timeoutMs
const commands = values.command ?? []
if (commands.length === 0) throw new Error('cli-probe: no --command given')
const nth = (n) => commands[n % commands.length]
for (let n = 0; n < warmup && Date.now() < deadline; n++) await roundTrip(nth(n))
const latencies = []
let errors = 0
for (let n = 0; n < count && Date.now() < deadline; n++) {
  const t = performance.now()
  if (!await roundTrip(nth(warmup + n))) errors++
  latencies.push(performance.now() - t)
}
console.log(JSON.stringify({ latencies, errors }))
