// The scale case's client, run in the client namespace: connections through l3lb to the
// greeter back ends (tools/greeter.mjs), each answering with the server address it reached.
//   all:   polls the first port every 10 ms until it answers, then every port (32 at a
//          time, each retried every 10 ms) until each has answered once; prints when.
//   until: connects to --port every 5 ms until the greeting is --expect; with --put URL and
//          --body JSON it first sends that PUT and times its answer (a refused PUT ends it),
//          after a GET of the same ctl's /api/status that warms the probe's HTTP client.
//   load:  --concurrency loops over --ports for --seconds, counting answers and failures
//          (printed at the end, or when a SIGTERM stops it sooner); with --rate, at most
//          that many new connections a second in all.
// Every mode is bounded by --timeout or --seconds; one JSON line at the end.
import { connect } from 'node:net'
import { request } from 'node:http'
import { parseArgs } from 'node:util'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    host: { type: 'string', default: '198.18.0.1' },
    ports: { type: 'string' },
    port: { type: 'string' },
    expect: { type: 'string' },
    put: { type: 'string' },
    body: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '5' },
    rate: { type: 'string', default: '0' },
    timeout: { type: 'string', default: '30000' }
  }
})
const mode = positionals[0]
const host = values.host
const timeoutMs = Math.min(Math.max(Number(values.timeout), 100), 120_000)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** `10000-10003,10007` as a list of ports. */
function portList (text) {
  return String(text).split(',').flatMap((part) => {
    const [low, high = low] = part.split('-').map(Number)
    return Array.from({ length: Math.min(high - low + 1, 65_536) }, (_, i) => low + i)
  })
}

/** One connection: the greeting's address, or a failure code (ECONNREFUSED, timeout, empty). */
function greeting (port, connectTimeoutMs = 2000) {
  return new Promise((resolve) => {
    let data = ''
    let settled = false
    const socket = connect({ host, port })
    const finish = (answer) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(answer)
    }
    const timer = setTimeout(() => finish({ ok: false, code: 'timeout' }), connectTimeoutMs)
    socket.setEncoding('utf8')
    socket.on('data', (chunk) => {
      data += chunk
      if (data.includes('\n')) finish({ ok: true, address: data.trim() })
    })
    socket.on('end', () => finish(data.trim() === '' ? { ok: false, code: 'empty' } : { ok: true, address: data.trim() }))
    socket.on('error', (error) => finish({ ok: false, code: error.code ?? error.message }))
  })
}

async function all () {
  const ports = portList(values.ports)
  console.log(JSON.stringify({ ready: Date.now() }))
  const deadline = Date.now() + timeoutMs
  let firstAt = null
  while (Date.now() < deadline) {
    if ((await greeting(ports[0], 1000)).ok) { firstAt = Date.now(); break }
    await sleep(10)
  }
  const pending = firstAt === null ? [] : ports.slice(1)
  const missing = []
  const worker = async () => {
    for (let port = pending.shift(); port !== undefined; port = pending.shift()) {
      let ok = false
      while (!ok && Date.now() < deadline) {
        ok = (await greeting(port, 1000)).ok
        if (!ok) await sleep(10)
      }
      if (!ok) missing.push(port)
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
  const answered = firstAt === null ? 0 : ports.length - missing.length
  console.log(JSON.stringify({ firstAt, allAt: answered === ports.length ? Date.now() : null, answered, missing: firstAt === null ? ports.length : missing.length }))
}

/** One HTTP request (the PUT by default): its HTTP status, body and when it was sent and answered. */
function send (url, body, method = 'PUT') {
  return new Promise((resolve) => {
    const sentAt = Date.now()
    const req = request(url, { method, agent: false, timeout: 10_000, headers: { 'content-type': 'application/json', connection: 'close' } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { text += chunk })
      res.on('end', () => resolve({ sentAt, answeredAt: Date.now(), httpStatus: res.statusCode, body: text }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (error) => resolve({ sentAt, answeredAt: null, httpStatus: 0, body: error.message }))
    req.end(body)
  })
}

async function until () {
  const port = Number(values.port)
  let answer = null
  if (values.put !== undefined) {
    // the probe's own first request loads Node's HTTP client (10-15 ms of a new process): not the PUT's time
    await send(new URL('/api/status', values.put).href, undefined, 'GET')
    answer = await send(values.put, values.body ?? '{}')
    let code = null
    try { code = JSON.parse(answer.body).status?.code ?? null } catch {}
    if (answer.httpStatus !== 200 || code !== 0) {
      console.log(JSON.stringify({ put: answer, okAt: null, tries: 0 }))
      return
    }
  } else {
    console.log(JSON.stringify({ ready: Date.now() }))
  }
  const deadline = Date.now() + timeoutMs
  let tries = 0
  let okAt = null
  while (Date.now() < deadline) {
    tries++
    const got = await greeting(port, 1000)
    if (got.ok && got.address === values.expect) { okAt = Date.now(); break }
    await sleep(5)
  }
  console.log(JSON.stringify({ put: answer, okAt, tries }))
}

async function load () {
  const ports = portList(values.ports)
  const concurrency = Math.min(Math.max(Number(values.concurrency), 1), 64)
  const until = Date.now() + Math.min(Math.max(Number(values.seconds), 0.2), 120) * 1000
  let ok = 0
  let failed = 0
  const failures = []
  let next = 0
  const startedAt = Date.now()
  const totals = () => JSON.stringify({ ok, failed, failures, seconds: (Date.now() - startedAt) / 1000 })
  // stopped before its time (a measurement done): what it made so far, then out
  process.once('SIGTERM', () => { console.log(totals()); process.exit(0) })
  console.log(JSON.stringify({ ready: startedAt }))
  // with a rate, each connection takes the next start time of an even schedule, and waits for it
  const spacing = Number(values.rate) > 0 ? 1000 / Number(values.rate) : 0
  let slot = startedAt
  const worker = async () => {
    while (Date.now() < until) {
      if (spacing > 0) {
        slot += spacing
        if (slot > Date.now()) await sleep(slot - Date.now())
      }
      const port = ports[next++ % ports.length]
      const t = Date.now()
      const got = await greeting(port, 3000)
      if (got.ok) ok++
      else {
        failed++
        if (failures.length < 100) failures.push({ t, port, code: got.code })
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  console.log(totals())
}

if (mode === 'all') await all()
else if (mode === 'until') await until()
else if (mode === 'load') await load()
else {
  console.error(`unknown mode ${JSON.stringify(mode)}: expected all, until or load`)
  process.exit(2)
}
