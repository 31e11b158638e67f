// Times sequential HTTP GETs from inside a namespace: each --urls entry in turn, --count
// times, --interval ms apart; or with --until-ok, polls the first URL every 10 ms until it
// answers 200 (bounded by --timeout) and prints the wall-clock time it did. --warmup rounds
// run first and are not timed (the JIT of probe and server); --niceness sets the probe's own
// priority, so on a machine whose CPUs a load generator holds it times the server, not its
// own wait for a CPU (a real ctl client runs on another machine).
//   node http-probe.mjs --urls http://198.18.0.1:8080/api/status --count 200
import { request } from 'node:http'
import { setPriority } from 'node:os'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    urls: { type: 'string' },
    count: { type: 'string', default: '100' },
    interval: { type: 'string', default: '0' },
    'until-ok': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '30000' },
    warmup: { type: 'string', default: '0' },
    niceness: { type: 'string' }
  }
})
const urls = String(values.urls).split(',')
const count = Math.min(Math.max(Number(values.count), 1), 100_000)
const interval = Math.min(Math.max(Number(values.interval), 0), 10_000)
const timeoutMs = Math.min(Math.max(Number(values.timeout), 100), 120_000)
const warmup = Math.min(Math.max(Number(values.warmup), 0), 1000)
if (values.niceness !== undefined) setPriority(0, Number(values.niceness))

function get (url) {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 5000, headers: { connection: 'close' } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode))
      res.on('error', () => resolve(0))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve(0))
    req.end()
  })
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

if (values['until-ok']) {
  console.log(JSON.stringify({ ready: Date.now() }))
  const deadline = Date.now() + timeoutMs
  let okAt = null
  while (Date.now() < deadline) {
    if (await get(urls[0]) === 200) { okAt = Date.now(); break }
    await sleep(10)
  }
  console.log(JSON.stringify({ okAt }))
} else {
  const latencies = Object.fromEntries(urls.map((u) => [u, []]))
  const errors = Object.fromEntries(urls.map((u) => [u, 0]))
  const deadline = Date.now() + timeoutMs
  for (let n = 0; n < warmup && Date.now() < deadline; n++) {
    for (const url of urls) await get(url)
  }
  for (let n = 0; n < count && Date.now() < deadline; n++) {
    for (const url of urls) {
      const t = performance.now()
      const status = await get(url)
      latencies[url].push(performance.now() - t)
      if (status !== 200) errors[url]++
    }
    if (interval > 0) await sleep(interval)
  }
  console.log(JSON.stringify({ latencies, errors }))
}
