#!/usr/bin/env node
// The benchmark (docs/benchmarks.md): builds a private network of namespaces, runs every
// case against every contender in the same run and writes the figures as ratios.
//
//   node scripts/bench/run.mjs [--runs 3] [--seconds 5]     every case, writes docs/
//   node scripts/bench/run.mjs --only udp --runs 30 --seconds 1 [--udp-flows 1024]
//                                                            some cases; the others' figures in docs/ stay
//   node scripts/bench/run.mjs --smoke                        ~10 s of load, for CI
//   node scripts/bench/run.mjs --only scale --out /tmp/b      256 services, 1,000 servers (lib/scale.mjs)
//   node scripts/bench/run.mjs --only checks --out /tmp/b     1,000 UDP servers checked each second (lib/checks.mjs)
//
// Needs root, a build (`npm run build`: it imports dist/test/support/), wrk, nginx with
// libnginx-mod-stream, haproxy, iptables, conntrack and trafgen (netsniff-ng). All traffic
// stays in the namespaces it makes (198.18.0.0/15); trafgen writes frames only on the
// client namespace's veth; every load is bounded in time and count; the namespaces,
// processes, rules and temporary files go at the end, also on failure and Ctrl-C.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, cpus, release } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { execFileSync } from 'node:child_process'
import { processGone } from '../../dist/src/process/process-state.js'
import { createTopology } from '../../dist/test/support/topology.js'
import { startClient } from '../../dist/test/support/client-driver.js'
import { CLI_PROGRAM, startAgent, ctlEnv } from '../../dist/test/support/agent-driver.js'
import { AGENT_NICENESS } from '../../dist/src/process/priority.js'
import { TCP_CASES, TOOLS, runTool as runToolIn, startBackend, tuneNamespaces, waitReady as waitReadyIn, wrk as wrkIn } from './lib/setup.mjs'
import { directContender, l3lbContender, l3lbTcpEnv, nginxStreamContender, tunedHaproxyContender } from './lib/contenders.mjs'
import { cpuSecondsOf, median, memoryOf, memoryOfAll, percentile, summarise } from './lib/measure.mjs'
import { writeReport } from './lib/report.mjs'
import { udpCases } from './lib/udp-cases.mjs'
import { scaleCase } from './lib/scale.mjs'
import { footprintCases } from './lib/footprint.mjs'
import { checksCase } from './lib/checks.mjs'

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url))
const GROUPS = ['tcp', 'udp', 'sessions', 'reload', 'kill', 'ctl', 'control', 'render', 'scale', 'footprint', 'checks']

const { values: options } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    only: { type: 'string', default: GROUPS.join(',') },
    sessions: { type: 'string', default: '9500' },
    busy: { type: 'string', default: '1000' },
    'udp-flows': { type: 'string', default: '1024' },
    // the footprint group's churn (issue #15's is 5 minutes); the smoke's is 3 s
    'churn-seconds': { type: 'string', default: '300' },
    out: { type: 'string', default: DOCS }
  }
})
const smoke = options.smoke
// up to 30: many short repetitions steady the UDP cases' paired ratios on a shared machine
const runs = smoke ? 1 : Math.min(Math.max(Number(options.runs), 1), 30)
const seconds = smoke ? 1 : Math.min(Math.max(Number(options.seconds), 1), 30)
// the smoke skips what is slow by nature: checks marking a killed back end down, a render of 1,000 ports
const only = new Set(smoke ? ['tcp', 'sessions', 'reload', 'ctl', 'udp', 'scale', 'footprint', 'checks'] : options.only.split(','))
const sessionCount = smoke ? 200 : Math.min(Math.max(Number(options.sessions), 10), 9600)
const busyCount = smoke ? 50 : Math.min(Math.max(Number(options.busy), 10), 2000)
const udpFlows = Math.min(Math.max(Number(options['udp-flows']), 2), 20000)
const partial = !smoke && GROUPS.some((group) => !only.has(group))

const startedAt = Date.now()
const log = (message) => process.stderr.write(`bench +${((Date.now() - startedAt) / 1000).toFixed(0)}s: ${message}\n`)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const broken = []
// A fault, as opposed to slowness: makes --smoke exit non-zero.
const fault = (message) => { broken.push(message); log(`BROKEN: ${message}`) }

const results = { options: { smoke, runs, seconds, sessionCount, busyCount, udpFlows }, host: hostFacts() }
const tmp = mkdtempSync(join(tmpdir(), 'l3lb-bench-'))
// nginx's workers run as nobody and read the back ends' files from here
chmodSync(tmp, 0o755)
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }))
// the agents' runtime files on a tmpfs, as in production (systemd's RuntimeDirectory= is under
// /run); their state (admin state, counters) stays on the disk under tmp, as /var/lib/l3lb
const runtimeTmpfs = join(tmp, 'run')

let topology
let client

async function main () {
  requirePrograms(['wrk', 'nginx', 'haproxy', 'iptables', ...(only.has('udp') ? ['trafgen', 'conntrack', 'iptables-save'] : [])])
  const started = Date.now()
  mkdirSync(runtimeTmpfs)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0755', 'l3lb-bench-run', runtimeTmpfs])
  topology = await createTopology({ backends: 2 })
  await tuneNamespaces(topology)
  await Promise.all(topology.names.backends.map((_, i) => startBackend(topology, tmp, i)))
  log(`back ends ready: nginx in ${topology.names.backends.length} namespaces`)
  client = await startClient(topology)

  const direct = directContender(topology)
  const l3lb = l3lbContender(topology, client, waitReady, runtimeTmpfs)
  const tuned = tunedHaproxyContender(topology, join(tmp, 'haproxy'), waitReady)
  const nginx = nginxStreamContender(topology, join(tmp, 'nginx-stream'), waitReady)
  const tcpContenders = [direct, l3lb, tuned, nginx]

  if (only.has('tcp')) await tcpCases(tcpContenders)
  if (only.has('sessions')) await sessionCases(smoke ? [l3lb] : [l3lb, tuned, nginx])
  await tuned.stop()
  await nginx.stop()
  if (['reload', 'kill', 'ctl', 'control'].some((group) => only.has(group))) await l3lb.prepare()
  if (only.has('reload')) await reloadCase(l3lb)
  if (only.has('kill')) await killCase(l3lb)
  if (only.has('ctl')) await ctlCase(l3lb)
  if (only.has('control')) await controlCase(l3lb, tuned)
  await l3lb.stop()
  await tuned.stop()
  if (only.has('scale')) results.scale = await scaleCase({ topology, tmp, runtimeTmpfs, smoke, log, fault, runTool })
  if (only.has('udp')) results.udp = await udpCases({ topology, client, tmp, runs, seconds, smoke, flows: udpFlows, log, fault })
  if (only.has('render')) await renderCase()
  if (only.has('footprint')) results.footprint = await footprintCases({ topology, client, tmp, smoke, churnSeconds: smoke ? 3 : Math.min(Math.max(Number(options['churn-seconds']), 5), 600), log, fault })
  if (only.has('checks')) results.checks = await checksCase({ topology, client, tmp, smoke, log, fault })
  results.elapsedSeconds = Math.round((Date.now() - started) / 1000)
}

// ---------- setup ----------

function requirePrograms (programs) {
  for (const program of programs) {
    try {
      execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' })
    } catch {
      throw new Error(`'${program}' is not installed: run scripts/install-prerequisites`)
    }
  }
}

function hostFacts () {
  // nginx and wrk print their version on stderr, and wrk exits 1 after it
  const version = (file, args) => {
    try {
      return execFileSync('sh', ['-c', `${file} ${args.join(' ')} 2>&1; true`], { encoding: 'utf8' }).split('\n')[0].trim()
    } catch {
      return `${file}: unknown version`
    }
  }
  return {
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    kernel: release(),
    node: process.version,
    haproxy: version('haproxy', ['-v']),
    nginx: version('nginx', ['-v']),
    wrk: version('wrk', ['-v']),
    trafgen: version('trafgen', ['-v'])
  }
}

const waitReady = (target) => waitReadyIn(topology, target)
const runTool = (tool, args, timeoutMs) => runToolIn(topology, tool, args, timeoutMs)
const wrk = (targets, options) => wrkIn(topology, targets, options)

// ---------- TCP throughput: wrk ----------

async function tcpCases (contenders) {
  results.tcp = {}
  for (const c of TCP_CASES) results.tcp[c.name] = { title: c.title, figure: c.figure, runs: {} }
  for (let run = 0; run < runs; run++) {
    for (const c of TCP_CASES) {
      // the order turns each run so no contender always goes first
      const order = contenders.map((_, i) => contenders[(i + run) % contenders.length])
      for (const contender of order) {
        // the smoke: every contender once, the other cases through l3lb only
        if (smoke && c.name !== 'keepalive' && contender.name !== 'l3lb') continue
        await contender.prepare(c.name)
        const figures = await wrk(contender.targets(80), { ...c, duration: seconds })
        const errors = figures.connectErrors + figures.readErrors + figures.writeErrors + figures.timeouts + figures.non2xx
        const entry = (results.tcp[c.name].runs[contender.name] ??= [])
        entry.push({ value: figures[c.figure], errors, requests: figures.requests })
        log(`tcp ${c.name} run ${run + 1}/${runs} ${contender.name}: ${format(figures[c.figure], c.figure)}, ${errors} error(s)`)
        if (figures.requests === 0) fault(`tcp ${c.name}: ${contender.name} served no request`)
        else if (errors > 0 && c.name !== 'close') fault(`tcp ${c.name}: ${contender.name} had ${errors} failed request(s)`)
      }
    }
  }
  for (const c of TCP_CASES) summarise(results.tcp[c.name], 'direct', 'haproxy-tuned')
  // buffers and pools of the TCP cases would count in the memory cases' figures
  if (!smoke) for (const contender of contenders) await contender.stop()
}

function format (value, figure) {
  return figure === 'bytesPerSecond' ? `${(value / 1e6).toFixed(1)} MB/s` : `${Math.round(value)}/s`
}

// ---------- concurrent sessions: memory ----------

/** Busy phases per contender, the budget judged on the worst (docs/tuning.md). */
const BUSY_PHASES = Math.min(runs, 3)

/** The phase that grew memory most, with every phase's figures beside it. */
function worstBusyPhase (phases) {
  const worst = phases.reduce((a, b) => (b.bytesPerSession > a.bytesPerSession ? b : a))
  return { ...worst, phases: phases.map((p) => ({ bytesPerSession: p.bytesPerSession, mbPerSecond: p.mbPerSecond })) }
}

async function sessionCases (contenders) {
  results.sessions = {}
  for (const contender of contenders) {
    const entry = {}
    await contender.prepare('sessions')
    entry.idle = await idleSessions(contender)
    if (!smoke) {
      // a session holds buffers only while data wait, so the figure follows the client's pace:
      // several phases, each on a fresh process (filled pools would hide it), and the worst
      const phases = []
      for (let i = 0; i < BUSY_PHASES; i++) {
        await refresh(contender)
        phases.push(await busySessions(contender))
      }
      await refresh(contender)
      entry.busy = worstBusyPhase(phases)
    }
    results.sessions[contender.name] = entry
  }
  if (smoke) return
  const tuned = results.sessions['haproxy-tuned']
  for (const entry of Object.values(results.sessions)) {
    entry.idle.ratioToTuned = tuned ? entry.idle.bytesPerSession / tuned.idle.bytesPerSession : null
    entry.busy.ratioToTuned = tuned ? entry.busy.bytesPerSession / tuned.busy.bytesPerSession : null
  }
}

/** A new worker with empty pools: a real reload for l3lb, a restart for the others. */
async function refresh (contender) {
  if (contender.name === 'l3lb') {
    const before = contender.workerPids()
    contender.agent.writeEnv(l3lbTcpEnv(topology, 3))
    await contender.agent.reload()
    contender.agent.writeEnv(l3lbTcpEnv(topology, 2))
    await contender.agent.reload()
    // the old workers have no session left and go
    for (let i = 0; i < 50 && contender.workerPids().some((p) => before.includes(p)); i++) await sleep(100)
  } else {
    await contender.stop()
    await contender.prepare('sessions')
  }
  await sleep(500)
}

function startHolder (contender) {
  const holder = topology.spawn(topology.names.client, process.execPath, [join(TOOLS, 'sessions.mjs'), '--target', contender.targets(80)[0]], { stdin: 'pipe' })
  const answers = []
  const waiters = []
  holder.onLine((line) => {
    if (!line.startsWith('{')) return
    const answer = JSON.parse(line)
    const waiter = waiters.shift()
    if (waiter) waiter(answer)
    else answers.push(answer)
  })
  const command = (text, timeoutMs) => {
    holder.stdin.write(`${text}\n`)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sessions holder: no answer to '${text}' within ${timeoutMs} ms:\n${holder.output()}`)), timeoutMs)
      waiters.push((answer) => { clearTimeout(timer); resolve(answer) })
    })
  }
  return { holder, command, ready: holder.waitForLine('{"ready":true}', 10_000) }
}

async function idleSessions (contender) {
  const { holder, command, ready } = startHolder(contender)
  await ready
  try {
    const before = memoryOfAll(contender.workerPids())
    const opened = await command(`open ${sessionCount} 500`, 120_000)
    await sleep(1000)
    const after = memoryOfAll(contender.workerPids())
    const served = await command('check', 120_000)
    const result = {
      asked: sessionCount,
      opened: opened.opened,
      failedToOpen: opened.failed,
      served: served.served,
      failedToServe: served.failed,
      rssBefore: before.rss,
      rssAfter: after.rss,
      anonBefore: before.anon,
      anonAfter: after.anon,
      bytesPerSession: opened.opened > 0 ? (after.rss - before.rss) / opened.opened : NaN
    }
    log(`sessions idle ${contender.name}: ${result.opened}/${sessionCount} opened, ${result.served} served, ${(result.bytesPerSession / 1024).toFixed(2)} kB RSS each`)
    if (result.served !== result.opened || result.opened < sessionCount) fault(`sessions idle ${contender.name}: ${result.opened} of ${sessionCount} opened, ${result.served} served`)
    return result
  } finally {
    await command('close', 10_000).catch(() => {})
    await holder.stop()
  }
}

async function busySessions (contender) {
  const { holder, command, ready } = startHolder(contender)
  await ready
  try {
    const before = memoryOfAll(contender.workerPids())
    const opened = await command(`open ${busyCount} 250`, 60_000)
    const busySeconds = Math.max(seconds, 2)
    const answer = command(`busy ${busyCount} ${busySeconds}`, (busySeconds + 20) * 1000)
    // the peak while every session moves data: sampled through the run
    let peak = before
    const until = Date.now() + busySeconds * 1000
    while (Date.now() < until) {
      await sleep(250)
      const now = memoryOfAll(contender.workerPids())
      if (now.rss > peak.rss) peak = now
    }
    const moved = await answer
    const result = {
      asked: busyCount,
      opened: opened.opened,
      mbPerSecond: moved.busyBytes / busySeconds / 1e6,
      failed: moved.busyFailed,
      rssBefore: before.rss,
      rssPeak: peak.rss,
      bytesPerSession: opened.opened > 0 ? (peak.rss - before.rss) / opened.opened : NaN
    }
    log(`sessions busy ${contender.name}: ${result.opened} moving ${result.mbPerSecond.toFixed(0)} MB/s, ${(result.bytesPerSession / 1024).toFixed(1)} kB RSS each`)
    if (result.failed > 0 || result.opened < busyCount) fault(`sessions busy ${contender.name}: ${result.opened} of ${busyCount} opened, ${result.failed} failed`)
    return result
  } finally {
    await command('close', 10_000).catch(() => {})
    await holder.stop()
  }
}

// ---------- reloads and back-end deaths under load ----------

function httpLoad (target, loadSeconds, concurrency = 16) {
  return runTool('http-load.mjs', ['--target', target, '--path', '/small', '--concurrency', String(concurrency), '--seconds', String(loadSeconds)], (loadSeconds + 30) * 1000)
    .then((r) => JSON.parse(r.stdout.trim().split('\n').pop()))
}

async function reloadCase (l3lb) {
  const loadSeconds = smoke ? 2 : 20
  const load = httpLoad(l3lb.targets()[0], loadSeconds)
  const outcomes = []
  const until = Date.now() + loadSeconds * 1000 - 500
  let interval = 2
  await sleep(300)
  while (Date.now() < until) {
    const tick = Date.now()
    interval = interval === 2 ? 3 : 2
    l3lb.agent.writeEnv(l3lbTcpEnv(topology, interval))
    outcomes.push(await l3lb.agent.reload())
    await sleep(Math.max(0, 1000 - (Date.now() - tick)))
  }
  const result = await load
  l3lb.agent.writeEnv(l3lbTcpEnv(topology, 2))
  await l3lb.agent.reload()
  const reloads = outcomes.filter((o) => /properties reloaded/.test(o) && !/nothing changed/.test(o)).length
  results.reload = { seconds: loadSeconds, reloads, refused: outcomes.length - reloads, requests: result.ok + result.failed, failed: result.failed, failureCodes: countCodes(result.failures) }
  log(`reload: ${reloads} reloads in ${loadSeconds} s under load, ${result.ok} ok, ${result.failed} failed`)
  if (result.failed > 0) fault(`reload: ${result.failed} failed connection(s) across ${reloads} reloads: ${JSON.stringify(results.reload.failureCodes)}`)
  if (reloads === 0) fault(`reload: no reload happened (${outcomes.join('; ')})`)
}

function countCodes (failures) {
  const counts = {}
  for (const f of failures) counts[f.code] = (counts[f.code] ?? 0) + 1
  return counts
}

async function nginxPidsIn (ns) {
  const listed = await topology.exec(ns, 'pgrep', ['-x', 'nginx'], { reject: false })
  return listed.stdout.split('\n').filter(Boolean).map(Number)
}

async function killCase (l3lb) {
  const loadSeconds = smoke ? 3 : Math.max(12, seconds * 2)
  const ns = topology.names.backends[1]
  const load = httpLoad(l3lb.targets()[0], loadSeconds)
  await sleep(smoke ? 800 : 3000)
  // the namespace's own pid list: only this run's nginx in be2 is killed
  const pids = (await topology.exec(ns, 'ip', ['netns', 'pids', ns], { reject: false })).stdout.split('\n').filter(Boolean).map(Number)
  const nginxPids = new Set(await nginxPidsIn(ns))
  const signalledAt = Date.now()
  const victims = pids.filter((pid) => nginxPids.has(pid))
  for (const pid of victims) process.kill(pid, 'SIGKILL')
  // the back end is dead once its processes are: until then its kernel still completes
  // handshakes into nginx's accept queue, and those connections die with it, in flight
  for (let i = 0; i < 1000 && !victims.every(processGone); i++) await sleep(1)
  const killedAt = Date.now()
  let downAfterMs = null
  const pollUntil = killedAt + 20_000
  while (Date.now() < pollUntil) {
    const { status } = await l3lb.agent.ctl('/api/status')
    if (status.out2 === 'down') { downAfterMs = Date.now() - killedAt; break }
    await sleep(100)
  }
  const result = await load
  const after = result.failures.filter((f) => f.t > killedAt)
  const whileDying = result.failures.filter((f) => f.t > signalledAt && f.t <= killedAt)
  results.kill = {
    healthcheckInterval: 2,
    fall: 3,
    requests: result.ok + result.failed,
    dyingMs: killedAt - signalledAt,
    failedNew: after.length,
    failedWhileDying: whileDying.length,
    failedInFlight: result.failed - after.length,
    failureCodes: countCodes(result.failures),
    downAfterMs
  }
  log(`kill: out2's nginx killed (gone ${killedAt - signalledAt} ms after SIGKILL); ${after.length} new connection(s) failed after it, ${result.failed - after.length} in flight lost (${whileDying.length} of them begun while it was dying); marked down after ${downAfterMs} ms; failures: ${JSON.stringify(countCodes(result.failures))}`)
  if (after.length > 0) fault(`kill: ${after.length} new connection(s) failed after a back end died`)
  if (downAfterMs === null) fault('kill: out2 was never reported down')
  await startBackend(topology, tmp, 1)
  for (let i = 0; i < 100; i++) {
    if ((await l3lb.agent.ctl('/api/status')).status.out2 === 'up') break
    await sleep(200)
  }
}

// ---------- the control plane ----------

async function ctlProbe (count) {
  const base = `http://${topology.addresses.lbClientSide}:8080/api`
  // each change is undone by the next: disable, enable, drain, enable (the probe keeps both enables' times under one URL)
  const urls = [`${base}/status`, `${base}/disable?channel=out2`, `${base}/enable?channel=out2`, `${base}/drain?channel=out2`, `${base}/enable?channel=out2`]
  // the probe at the agent's priority, warmed up: it times the agent, not its own wait for a CPU wrk holds
  const r = await runTool('http-probe.mjs', ['--urls', urls.join(','), '--count', String(count), '--warmup', '10', `--niceness=${AGENT_NICENESS}`, '--timeout', '60000'], 90_000)
  const answer = JSON.parse(r.stdout.trim().split('\n').pop())
  const status = answer.latencies[urls[0]]
  const change = [...new Set(urls.slice(1))].flatMap((url) => answer.latencies[url])
  const errors = Object.values(answer.errors).reduce((a, b) => a + b, 0)
  return { statusP50: percentile(status, 50), statusP99: percentile(status, 99), changeP50: percentile(change, 50), changeP99: percentile(change, 99), errors, count }
}

async function ctlCase (l3lb) {
  const count = smoke ? 5 : 100
  const idle = await ctlProbe(count)
  const load = wrk(l3lb.targets(), { ...TCP_CASES[0], duration: smoke ? 1 : Math.max(seconds * 3, 15) })
  await sleep(smoke ? 100 : 500)
  const loaded = await ctlProbe(count)
  const figures = await load
  results.ctl = { idle, loaded, loadRequestsPerSecond: figures.requestsPerSecond }
  log(`ctl: status p50 ${idle.statusP50.toFixed(1)} -> ${loaded.statusP50.toFixed(1)} ms, p99 ${idle.statusP99.toFixed(1)} -> ${loaded.statusP99.toFixed(1)} ms; disable/enable/drain p50 ${loaded.changeP50.toFixed(1)}, p99 ${loaded.changeP99.toFixed(1)} ms loaded`)
  if (idle.errors + loaded.errors > 0) fault(`ctl: ${idle.errors + loaded.errors} request(s) did not answer 200`)
  const { status } = await l3lb.agent.ctl('/api/status')
  if (status.out1 !== 'up' || status.out2 !== 'up') fault(`ctl: outputs not both up after the case: ${JSON.stringify(status)}`)
}

async function controlCase (l3lb, tuned) {
  const pid = l3lb.agent.process.pid
  const window = Math.max(seconds * 2, 10)
  const cpu0 = cpuSecondsOf(pid)
  await sleep(window * 1000)
  const idle = { cpuPercent: 100 * (cpuSecondsOf(pid) - cpu0) / window, ...memoryOf(pid) }
  const cpu1 = cpuSecondsOf(pid)
  await runTool('http-probe.mjs', ['--urls', `http://${topology.addresses.lbClientSide}:8080/api/counters`, '--count', String(window), '--interval', '1000'], (window + 30) * 1000)
  const scraped = { cpuPercent: 100 * (cpuSecondsOf(pid) - cpu1) / window, ...memoryOf(pid) }
  const workers = memoryOfAll([l3lb.masterPid(), ...l3lb.workerPids()])

  // from the command to the first forwarded connection, l3lb and a bare HAProxy alike
  await l3lb.stop()
  const l3lbFirst = await timeToFirstForward(l3lb.targets()[0], () => l3lb.start())
  await tuned.stop()
  const tunedFirst = await timeToFirstForward(tuned.targets()[0], () => tuned.prepare('keepalive'))
  results.control = { windowSeconds: window, idle, scraped, haproxyRss: workers.rss, firstForwardMs: l3lbFirst, tunedFirstForwardMs: tunedFirst }
  log(`control: agent idle ${idle.cpuPercent.toFixed(2)} % CPU, ${(idle.rss / 2 ** 20).toFixed(0)} MiB RSS; scraped ${scraped.cpuPercent.toFixed(2)} %; first forward after ${l3lbFirst} ms (HAProxy alone ${tunedFirst} ms)`)
}

/** Ms from `start()` being called to the first 200 through `target`, seen from the client. */
async function timeToFirstForward (target, start) {
  const probe = topology.spawn(topology.names.client, process.execPath, [join(TOOLS, 'http-probe.mjs'), '--urls', `http://${target}/small`, '--until-ok', '--timeout', '30000'])
  await probe.waitForLine(/"ready"/, 10_000)
  const t0 = Date.now()
  await start()
  const line = await probe.waitForLine(/"okAt"/, 35_000)
  await probe.stop()
  const okAt = JSON.parse(line).okAt
  return okAt === null ? null : okAt - t0
}

// ---------- render, validate, apply ----------

async function renderCase () {
  results.render = {}
  const outputs = Array.from({ length: 8 }, (_, i) => `out${i + 1}=198.18.${i + 1}.2`)
  for (const [label, ports] of [['8x1', '80'], ['8x1000', '10000-10999']]) {
    const env = ctlEnv(topology) + ['mode=tcp_roundrobin', `ports=${ports}`, ...outputs, 'healthcheck_interval=2', ''].join('\n')
    const envFile = join(tmp, `render-${label}.env`)
    const cfgFile = join(tmp, `render-${label}.cfg`)
    writeFileSync(envFile, env)
    const renderMs = []
    const checkMs = []
    for (let run = 0; run < runs; run++) {
      let t = performance.now()
      const rendered = await topology.exec(topology.names.lb, process.execPath, [CLI_PROGRAM, 'render', '--env', envFile], { timeoutMs: 60_000 })
      renderMs.push(performance.now() - t)
      writeFileSync(cfgFile, rendered.stdout + '\n')
      t = performance.now()
      const checked = await topology.exec(topology.names.lb, 'haproxy', ['-c', '-q', '-f', cfgFile], { timeoutMs: 60_000, reject: false })
      checkMs.push(performance.now() - t)
      if (checked.failed) fault(`render ${label}: haproxy -c refused the rendered config: ${checked.stderr}`)
    }
    const startMs = []
    for (let run = 0; run < runs; run++) {
      const t = performance.now()
      const agent = await startAgent(topology, client, { env })
      startMs.push(performance.now() - t)
      await agent.stop()
      agent.removeFiles()
    }
    results.render[label] = { ports: ports === '80' ? 1 : 1000, renderMs: median(renderMs), checkMs: median(checkMs), startMs: median(startMs), renderRuns: renderMs, checkRuns: checkMs, startRuns: startMs }
    log(`render ${label}: render ${median(renderMs).toFixed(0)} ms, haproxy -c ${median(checkMs).toFixed(0)} ms, start to ctl ready ${median(startMs).toFixed(0)} ms`)
  }
}

// ---------- the report ----------

/**
 * A run of some groups (--only) keeps the figures of the others from docs/benchmarks.json, so
 * one case can be redone without redoing all; each group run here records when it ran.
 */
function withEarlierFigures (fresh) {
  const file = join(options.out, 'benchmarks.json')
  if (!existsSync(file)) return fresh
  const merged = JSON.parse(readFileSync(file, 'utf8'))
  merged.partialRuns ??= {}
  for (const group of only) {
    if (fresh[group] === undefined) continue
    merged[group] = fresh[group]
    merged.partialRuns[group] = { date: fresh.host.date, runs, seconds, elapsedSeconds: fresh.elapsedSeconds, host: fresh.host }
  }
  return merged
}

// Last, so that every constant above is initialised before the run starts.
try {
  await main()
} catch (error) {
  fault(`the benchmark stopped: ${error.stack ?? error.message}`)
} finally {
  await topology?.destroy().catch((error) => fault(`cleanup: ${error.message}`))
  try { execFileSync('umount', [runtimeTmpfs], { stdio: 'ignore' }) } catch {} // not mounted: nothing to undo
}
if (!smoke && broken.length === 0) {
  writeReport(options.out, partial ? withEarlierFigures(results) : results)
  log(`wrote ${join(options.out, 'benchmarks.md')} and benchmarks.json`)
} else if (!smoke) {
  writeFileSync(join(tmpdir(), 'l3lb-benchmarks.json'), JSON.stringify(results, null, 2))
  log(`not written to docs/ because something broke; raw figures in ${join(tmpdir(), 'l3lb-benchmarks.json')}`)
}
if (broken.length > 0) {
  log(`${broken.length} fault(s):\n  ${broken.join('\n  ')}`)
  process.exit(1)
}
log(smoke ? 'smoke passed: every contender and case answered' : 'done')
