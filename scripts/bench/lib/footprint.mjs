// The agent's own memory (issue #15 item 5, SPEC §13 last bullet): the RSS of `l3lb start`,
// started through its launcher (appliance/l3lb, which sets the V8 heap bound), idle with one
// service, idle with 256 services and ~1,000 servers, and under churn (enable/disable calls,
// a scrape with each, a SIGHUP every 5 s), with HAProxy's master and workers beside it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startAgent, ctlEnv } from '../../../dist/test/support/agent-driver.js'
import { startBackend } from '../../../dist/test/support/backend-driver.js'
import { childrenNamed, memoryOf, memoryOfAll, median } from './measure.mjs'

/** The launcher every start of the agent goes through: the heap bound lives there. */
export const LAUNCHER = fileURLToPath(new URL('../../../appliance/l3lb', import.meta.url))

const MiB = 2 ** 20
/** The aims of issue #15 item 5, in bytes. */
export const FOOTPRINT_AIMS = { idleOne: 60 * MiB, idleMany: (60 + 32) * MiB, churn: 96 * MiB }

const SERVICES = 256
const SERVER_PORT = 8000
// the extra addresses of back end 1 the many services' servers listen on (one process serves them all)
const SERVER_HOSTS = [10, 11, 12, 13]
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs the three cases; `churnSeconds` bounds the churn (the figure is 300 s).
 * Returns the figures for results.footprint.
 */
export async function footprintCases ({ topology, client, tmp, smoke, churnSeconds, log, fault }) {
  const settleMs = smoke ? 1500 : 10_000
  const be1 = topology.names.backends[0]
  const hosts = SERVER_HOSTS.map((h) => topology.addresses.backends[0].replace(/\.\d+$/, `.${h}`))
  for (const host of hosts) await topology.exec(be1, 'ip', ['addr', 'add', `${host}/24`, 'dev', topology.interfaces.peer])
  const servers = await startBackend(topology, 1, { ports: String(SERVER_PORT) })
  const result = { settleSeconds: settleMs / 1000, churnSeconds }
  try {
    const oneEnv = seedEnv(topology)
    result.idleOne = await idleCase(topology, client, { env: oneEnv }, settleMs, log, 'idle, 1 service')
    const dir = join(tmp, 'footprint-many')
    const manyEnv = writeManyServices(dir, topology, hosts)
    result.idleMany = await idleCase(topology, client, { env: manyEnv, dir }, settleMs, log, `idle, ${SERVICES} services`)
    result.churn = await churnCase(topology, client, oneEnv, churnSeconds, log)
  } finally {
    await servers.stop()
    for (const host of hosts) await topology.exec(be1, 'ip', ['addr', 'del', `${host}/24`, 'dev', topology.interfaces.peer], { reject: false })
  }
  result.aims = FOOTPRINT_AIMS
  if (result.idleOne.heapLimit === null) fault('footprint: the agent did not log its V8 heap bound')
  for (const [name, figure] of [['idle, 1 service', result.idleOne], [`idle, ${SERVICES} services`, result.idleMany], ['churn', result.churn]]) {
    if (figure.agentRss === 0) fault(`footprint ${name}: no RSS read for the agent`)
  }
  if (result.churn.failedCalls > 0) fault(`footprint churn: ${result.churn.failedCalls} of ${result.churn.calls} ctl calls did not answer 200`)
  return result
}

/** The seed's one service: mode, port, two outputs (the second one's admin state churns). */
function seedEnv (topology) {
  return ctlEnv(topology) + ['mode=tcp_roundrobin', 'ports=80', ...topology.addresses.backends.map((a, i) => `out${i + 1}=${a}`), 'healthcheck_interval=2', ''].join('\n')
}

// default (one output) and 255 files, 999 servers in all: the most SPEC §11 supports
function writeManyServices (dir, topology, hosts) {
  const folder = join(dir, 'services.d')
  mkdirSync(folder, { recursive: true })
  const files = SERVICES - 1
  let servers = 1
  for (let i = 0; i < files; i++) {
    const count = servers + hosts.length + (files - i - 1) * 3 <= 1000 ? hosts.length : 3
    servers += count
    const lines = [`ports=${10000 + i}`, ...hosts.slice(0, count).map((host, j) => `server_s${j + 1}=${host}:${SERVER_PORT}`), 'healthcheck_interval=5', '']
    writeFileSync(join(folder, `svc${String(i).padStart(3, '0')}.env`), lines.join('\n'))
  }
  const env = ctlEnv(topology) + ['mode=tcp_roundrobin', 'ports=80', `out1=${topology.addresses.backends[0]}`, 'healthcheck_interval=5', ''].join('\n')
  writeFileSync(join(dir, 'l3lb.env'), env)
  return env
}

function haproxyPids (agent) {
  try {
    const master = Number(readFileSync(join(agent.runtimeDir, 'haproxy.pid'), 'utf8').trim())
    return [master, ...childrenNamed(master, 'haproxy')]
  } catch {
    return []
  }
}

// "V8 heap bound 64 MiB" in the agent's start lines: the launcher's flag reached it
function heapLimitOf (agent) {
  const m = /V8 heap bound (\d+) MiB/.exec(agent.process.output())
  return m === null ? null : Number(m[1]) * MiB
}

async function idleCase (topology, client, options, settleMs, log, label) {
  const started = Date.now()
  const agent = await startAgent(topology, client, { ...options, launcher: LAUNCHER })
  const startMs = Date.now() - started
  try {
    await sleep(settleMs)
    // a few readings a quarter second apart: the median, so one GC's moment does not decide
    const readings = []
    for (let i = 0; i < 5; i++) { readings.push(memoryOf(agent.process.pid).rss); await sleep(250) }
    const figure = { agentRss: median(readings), haproxyRss: memoryOfAll(haproxyPids(agent)).rss, heapLimit: heapLimitOf(agent), startToCtlMs: startMs }
    log(`footprint ${label}: agent ${(figure.agentRss / MiB).toFixed(1)} MiB RSS, HAProxy master + worker ${(figure.haproxyRss / MiB).toFixed(1)} MiB`)
    return figure
  } finally {
    await agent.stop()
    if (options.dir === undefined) agent.removeFiles()
  }
}

// 10 enable/disable calls a second, a scrape after each (/metrics and /api/counters in turn), a SIGHUP every 5 s
async function churnCase (topology, client, env, seconds, log) {
  const agent = await startAgent(topology, client, { env, launcher: LAUNCHER })
  const base = `http://${topology.addresses.lbClientSide}:8080`
  const pid = agent.process.pid
  let peak = 0
  let calls = 0
  let failedCalls = 0
  let reloads = 0
  const sampler = setInterval(() => { peak = Math.max(peak, memoryOf(pid).rss) }, 250)
  try {
    const startRss = memoryOf(pid).rss
    const until = Date.now() + seconds * 1000
    let nextHup = Date.now() + 5000
    let reloading = Promise.resolve()
    for (let tick = 0; Date.now() < until; tick++) {
      const t0 = Date.now()
      const urls = [`${base}/api/${tick % 2 === 0 ? 'disable' : 'enable'}?channel=out2`, `${base}${tick % 2 === 0 ? '/metrics' : '/api/counters'}`]
      for (const url of urls) {
        calls++
        const answer = await client.http(url, { timeoutMs: 5000 }).catch(() => ({ status: 0 }))
        if (answer.status !== 200) failedCalls++
      }
      if (Date.now() >= nextHup) {
        nextHup += 5000
        reloads++
        reloading = reloading.then(() => agent.reload())
      }
      await sleep(Math.max(0, 100 - (Date.now() - t0)))
    }
    await reloading
    await client.http(`${base}/api/enable?channel=out2`, { timeoutMs: 5000 })
    const end = memoryOf(pid).rss
    const figure = { seconds, calls, failedCalls, reloads, agentStartRss: startRss, agentRss: end, agentPeakRss: Math.max(peak, end), haproxyRss: memoryOfAll(haproxyPids(agent)).rss, heapLimit: heapLimitOf(agent) }
    log(`footprint churn ${seconds} s: ${calls} calls (${failedCalls} failed), ${reloads} SIGHUPs; agent peak ${(figure.agentPeakRss / MiB).toFixed(1)} MiB, end ${(end / MiB).toFixed(1)} MiB`)
    return figure
  } finally {
    clearInterval(sampler)
    await agent.stop()
    agent.removeFiles()
  }
}

/** The report's section (lines) and its rows of the aims table. */
export function footprintSection (f, note) {
  const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`
  const verdict = (value, aim) => value <= aim ? 'met' : '**not met**'
  const lines = ['## The agent\'s own memory', '', ...note,
    'RSS of the `l3lb start` process, started through `appliance/l3lb` (the launcher that sets the V8 heap bound,',
    `${f.idleOne.heapLimit === null ? 'not seen' : mib(f.idleOne.heapLimit)} as the agent reports it), after ${f.settleSeconds} s idle: the median of five readings a`,
    `quarter second apart. ${SERVICES} services: the env file's and ${SERVICES - 1} service files, 999 servers on four addresses of one`,
    `back-end namespace. Churn: one service, for ${f.churnSeconds} s, 10 \`/api/disable\`/\`/api/enable\` calls a second, each`,
    'followed by a scrape (`/metrics` and `/api/counters` in turn), a SIGHUP every 5 s; the peak sampled every 250 ms.', '',
    '| case | agent RSS | aim | HAProxy master + workers |', '|---|---|---|---|',
    `| idle, 1 service | ${mib(f.idleOne.agentRss)} | ${mib(f.aims.idleOne)}: ${verdict(f.idleOne.agentRss, f.aims.idleOne)} | ${mib(f.idleOne.haproxyRss)} |`,
    `| idle, ${SERVICES} services | ${mib(f.idleMany.agentRss)} (+${mib(f.idleMany.agentRss - f.idleOne.agentRss)}) | ${mib(f.aims.idleMany)}: ${verdict(f.idleMany.agentRss, f.aims.idleMany)} | ${mib(f.idleMany.haproxyRss)} |`,
    `| churn, ${f.churnSeconds} s: peak | ${mib(f.churn.agentPeakRss)} | ${mib(f.aims.churn)}: ${verdict(f.churn.agentPeakRss, f.aims.churn)} | ${mib(f.churn.haproxyRss)} |`,
    `| churn: at the end | ${mib(f.churn.agentRss)} | | |`,
    '', `${f.churn.calls} calls in the churn, ${f.churn.failedCalls} failed; ${f.churn.reloads} SIGHUPs.`, '']
  const aims = [
    `| agent idle, 1 service ≤ ${mib(f.aims.idleOne)} | ${mib(f.idleOne.agentRss)} | ${verdict(f.idleOne.agentRss, f.aims.idleOne)} |`,
    `| agent idle, ${SERVICES} services ≤ ${mib(f.aims.idleMany)} | ${mib(f.idleMany.agentRss)} | ${verdict(f.idleMany.agentRss, f.aims.idleMany)} |`,
    `| agent under churn ≤ ${mib(f.aims.churn)} (peak) | ${mib(f.churn.agentPeakRss)} | ${verdict(f.churn.agentPeakRss, f.aims.churn)} |`
  ]
  return { lines, aims }
}
