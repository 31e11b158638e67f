// The scale case (SPEC §13): 256 services and 1,000 servers in all, the servers many
// addresses on the back-end namespaces' veths (198.18.100.0/22 on be1, .104.0/22 on be2,
// routed from the lb namespace), one greeter process per back end answering them all
// (tools/greeter.mjs). Measured in one run: start to every service forwarding, l3lb and a
// bare HAProxy with a hand-written config of the same size; a SIGHUP that changes one
// service, with a load through several services; a PUT of one server (SPEC §12); ctl and
// /metrics latencies; memory. Everything it adds (addresses, routes, processes, files) is
// removed at its end, also on failure; the namespaces are the caller's.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { setPriority } from 'node:os'
import { join } from 'node:path'
import { CLI_PROGRAM, ctlEnv, reloadAgent } from '../../../dist/test/support/agent-driver.js'
import { LAUNCHER } from './footprint.mjs'
import { AGENT_NICENESS } from '../../../dist/src/process/priority.js'
import { TOOLS } from './setup.mjs'
import { childrenNamed, memoryOf, memoryOfAll, median, percentile } from './measure.mjs'
import { addressBatch, backendRange, bareHaproxyConfig, GREETER_PORT, scalePlan, serviceFileText, withServerAddress } from './scale-plan.mjs'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
/** The agent's log lines that mark the steps of its start, in order (src/agent/agent.ts). */
const START_STEPS = [
  ['propertiesRead', /properties read from/],
  ['haproxyServing', /HAProxy serving/],
  ['ctlListening', /ctl service on/]
]

/**
 * Runs the scale case; `smoke` makes it 8 services and 32 servers. One server fewer than
 * the size at start: the PUT adds the last (a node refuses more than 1,000).
 */
export async function scaleCase ({ topology, tmp, runtimeTmpfs, smoke, log, fault, runTool }) {
  const size = smoke ? { services: 8, servers: 32 } : { services: 256, servers: 1000 }
  const plan = scalePlan({ services: size.services, servers: size.servers - 1, backends: topology.names.backends.length, spares: 2 })
  const dir = join(tmp, 'scale')
  // the runtime files on the benchmark's tmpfs, as under /run in production
  const runtimeDir = join(runtimeTmpfs, 'scale')
  mkdirSync(dir, { recursive: true })
  const started = []
  const result = { services: size.services, serversAtStart: size.servers - 1, serversAfterPut: size.servers, backends: topology.names.backends.length }
  const spawn = (ns, file, args, options) => { const p = topology.spawn(ns, file, args, options); started.push(p); return p }
  try {
    await addBackendAddresses(topology, plan)
    const greeters = await Promise.all(topology.names.backends.map(async (ns) => {
      const greeter = spawn(ns, process.execPath, [join(TOOLS, 'greeter.mjs'), '--port', String(GREETER_PORT), '--seconds', '1800'])
      await greeter.waitForLine(/"listening"/, 10_000)
      return greeter
    }))
    log(`scale: ${plan.services.length} services, ${result.serversAtStart} servers on ${result.backends} back-end namespaces`)
    const ctx = { topology, dir, runtimeDir, plan, smoke, log, fault, runTool, spawn, greeters }
    result.bare = await bareHaproxy(ctx)
    result.profile = await startProfile(ctx)
    Object.assign(result, await l3lbAtScale(ctx))
  } finally {
    for (const p of started.reverse()) await p.stop(15_000).catch(() => {})
    await removeBackendAddresses(topology, plan).catch((error) => fault(`scale cleanup: ${error.message}`))
    rmSync(dir, { recursive: true, force: true })
    rmSync(runtimeDir, { recursive: true, force: true })
  }
  return result
}

async function addBackendAddresses (topology, plan) {
  for (const [k, ns] of topology.names.backends.entries()) {
    await topology.exec(ns, 'ip', ['-batch', '-'], { input: addressBatch(plan.perBackend[k], topology.interfaces.peer), timeoutMs: 30_000 })
    await topology.exec(topology.names.lb, 'ip', ['route', 'replace', backendRange(k), 'via', topology.addresses.backends[k]])
  }
}

async function removeBackendAddresses (topology, plan) {
  for (const [k, ns] of topology.names.backends.entries()) {
    await topology.exec(topology.names.lb, 'ip', ['route', 'del', backendRange(k)], { reject: false })
    await topology.exec(ns, 'ip', ['-batch', '-'], { input: addressBatch(plan.perBackend[k], topology.interfaces.peer).replaceAll('address add', 'address del'), reject: false, timeoutMs: 30_000 })
  }
}

/** A client-side probe (tools/greeting-probe.mjs) started and ready: its last JSON line once done. */
async function probe (ctx, args, timeoutMs) {
  const p = ctx.spawn(ctx.topology.names.client, process.execPath, [join(TOOLS, 'greeting-probe.mjs'), ...args])
  await p.waitForLine(/"ready"/, 10_000)
  return {
    process: p,
    done: async (match) => JSON.parse(await p.waitForLine(match, timeoutMs))
  }
}

/** Ms from `start()` to every service answering through it. */
async function timeToAllForwarding (ctx, start) {
  const all = await probe(ctx, ['all', '--host', ctx.topology.addresses.lbClientSide, '--ports', ctx.plan.ports, '--timeout', '30000'], 35_000)
  const t0 = Date.now()
  const startedAs = await start()
  const answer = await all.done(/"allAt"/)
  return { startedAs, firstMs: answer.firstAt === null ? null : answer.firstAt - t0, allMs: answer.allAt === null ? null : answer.allAt - t0, missing: answer.missing }
}

/** Ms from `change()` to a connection through service `service` greeted by `address`. */
async function timeToServer (ctx, service, address, change) {
  const until = await probe(ctx, ['until', '--host', ctx.topology.addresses.lbClientSide, '--port', String(service.port), '--expect', address, '--timeout', '10000'], 15_000)
  const t0 = Date.now()
  const changed = await change()
  const answer = await until.done(/"okAt"/)
  return { changed, ms: answer.okAt === null ? null : answer.okAt - t0, tries: answer.tries }
}

// ---------- the bare HAProxy: the same services, written by hand ----------

async function bareHaproxy (ctx) {
  const { topology, plan, dir, log, fault } = ctx
  const file = join(dir, 'bare.cfg')
  const socket = join(dir, 'bare.sock')
  writeFileSync(file, bareHaproxyConfig(plan.services, topology.addresses.lbClientSide, socket))
  let master
  try {
    const start = await timeToAllForwarding(ctx, async () => {
      master = ctx.spawn(topology.names.lb, 'haproxy', ['-W', '-db', '-f', file])
    })
    if (start.allMs === null) throw new Error(`the bare HAProxy left ${start.missing} service(s) not forwarding after 30 s; its output:\n${master.output()}`)
    await sleep(500)
    const memory = memoryOfAll([master.pid, ...childrenNamed(master.pid, 'haproxy')])
    // the one change, as the SIGHUP case makes it: a server of s000 moved to a new address
    const changed = withServerAddress(plan, plan.services[0].name, 'a', plan.spare[0])
    writeFileSync(file, bareHaproxyConfig(changed.services, topology.addresses.lbClientSide, socket))
    const reload = await timeToServer(ctx, plan.services[0], plan.spare[0], async () => process.kill(master.pid, 'SIGUSR2'))
    if (reload.ms === null) fault('scale: the bare HAProxy\'s reload never brought s000\'s new address in')
    const result = { startMs: start.allMs, firstForwardMs: start.firstMs, reloadMs: reload.ms, rss: memory.rss }
    log(`scale bare HAProxy: all ${plan.services.length} forwarding ${start.allMs} ms after its start (first ${start.firstMs} ms); reload to the change in force ${reload.ms} ms; ${(memory.rss / 2 ** 20).toFixed(0)} MiB RSS`)
    return result
  } finally {
    await master?.stop(5000)
  }
}

// ---------- where l3lb's start goes: the same work, step by step ----------

async function startProfile (ctx) {
  const { topology, dir, plan } = ctx
  const envFile = writeFiles(ctx, join(dir, 'profile'), plan)
  const lb = topology.names.lb
  const timed = async (file, args) => {
    const t = performance.now()
    const r = await topology.exec(lb, file, args, { timeoutMs: 60_000, reject: false })
    return { ms: performance.now() - t, ...r }
  }
  const node = await timed(process.execPath, ['-e', ''])
  // one service beside all of them: what the size costs, apart from loading the program
  const oneEnv = writeFiles(ctx, join(dir, 'profile-one'), { services: plan.services.slice(0, 1) })
  const renderOne = await timed(process.execPath, [CLI_PROGRAM, 'render', '--env', oneEnv])
  const render = await timed(process.execPath, [CLI_PROGRAM, 'render', '--env', envFile])
  if (render.failed) ctx.fault(`scale: l3lb render failed: ${render.stderr}`)
  const cfg = join(dir, 'profile', 'rendered.cfg')
  writeFileSync(cfg, render.stdout + '\n')
  const check = await timed('haproxy', ['-c', '-q', '-f', cfg])
  if (check.failed) ctx.fault(`scale: haproxy -c refused l3lb's rendered config: ${check.stderr}`)
  const result = { nodeStartMs: node.ms, renderOneMs: renderOne.ms, renderMs: render.ms, checkMs: check.ms }
  ctx.log(`scale profile: node alone ${node.ms.toFixed(0)} ms, l3lb render (a new node: load, read, validate, render) of 1 service ${renderOne.ms.toFixed(0)} ms, of ${plan.services.length} ${render.ms.toFixed(0)} ms, haproxy -c ${check.ms.toFixed(0)} ms`)
  return result
}

/** The env file and one file per service under `folder`; the env file's path. */
function writeFiles (ctx, folder, plan) {
  mkdirSync(join(folder, 'services.d'), { recursive: true })
  const envFile = join(folder, 'l3lb.env')
  writeFileSync(envFile, ctlEnv(ctx.topology) + 'mode=tcp_roundrobin\n')
  for (const service of plan.services) writeFileSync(join(folder, 'services.d', `${service.name}.env`), serviceFileText(service))
  return envFile
}

// ---------- l3lb ----------

/** `l3lb start` in the lb namespace, each of its log lines timed as it comes. */
function spawnAgent (ctx, folder, envFile) {
  const lines = []
  // through the launcher, as the package and the unit start it (its heap bound shapes the latencies)
  const agent = ctx.spawn(ctx.topology.names.lb, LAUNCHER, ['start', '--env', envFile], {
    env: { RUNTIME_DIRECTORY: ctx.runtimeDir, STATE_DIRECTORY: join(folder, 'state') }
  })
  agent.onLine((line) => lines.push({ at: Date.now(), line }))
  return { agent, lines }
}

async function l3lbAtScale (ctx) {
  const { dir, plan, smoke, log } = ctx
  const folder = join(dir, 'l3lb')
  const envFile = writeFiles(ctx, folder, plan)
  let spawned
  let launchedAt
  const start = await timeToAllForwarding(ctx, async () => {
    launchedAt = Date.now()
    spawned = spawnAgent(ctx, folder, envFile)
    await spawned.agent.waitForLine(/ctl service on /, 30_000)
  })
  const { agent, lines } = spawned
  const steps = {}
  for (const [name, re] of START_STEPS) {
    const seen = lines.find((l) => re.test(l.line))
    steps[name] = seen === undefined ? null : seen.at - launchedAt
  }
  if (start.allMs === null) throw new Error(`l3lb left ${start.missing} service(s) not forwarding 30 s after its start; its output:\n${agent.output()}`)
  log(`scale l3lb: all ${plan.services.length} forwarding ${start.allMs} ms after \`l3lb start\` (first ${start.firstMs} ms); log lines at ${JSON.stringify(steps)} ms`)

  const masterPid = () => Number(readFileSync(join(ctx.runtimeDir, 'haproxy.pid'), 'utf8').trim())
  const workers = () => childrenNamed(masterPid(), 'haproxy')
  await sleep(smoke ? 200 : 1000)

  const sighup = await sighupCase(ctx, folder, agent, workers)
  const put = await putCase(ctx, workers)
  const ctl = await ctlCase(ctx)
  const agentMemory = memoryOf(agent.pid)
  const haproxyMemory = memoryOfAll([masterPid(), ...workers()])
  log(`scale memory: agent ${(agentMemory.rss / 2 ** 20).toFixed(0)} MiB RSS, HAProxy master + workers ${(haproxyMemory.rss / 2 ** 20).toFixed(0)} MiB`)
  return { startMs: start.allMs, firstForwardMs: start.firstMs, startSteps: steps, sighup, put, ctl, agentRss: agentMemory.rss, haproxyRss: haproxyMemory.rss }
}

/** The service files' one change at SIGHUP, under a load through several services. */
async function sighupCase (ctx, folder, agent, workers) {
  const { topology, plan, smoke, log, fault } = ctx
  const target = plan.services[0]
  const loaded = plan.services.slice(0, 8).map((s) => s.port).join(',')
  const loadSeconds = smoke ? 3 : 6
  const load = await probe(ctx, ['load', '--host', topology.addresses.lbClientSide, '--ports', loaded, '--concurrency', '8', '--seconds', String(loadSeconds)], (loadSeconds + 20) * 1000)
  await sleep(loadSeconds * 250)
  const changed = withServerAddress(plan, target.name, 'a', plan.spare[0]).services[0]
  writeFileSync(join(folder, 'services.d', `${target.name}.env`), serviceFileText(changed))
  const before = workers()
  let lineMs = null
  let line = ''
  const inForce = await timeToServer(ctx, target, plan.spare[0], async () => {
    const t0 = Date.now()
    line = await reloadAgent(agent)
    lineMs = Date.now() - t0
  })
  const outcome = await load.done(/"failed"/)
  const after = workers()
  const result = {
    lineMs,
    inForceMs: inForce.ms,
    // the temporary folder's path says nothing in the report
    line: line.replace(/^.*?l3lb: \w+: /, '').replace(/ from \S+: /, ': '),
    reloadedHaproxy: !after.every((pid) => before.includes(pid)),
    loadSeconds,
    loadPorts: loaded.split(',').length,
    connections: outcome.ok + outcome.failed,
    failed: outcome.failed,
    failures: outcome.failures.slice(0, 10)
  }
  log(`scale SIGHUP: log line after ${lineMs} ms ("${result.line}"), change in force after ${inForce.ms} ms, HAProxy ${result.reloadedHaproxy ? 'reloaded' : 'not reloaded'}; ${result.connections} connections through ${result.loadPorts} services, ${outcome.failed} failed`)
  if (inForce.ms === null) fault('scale: the SIGHUP\'s change never came in force')
  if (smoke && outcome.failed > 0) fault(`scale: ${outcome.failed} failed connection(s) across the SIGHUP: ${JSON.stringify(result.failures)}`)
  return result
}

/** PUT /api/services/NAME/servers/SERVER of a new server (SPEC §12), timed from the client. */
async function putCase (ctx, workers) {
  const { topology, plan, log, fault, runTool } = ctx
  const service = plan.services[1]
  const address = plan.spare[1]
  const url = `http://${topology.addresses.lbClientSide}:8080/api/services/${service.name}/servers/added`
  const body = JSON.stringify({ address, port: GREETER_PORT, weight: 1 })
  const before = workers()
  const r = await runTool('greeting-probe.mjs', ['until', '--host', topology.addresses.lbClientSide, '--port', String(service.port), '--expect', address, '--put', url, '--body', body, '--timeout', '10000'], 30_000)
  const answer = JSON.parse(r.stdout.trim().split('\n').pop())
  const after = workers()
  const put = answer.put
  let document = null
  try { document = JSON.parse(put.body) } catch {}
  const result = { url, httpStatus: put.httpStatus, code: document?.status?.code ?? null, message: document?.status?.message ?? put.body.slice(0, 200), applied: document?.applied ?? null }
  if (put.httpStatus === 404) {
    result.notMeasured = `the API answers 404: ${result.message}`
    log(`scale PUT: not measured: the API answers 404 (${result.message})`)
    return result
  }
  if (put.httpStatus !== 200 || result.code !== 0) {
    fault(`scale: PUT ${url} answered ${put.httpStatus}: ${put.body.slice(0, 300)}`)
    return result
  }
  Object.assign(result, {
    answerMs: put.answeredAt - put.sentAt,
    firstForwardMs: answer.okAt === null ? null : answer.okAt - put.sentAt,
    sameWorker: before.length > 0 && before.every((pid) => after.includes(pid)) && after.every((pid) => before.includes(pid))
  })
  log(`scale PUT: answered in ${result.answerMs} ms (applied ${result.applied}), first connection to the new server after ${result.firstForwardMs} ms, HAProxy's worker ${result.sameWorker ? 'the same' : 'replaced'}`)
  if (answer.okAt === null) fault(`scale: no connection reached the server PUT at ${address} within 10 s`)
  return result
}

/**
 * The niceness of the load's own processes (the client loops and the back ends) in the second
 * loaded run: below HAProxy's (0) and the agent's (-10). On a real appliance the clients and
 * the back ends are other machines; here they share its 2 CPUs, and at the host's normal
 * priority they take a CPU from HAProxy just when a change's runtime round trip needs one.
 */
const LOAD_ASIDE_NICENESS = 10

/** tools/ok-server.mjs's port in the lb namespace: the ctl's is 8080, the services' from 10000. */
const OK_SERVER_PORT = 8099

/** Every thread of process `pid` at `niceness` (on Linux a niceness is a thread's: Node's helper threads too). */
function renice (pid, niceness) {
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    try { setPriority(Number(thread), niceness) } catch {} // a thread that has ended needs none
  }
}

/**
 * status, disable, enable and drain of one server, idle, then under load twice: the load's processes
 * at the host's normal priority, then below HAProxy's (LOAD_ASIDE_NICENESS); /metrics; each p50
 * and p99, and the load's connections a second.
 */
async function ctlCase (ctx) {
  const { topology, plan, smoke, log, fault, runTool, greeters } = ctx
  const base = `http://${topology.addresses.lbClientSide}:8080`
  const service = plan.services[2]
  // each change is undone by the next: disable, enable, drain, enable (SPEC §13 names all three; the probe keeps both enables under one URL)
  const enable = `${base}/api/enable?service=${service.name}&channel=a`
  const urls = [`${base}/api/status`, `${base}/api/disable?service=${service.name}&channel=a`, enable, `${base}/api/drain?service=${service.name}&channel=a`, enable]
  const count = smoke ? 5 : 100
  const run = async (list, n, warmup) => {
    const r = await runTool('http-probe.mjs', ['--urls', list.join(','), '--count', String(n), '--warmup', String(warmup), `--niceness=${AGENT_NICENESS}`, '--timeout', '120000'], 150_000)
    return JSON.parse(r.stdout.trim().split('\n').pop())
  }
  const figures = (answer) => {
    const status = answer.latencies[urls[0]]
    const change = [...answer.latencies[urls[1]], ...answer.latencies[urls[2]], ...answer.latencies[urls[3]]]
    return {
      count: status.length,
      statusP50: percentile(status, 50),
      statusP99: percentile(status, 99),
      changeP50: percentile(change, 50),
      changeP99: percentile(change, 99),
      errors: Object.values(answer.errors).reduce((a, b) => a + b, 0)
    }
  }
  // HAProxy's share of a change: the agent's own round trips, maint then ready, timed from the lb
  // namespace at the agent's niceness, on another service's server (an even count leaves it ready)
  const cliService = plan.services[3]
  const cliCommand = (state) => `set server ${cliService.name}/${cliService.servers[0].name} state ${state};show servers state ${cliService.name}`
  const cliRun = async () => {
    const r = await topology.exec(topology.names.lb, process.execPath, [join(TOOLS, 'cli-probe.mjs'), '--socket', join(ctx.runtimeDir, 'haproxy.sock'), '--command', cliCommand('maint'), '--command', cliCommand('ready'), '--count', String(2 * count), '--warmup', '20', `--niceness=${AGENT_NICENESS}`, '--timeout', '60000'], { timeoutMs: 90_000 })
    const answer = JSON.parse(r.stdout.trim().split('\n').pop())
    return { cliP50: percentile(answer.latencies, 50), cliP99: percentile(answer.latencies, 99), cliErrors: answer.errors }
  }
  // the floor: a server that only answers, in the lb namespace at the agent's niceness, timed by the same probe
  const okServer = ctx.spawn(topology.names.lb, process.execPath, [join(TOOLS, 'ok-server.mjs'), '--host', topology.addresses.lbClientSide, '--port', String(OK_SERVER_PORT), `--niceness=${AGENT_NICENESS}`, '--seconds', '900'])
  await okServer.waitForLine(/"listening"/, 10_000)
  const floorUrl = `http://${topology.addresses.lbClientSide}:${OK_SERVER_PORT}/`
  const floorRun = async () => {
    const latencies = (await run([floorUrl], 2 * count, 10)).latencies[floorUrl]
    return { floorP50: percentile(latencies, 50), floorP99: percentile(latencies, 99) }
  }
  const ports = plan.services.slice(8, 16).map((s) => s.port).join(',')
  // the same calls while 8 loops make new connections through 8 other services, the load's processes at `niceness`; with `rate`, no faster
  const loadedRun = async (niceness, rate = 0) => {
    for (const greeter of greeters) renice(greeter.pid, niceness)
    const load = await probe(ctx, ['load', '--host', topology.addresses.lbClientSide, '--ports', ports, '--concurrency', '8', '--seconds', '120', '--rate', String(rate)], 130_000)
    renice(load.process.pid, niceness)
    try {
      const result = { ...figures(await run(urls, count, 10)), ...await cliRun(), ...await floorRun() }
      const stopped = load.done(/"failed"/)
      await load.process.stop()
      const made = await stopped
      return { ...result, niceness, rate, connectionsPerSecond: made.seconds > 0 ? Math.round((made.ok + made.failed) / made.seconds) : null, failedConnections: made.failed }
    } finally {
      await load.process.stop()
      for (const greeter of greeters) renice(greeter.pid, 0)
    }
  }
  const idle = { ...figures(await run(urls, count, 10)), ...await cliRun(), ...await floorRun() }
  const loaded = await loadedRun(0)
  const loadedAside = await loadedRun(LOAD_ASIDE_NICENESS)
  // the aside run's rate at the normal priority: what the load's level does, apart from whose CPU it is
  const loadedAtRate = await loadedRun(0, loadedAside.connectionsPerSecond ?? 0)
  const metricsAnswer = await run([`${base}/metrics`], smoke ? 3 : 20, 2)
  const m = metricsAnswer.latencies[`${base}/metrics`]
  const metrics = { count: m.length, p50: percentile(m, 50), p99: percentile(m, 99), max: Math.max(...m), median: median(m), errors: metricsAnswer.errors[`${base}/metrics`] }
  const pair = (a, b) => `${a.toFixed(1)} / ${b.toFixed(1)}`
  log(`scale ctl: status p50 / p99 ${pair(idle.statusP50, idle.statusP99)} ms idle, ${pair(loaded.statusP50, loaded.statusP99)} loaded, ${pair(loadedAside.statusP50, loadedAside.statusP99)} loaded with the load's processes at niceness ${LOAD_ASIDE_NICENESS}; ` +
    `disable/enable/drain p50 / p99 ${pair(idle.changeP50, idle.changeP99)} ms idle, ${pair(loaded.changeP50, loaded.changeP99)} loaded (${loaded.connectionsPerSecond} connections/s), ${pair(loadedAside.changeP50, loadedAside.changeP99)} loaded aside (${loadedAside.connectionsPerSecond} connections/s), ${pair(loadedAtRate.changeP50, loadedAtRate.changeP99)} at that rate at the normal priority (${loadedAtRate.connectionsPerSecond} connections/s); HAProxy's CLI round trip alone p50 / p99 ${pair(idle.cliP50, idle.cliP99)} idle, ${pair(loaded.cliP50, loaded.cliP99)} loaded, ${pair(loadedAside.cliP50, loadedAside.cliP99)} loaded aside, ${pair(loadedAtRate.cliP50, loadedAtRate.cliP99)} at that rate; a server that only answers p50 / p99 ${pair(idle.floorP50, idle.floorP99)} idle, ${pair(loaded.floorP50, loaded.floorP99)} loaded, ${pair(loadedAside.floorP50, loadedAside.floorP99)} loaded aside, ${pair(loadedAtRate.floorP50, loadedAtRate.floorP99)} at that rate; /metrics p50 ${metrics.p50.toFixed(0)} ms, max ${metrics.max.toFixed(0)} ms`)
  const errors = idle.errors + loaded.errors + loadedAside.errors + loadedAtRate.errors + metrics.errors
  if (errors > 0) fault(`scale: ${errors} ctl request(s) did not answer 200`)
  const cliErrors = idle.cliErrors + loaded.cliErrors + loadedAside.cliErrors + loadedAtRate.cliErrors
  if (cliErrors > 0) fault(`scale: ${cliErrors} round trip(s) on HAProxy's stats socket did not complete`)
  return { idle, loaded, loadedAside, loadedAtRate, metrics, cliCommand: cliCommand('maint') }
}
