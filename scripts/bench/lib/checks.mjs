// The cost of the agent's UDP checks (issue #16, SPEC §14): 1,000 UDP servers (default's 8
// outputs in udp_roundrobin and 4 service files of 248), each on its own address of a back-end
// namespace (198.18.100.0/22 on be1, .104.0/22 on be2, as the scale case lays them out), all
// checked every second with healthcheck_kind icmp, udp or sip, against the same agent with its
// checks off. One responder per back end (tools/udp-responder.mjs) binds a UDP socket on each
// address, so every answer comes from the address checked. The agent is started through its
// launcher; its CPU seconds per second over the window, its RSS, and whether every server was
// up (/api/services) before and after the window. Everything it adds is removed at its end.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ctlEnv, startAgent } from '../../../dist/test/support/agent-driver.js'
import { LAUNCHER } from './footprint.mjs'
import { TOOLS } from './setup.mjs'
import { median, memoryOf } from './measure.mjs'
import { addressBatch, backendAddress, backendRange } from './scale-plan.mjs'

const MiB = 2 ** 20
const DEFAULT_PORT = 7000
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** The kinds measured, each one run of the agent: `off` is the same agent and servers with healthcheck_interval=0. */
export const CHECK_KINDS = {
  off: ['healthcheck_interval=0'],
  icmp: ['healthcheck_interval=1'],
  udp: ['healthcheck_interval=1', 'healthcheck_kind=udp', 'healthcheck_send=\'ping\\n\''],
  sip: ['healthcheck_interval=1', 'healthcheck_kind=sip']
}

/** Pure: default's outputs and the service files' servers, addresses dealt over `backends` in turn. */
export function checksPlan ({ servers, outputs, files, backends }) {
  let next = 0
  const address = () => { const k = next % backends; const a = backendAddress(k, Math.floor(next / backends)); next++; return { k, a } }
  const outputList = Array.from({ length: outputs }, address)
  const perFile = Math.floor((servers - outputs) / files)
  const serviceList = Array.from({ length: files }, (_, i) => ({
    name: `voice${i + 1}`,
    port: DEFAULT_PORT + 1 + i,
    servers: Array.from({ length: perFile + (i < (servers - outputs) % files ? 1 : 0) }, address)
  }))
  const binds = Array.from({ length: backends }, () => [])
  for (const { k, a } of outputList) binds[k].push(`${a} ${DEFAULT_PORT}`)
  for (const service of serviceList) for (const { k, a } of service.servers) binds[k].push(`${a} ${service.port}`)
  return { outputs: outputList.map((o) => o.a), services: serviceList.map((s) => ({ ...s, servers: s.servers.map((v) => v.a) })), binds, total: next }
}

/** CPU seconds of `pid` itself, and of its children it has waited for (the ICMP check's `ping`s). */
function cpuOf (pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return { self: (Number(fields[11]) + Number(fields[12])) / 100, children: (Number(fields[13]) + Number(fields[14])) / 100 }
  } catch {
    return { self: 0, children: 0 }
  }
}

/** Runs every kind; `smoke` makes it 20 servers and a 3 s window. Returns results.checks. */
export async function checksCase ({ topology, client, tmp, smoke, log, fault }) {
  const size = smoke ? { servers: 20, outputs: 4, files: 2, windowSeconds: 3, settleSeconds: 4 } : { servers: 1000, outputs: 8, files: 4, windowSeconds: 20, settleSeconds: 5 }
  const plan = checksPlan({ ...size, backends: topology.names.backends.length })
  const dir = join(tmp, 'checks')
  const started = []
  const result = { servers: plan.total, services: plan.services.length + 1, windowSeconds: size.windowSeconds, settleSeconds: size.settleSeconds, kinds: {} }
  try {
    for (const [k, ns] of topology.names.backends.entries()) {
      const addresses = plan.binds[k].map((line) => line.split(' ')[0])
      await topology.exec(ns, 'ip', ['-batch', '-'], { input: addressBatch(addresses, topology.interfaces.peer), timeoutMs: 30_000 })
      await topology.exec(topology.names.lb, 'ip', ['route', 'replace', backendRange(k), 'via', topology.addresses.backends[k]])
      const bindFile = join(tmp, `checks-binds-${k}`)
      writeFileSync(bindFile, plan.binds[k].join('\n') + '\n')
      const responder = topology.spawn(ns, process.execPath, [join(TOOLS, 'udp-responder.mjs'), '--bind', bindFile, '--seconds', '1800'])
      started.push(responder)
      await responder.waitForLine(/"listening"/, 20_000)
    }
    log(`checks: ${plan.total} UDP servers in ${result.services} services on ${topology.names.backends.length} back-end namespaces, one responder each`)
    for (const kind of Object.keys(CHECK_KINDS)) {
      try {
        result.kinds[kind] = await measureKind({ topology, client, dir, plan, kind, size, responders: started, log, fault })
      } catch (error) {
        // a kind the agent cannot carry at this size is a figure of the report, not the end of the run
        const failed = /heap out of memory/.test(error.message) ? 'the agent ran out of V8 heap (the launcher\'s bound) and stopped' : error.message.split('\n')[0]
        result.kinds[kind] = { failed }
        log(`checks ${kind}: FAILED: ${failed}`)
        if (smoke) fault(`checks ${kind}: ${error.message}`)
      }
    }
  } finally {
    for (const p of started.reverse()) await p.stop(15_000).catch(() => {})
    for (const [k, ns] of topology.names.backends.entries()) {
      await topology.exec(topology.names.lb, 'ip', ['route', 'del', backendRange(k)], { reject: false })
      const addresses = plan.binds[k].map((line) => line.split(' ')[0])
      await topology.exec(ns, 'ip', ['-batch', '-'], { input: addressBatch(addresses, topology.interfaces.peer).replaceAll('address add', 'address del'), reject: false, timeoutMs: 30_000 })
    }
    rmSync(dir, { recursive: true, force: true })
  }
  return result
}

function writeConfig (dir, topology, plan, kind) {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, 'services.d'), { recursive: true })
  const checks = CHECK_KINDS[kind]
  const env = [ctlEnv(topology) + 'mode=udp_roundrobin', `ports=${DEFAULT_PORT}`, ...plan.outputs.map((a, i) => `out${i + 1}=${a}`), ...checks, ''].join('\n')
  writeFileSync(join(dir, 'l3lb.env'), env)
  for (const service of plan.services) {
    const lines = ['mode=udp_roundrobin', `ports=${service.port}`, ...service.servers.map((a, j) => `server_s${String(j + 1).padStart(4, '0')}=${a}`), ...checks, '']
    writeFileSync(join(dir, 'services.d', `${service.name}.env`), lines.join('\n'))
  }
  return env
}

// every server of every service, and how many of them are up
async function serversUp (client, topology) {
  const answer = await client.http(`http://${topology.addresses.lbClientSide}:8080/api/services`, { timeoutMs: 10_000 })
  const servers = JSON.parse(answer.body).services.flatMap((service) => service.servers)
  return { total: servers.length, up: servers.filter((server) => server.health === 'up').length }
}

// the responders' count of answers so far (their last `{"answered": N}` lines)
function answeredSoFar (responders) {
  return responders.reduce((sum, p) => {
    const lines = p.output().split('\n').filter((line) => line.startsWith('{"answered"'))
    return sum + (lines.length === 0 ? 0 : JSON.parse(lines[lines.length - 1]).answered)
  }, 0)
}

async function measureKind ({ topology, client, dir, plan, kind, size, responders, log, fault }) {
  const env = writeConfig(dir, topology, plan, kind)
  const agent = await startAgent(topology, client, { env, dir, launcher: LAUNCHER })
  try {
    // long enough for a failing server to go down (interval × fall + 1 s) before it is counted
    await sleep(size.settleSeconds * 1000)
    const before = await serversUp(client, topology)
    if (before.total !== plan.total || before.up !== plan.total) fault(`checks ${kind}: ${before.up} of ${before.total} servers up before the window (${plan.total} configured)`)
    const pid = agent.process.pid
    const cpu0 = cpuOf(pid)
    const answered0 = answeredSoFar(responders)
    const t0 = performance.now()
    const rss = []
    while (performance.now() - t0 < size.windowSeconds * 1000) {
      await sleep(1000)
      rss.push(memoryOf(pid).rss)
    }
    const cpu1 = cpuOf(pid)
    const elapsed = (performance.now() - t0) / 1000
    // the responders print once a second: the answers of the window, within a second's worth
    await sleep(1100)
    const answered = answeredSoFar(responders) - answered0
    const after = await serversUp(client, topology)
    if (after.up !== plan.total) fault(`checks ${kind}: ${after.up} of ${after.total} servers up after the window`)
    const downs = (agent.process.output().match(/ is down after /g) ?? []).length
    if (downs > 0) fault(`checks ${kind}: ${downs} server(s) went down during the run`)
    const figure = {
      cpuPerSecond: (cpu1.self - cpu0.self) / elapsed,
      childrenCpuPerSecond: (cpu1.children - cpu0.children) / elapsed,
      rss: median(rss),
      answeredPerSecond: kind === 'icmp' || kind === 'off' ? null : answered / elapsed,
      upBefore: before.up,
      upAfter: after.up,
      downs
    }
    log(`checks ${kind}: agent ${(figure.cpuPerSecond * 100).toFixed(1)} % of a CPU (+ ${(figure.childrenCpuPerSecond * 100).toFixed(1)} % in its children), ${(figure.rss / MiB).toFixed(1)} MiB RSS, ${figure.answeredPerSecond === null ? 'n/a' : figure.answeredPerSecond.toFixed(0)} answers/s, ${after.up}/${plan.total} up`)
    return figure
  } catch (error) {
    throw new Error(`checks ${kind}: ${error.message}; the agent's last lines:\n${agent.process.output().split('\n').slice(-15).join('\n')}`, { cause: error })
  } finally {
    await agent.stop()
  }
}

/** The report's section (lines). */
export function checksSection (c, note) {
  const off = c.kinds.off
  const pct = (v) => `${(v * 100).toFixed(1)} %`
  const rows = Object.entries(c.kinds).map(([kind, f]) => {
    const label = kind === 'off' ? 'checks off (healthcheck_interval=0)' : `\`${kind}\``
    if (f.failed !== undefined) return `| ${label} | **failed**: ${f.failed} | | | | | |`
    const total = f.cpuPerSecond + f.childrenCpuPerSecond
    const above = kind === 'off' || off?.cpuPerSecond === undefined ? '' : `${pct(total - off.cpuPerSecond - off.childrenCpuPerSecond)}`
    return `| ${label} | ${pct(f.cpuPerSecond)} | ${pct(f.childrenCpuPerSecond)} | ${above} | ${(f.rss / MiB).toFixed(1)} MiB | ${f.answeredPerSecond === null ? '' : Math.round(f.answeredPerSecond).toLocaleString('en')} | ${f.upAfter}/${c.servers} |`
  })
  return ['## The cost of UDP checks', '', ...note,
    `${c.servers.toLocaleString('en')} UDP servers (\`default\`'s outputs in \`udp_roundrobin\` and ${c.services - 1} service files), each on its own`,
    'address of a back-end namespace, all checked every second (`healthcheck_interval=1`) by the agent, started through',
    '`appliance/l3lb`; one responder process per back end binds a UDP socket on each address (an echo, or a SIP',
    `\`200 OK\`). CPU seconds per second over ${c.windowSeconds} s after ${c.settleSeconds} s of settling, as a share of one CPU: the agent's own, and`,
    'its children\'s (the ICMP check runs `ping` once per server per round); RSS the median of one reading a second.',
    'Every server was up before and after each window (`/api/services`).', '',
    '| checks | agent CPU | its children | above checks off | agent RSS | answers/s | up |', '|---|---|---|---|---|---|---|',
    ...rows, '']
}
