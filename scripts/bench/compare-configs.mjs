#!/usr/bin/env node
// Compares HAProxy configs on one TCP case of the benchmark, side by side in the same run:
// the way to try a tuning change (docs/tuning.md) before it goes into the template.
//
//   node scripts/bench/compare-configs.mjs [--case keepalive|close|bulk] [--rounds 12]
//        [--seconds 3] [--connections N] [--syscalls] VARIANT VARIANT...
//   node scripts/bench/compare-configs.mjs --smoke     1 round of 1 s of l3lb, tuned and
//                                                       l3lb:tcp_splice=off, for CI
//
// VARIANT is `l3lb` (the config l3lb renders for the benchmark's two outputs, as shipped;
// `l3lb:tcp_splice=off` adds properties, comma-separated), `tuned` (the benchmark's
// hand-tuned config for the case), or the path of an haproxy.cfg in which @LISTEN@ stands
// for the address:port to bind and @SERVER1@, @SERVER2@ for the back ends (address:port).
// Every variant runs as its own HAProxy in the lb namespace;
// each round loads each of them in turn (the order turns), so the paired ratio to the first
// variant compares figures taken seconds apart. Besides the rate it prints the CPU time the
// HAProxy processes used per request, which other load on the machine moves less, and with
// --syscalls the system calls per request (strace -c on the workers, one more short run).
//
// --connections replaces the case's number of concurrent connections (1 to 2,000), e.g. to
// load more sessions than `maxpipes` lets splice at once.
//
// Needs root and a build (`npm run build`); all traffic stays in the namespaces it makes.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { execFileSync } from 'node:child_process'
import { createTopology } from '../../dist/test/support/topology.js'
import { tunedConfig } from './lib/haproxy-tuned.mjs'
import { childrenNamed, cpuSecondsOf, median, pairedRatio, spread } from './lib/measure.mjs'
import { TCP_CASES, startBackend, tuneNamespaces, waitReady, wrk } from './lib/setup.mjs'

const CLI = new URL('../../dist/src/cli/main.js', import.meta.url).pathname

const { values: options, positionals: variants } = parseArgs({
  allowPositionals: true,
  options: {
    case: { type: 'string', default: 'keepalive' },
    rounds: { type: 'string', default: '12' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string' },
    syscalls: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false }
  }
})
if (options.smoke) variants.push('l3lb', 'tuned', 'l3lb:tcp_splice=off')
const namedCase = TCP_CASES.find((c) => c.name === options.case)
if (namedCase === undefined) throw new Error(`--case ${options.case}: give one of ${TCP_CASES.map((c) => c.name).join(', ')}`)
const connections = options.connections === undefined ? namedCase.connections : Number(options.connections)
if (!Number.isInteger(connections) || connections < 1 || connections > 2000) throw new Error(`--connections ${options.connections}: give a whole number from 1 to 2000`)
const tcpCase = { ...namedCase, connections }
if (variants.length === 0) throw new Error('name at least one variant: l3lb, tuned or a config file')
const rounds = options.smoke ? 1 : Math.min(Math.max(Number(options.rounds), 1), 50)
const seconds = options.smoke ? 1 : Math.min(Math.max(Number(options.seconds), 1), 30)
const log = (message) => process.stderr.write(`compare: ${message}\n`)

const tmp = mkdtempSync(join(tmpdir(), 'l3lb-compare-'))
chmodSync(tmp, 0o755)
let topology

/** The config text of `variant`, listening on `port` of the lb, its files under `tmp`. */
function configOf (variant, port) {
  const listen = `${topology.addresses.lbClientSide}:${port}`
  const servers = topology.addresses.backends.map((a) => `${a}:80`)
  if (variant === 'tuned') return tunedConfig(tcpCase.name, listen, servers, join(tmp, `${port}.sock`))
  if (variant === 'l3lb' || variant.startsWith('l3lb:')) {
    const env = join(tmp, `${port}.env`)
    writeFileSync(env, [`ports=${port}`, 'mode=tcp_roundrobin', ...servers.map((s, i) => `out${i + 1}=${s.split(':')[0]}`),
      'healthcheck_interval=2', `ui_port=${port + 8000}`, ...variant.slice('l3lb:'.length).split(',').filter((p) => p !== ''), ''].join('\n'))
    const rendered = execFileSync(process.execPath, [CLI, 'render', '--env', env], { encoding: 'utf8' })
    // l3lb forwards port P to port P of each output: here the back ends serve on 80 only
    return rendered.replaceAll('/run/l3lb/', join(tmp, `${port}-`))
      .replace(/^\s*load-server-state-from-file.*$/m, '')
      .replace(/check port \d+/, 'check port 80')
      .replace(/^(\s*server out\d+ [\d.]+)/mg, '$1:80')
  }
  return readFileSync(variant, 'utf8').replaceAll('@LISTEN@', listen).replaceAll('@SERVER1@', servers[0]).replaceAll('@SERVER2@', servers[1])
}

/** The HAProxy processes of a variant: the master and its workers in master-worker mode. */
const pidsOf = (process) => [process.pid, ...childrenNamed(process.pid, 'haproxy')]
const cpuOf = (process) => pidsOf(process).reduce((sum, pid) => sum + cpuSecondsOf(pid), 0)

/** System calls per request on the variant's processes, by strace -c over a short load. */
async function syscallsPerRequest (variant) {
  const pids = pidsOf(variant.process)
  const trace = topology.spawn(topology.names.lb, 'timeout', ['-s', 'INT', String(seconds + 2), 'strace', '-c', '-f', ...pids.flatMap((p) => ['-p', String(p)])])
  await new Promise((resolve) => setTimeout(resolve, 500))
  const figures = await wrk(topology, [variant.target], { ...tcpCase, duration: seconds })
  await trace.exited
  const calls = trace.output().split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && /^\d+$/.test(f[3]) && f[f.length - 1] !== 'total')
    .map((f) => ({ name: f[f.length - 1], perRequest: Number(f[3]) / figures.requests }))
  return calls.filter((c) => c.perRequest >= 0.05).sort((a, b) => b.perRequest - a.perRequest)
}

async function main () {
  topology = await createTopology({ backends: 2 })
  await tuneNamespaces(topology)
  await Promise.all(topology.names.backends.map((_, i) => startBackend(topology, tmp, i)))
  const started = variants.map((name, i) => {
    const port = 81 + i
    const file = join(tmp, `${port}.cfg`)
    writeFileSync(file, configOf(name, port))
    execFileSync('haproxy', ['-c', '-q', '-f', file])
    return { name, target: `${topology.addresses.lbClientSide}:${port}`, process: topology.spawn(topology.names.lb, 'haproxy', ['-db', '-f', file]), runs: [] }
  })
  for (const v of started) await waitReady(topology, v.target)
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < started.length; i++) {
      const v = started[(i + round) % started.length]
      const cpuBefore = cpuOf(v.process)
      const figures = await wrk(topology, [v.target], { ...tcpCase, duration: seconds })
      const errors = figures.connectErrors + figures.readErrors + figures.writeErrors + figures.timeouts + figures.non2xx
      v.runs.push({ value: figures[tcpCase.figure], cpuMicrosPerRequest: (cpuOf(v.process) - cpuBefore) / figures.requests * 1e6, errors })
      log(`round ${round + 1}/${rounds} ${v.name}: ${Math.round(figures[tcpCase.figure])}, ${errors} error(s)`)
    }
  }
  const unit = tcpCase.figure === 'bytesPerSecond' ? 'bytes/s' : 'requests/s'
  console.log(`${tcpCase.title}, ${connections} connections: ${rounds} rounds of ${seconds} s; paired ratios against ${started[0].name}`)
  console.log(['variant', unit, 'spread', 'paired ×', 'CPU µs/request', 'spread', 'errors'].join('\t'))
  for (const v of started) {
    const cpu = v.runs.map((r) => r.cpuMicrosPerRequest)
    console.log([v.name, Math.round(median(v.runs.map((r) => r.value))), `${(spread(v.runs.map((r) => r.value)) * 100).toFixed(0)} %`,
      pairedRatio(v.runs, started[0].runs)?.toFixed(3), median(cpu).toFixed(1), `${(spread(cpu) * 100).toFixed(0)} %`,
      v.runs.reduce((s, r) => s + r.errors, 0)].join('\t'))
  }
  // a variant that served nothing or failed a request is broken, not slow: a non-zero exit
  const broken = started.filter((v) => v.runs.some((r) => r.errors > 0 || !(r.value > 0)))
  if (broken.length > 0) {
    log(`BROKEN: ${broken.map((v) => v.name).join(', ')} failed requests or served none`)
    process.exitCode = 1
  }
  if (options.syscalls) {
    for (const v of started) {
      const calls = await syscallsPerRequest(v)
      const total = calls.reduce((s, c) => s + c.perRequest, 0)
      console.log(`${v.name}: ${total.toFixed(1)} system calls a request: ${calls.map((c) => `${c.name} ${c.perRequest.toFixed(2)}`).join(', ')}`)
    }
  }
}

try {
  await main()
} finally {
  await topology?.destroy()
  rmSync(tmp, { recursive: true, force: true })
}
