// The UDP cases (docs/benchmarks.md, "The UDP cases"): trafgen in the client namespace sends the same
// mix of flows along three paths through the lb namespace; kernel counters say what left the
// client and what reached the back ends. First each path at the most it forwards, then each
// at one fixed rate under every path's maximum.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startAgent } from '../../../dist/test/support/agent-driver.js'
import { l3lbUdpEnv } from './contenders.mjs'
import { median, spread, summarise } from './measure.mjs'
import { boundedTrafgenCommand, parseChildTimes, parseTrafgenSummary, trafgenArgs, trafgenConfig } from './trafgen.mjs'
import { cpuTimes, cpuTimesSince, installUdpSinks, lbClientSideMac, readClientSent, readDnatHits, readUdpSinks } from './udp-counters.mjs'

/** The port l3lb spreads; the hand-written rules use the next ones, one per back end. */
const L3LB_PORT = 5000
// udp_source's service listens past the hand-written rules' ports and sends to L3LB_PORT, where the sinks count
const SOURCE_PORT = L3LB_PORT + 10
// udp_source spreads by client address: its flows come from this many addresses of the client's link
const SOURCE_CLIENTS = 16
// A bound on the packets of a max-rate run, far above what one CPU forwards through veths: time ends it
const MAX_RATE_BOUND_PPS = 10_000_000
// The fixed-rate runs offer this share of the slowest path's maximum: under saturation for every
// path, with room for the shared machine's noise
const FIXED_LOAD_SHARE = 0.5
// The last frames of a run leave the backlogs before the counters are read
const DRAIN_MS = 200

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs the UDP cases and returns their figures for results.udp.
 * `flows` is the number of flows (source ports) every path gets, split between two targets.
 */
export async function udpCases ({ topology, client, tmp, runs, seconds, smoke, flows, log, fault }) {
  const lb = topology.addresses.lbClientSide
  const backends = topology.addresses.backends
  // the baseline: one hand-written DNAT rule per back end, each on a port of its own, so a
  // flow meets exactly one rule and both back ends share the load as they do behind l3lb
  for (const [i, address] of backends.entries()) {
    await topology.exec(topology.names.lb, 'iptables', ['-t', 'nat', '-A', 'PREROUTING', '-p', 'udp', '-d', lb, '--dport', String(L3LB_PORT + 1 + i), '-j', 'DNAT', '--to-destination', `${address}:${L3LB_PORT + 1}`])
  }
  await installUdpSinks(topology, `${L3LB_PORT}:${L3LB_PORT + 1}`)
  await requireClientVeth(topology)
  const gatewayMac = await lbClientSideMac(topology)
  // udp_source as a service file beside default's udp_roundrobin: the same agent serves both
  const agentDir = join(tmp, 'udp-agent')
  mkdirSync(join(agentDir, 'services.d'), { recursive: true })
  writeFileSync(join(agentDir, 'l3lb.env'), l3lbUdpEnv(topology, L3LB_PORT))
  writeFileSync(join(agentDir, 'services.d', 'src.env'), ['mode=udp_source', `ports=${SOURCE_PORT}`, 'udp_snat=off', 'healthcheck_interval=2',
    ...backends.map((address, i) => `server_s${i + 1}=${address}:${L3LB_PORT}`), ''].join('\n'))
  const sources = Array.from({ length: SOURCE_CLIENTS }, (_, i) => topology.addresses.client[0].replace(/\.\d+$/, `.${64 + i}`))
  const agent = await startAgent(topology, client, { env: '', dir: agentDir })
  try {
    await waitOutputsUp(agent)
    // two targets each, so every path gets the same two halves of the flows
    const contenders = [
      { name: 'direct', targets: backends.map((address) => ({ address, port: L3LB_PORT })) },
      { name: 'dnat-single', targets: backends.map((_, i) => ({ address: lb, port: L3LB_PORT + 1 + i })) },
      { name: 'l3lb', targets: backends.map(() => ({ address: lb, port: L3LB_PORT })) },
      { name: 'udp_source', targets: backends.map(() => ({ address: lb, port: SOURCE_PORT })), sources }
    ].filter((c) => !smoke || c.name === 'l3lb' || c.name === 'udp_source')
    const sizes = smoke ? [64] : [64, 1400]
    const flowsPerTarget = Math.max(1, Math.floor(flows / backends.length))

    const send = async (contender, size, rate) => {
      const configFile = join(tmp, `udp-${contender.name}-${size}.cfg`)
      writeFileSync(configFile, trafgenConfig({ gatewayMac, source: topology.addresses.client[0], sources: contender.sources, targets: contender.targets, size, flowsPerTarget }))
      // every run starts with no flow known to conntrack: each of its flows is new once, in every run
      await topology.exec(topology.names.lb, 'conntrack', ['-F'], { reject: false })
      const count = rate === null ? seconds * MAX_RATE_BOUND_PPS : Math.round(rate * seconds)
      // a max-rate run ends when time is up; a fixed-rate one when its count is sent, with time to spare
      const limit = rate === null ? seconds : seconds * 2 + 5
      const [file, args] = boundedTrafgenCommand(limit, trafgenArgs({ device: topology.interfaces.peer, configFile, count, rate }))
      const sinks0 = await readUdpSinks(topology)
      const sent0 = await readClientSent(topology)
      const dnat0 = await readDnatHits(topology)
      const cpu0 = cpuTimes()
      const ran = await topology.exec(topology.names.client, file, args, { timeoutMs: (limit + 15) * 1000, reject: false })
      await sleep(DRAIN_MS)
      const cpu1 = cpuTimes()
      const sent1 = await readClientSent(topology)
      const sinks1 = await readUdpSinks(topology)
      const dnat1 = await readDnatHits(topology)
      const summary = parseTrafgenSummary(ran.stdout + ran.stderr)
      const generator = parseChildTimes(ran.stdout)
      const cpu = cpuTimesSince(cpu0[summary.cpu], cpu1[summary.cpu])
      const perBackend = sinks1.map((n, i) => n - sinks0[i])
      const received = perBackend.reduce((a, b) => a + b, 0)
      const sent = (sent1.packets + sent1.dropped) - (sent0.packets + sent0.dropped)
      return {
        value: received / summary.seconds,
        sentPerSecond: sent / summary.seconds,
        loss: sent === 0 ? 1 : Math.max(0, (sent - received) / sent),
        errors: Math.max(0, sent - received),
        sent,
        received,
        perBackend,
        // how many packets a DNAT rule saw: the flows, not the packets, when only first packets walk the rules
        dnatRuleHits: dnat1 - dnat0,
        seconds: summary.seconds,
        // trafgen's own user-space time against the time it ran: the generator's cost apart from the path's
        generatorShare: generator.user / summary.seconds,
        // the CPU trafgen sent from, where the whole path runs too (veths forward in the sender's softirq)
        cpuKernelShare: cpu.kernel / (cpu.user + cpu.kernel + cpu.idle),
        cpuIdleShare: cpu.idle / (cpu.user + cpu.kernel + cpu.idle),
        kernelMicrosPerPacket: received === 0 ? NaN : cpu.kernel * 1e6 / received
      }
    }

    const record = (section, contender, size, run, label, entry) => {
      ;(section.runs[contender.name] ??= []).push(entry)
      log(`udp ${label} ${size} B run ${run + 1}/${runs} ${contender.name}: ${Math.round(entry.value)} packets/s delivered of ${Math.round(entry.sentPerSecond)}/s sent, loss ${(entry.loss * 100).toFixed(2)} %, per back end ${entry.perBackend.join('/')}, DNAT rule hits ${entry.dnatRuleHits}, trafgen user ${(entry.generatorShare * 100).toFixed(0)} %, CPU ${(entry.cpuKernelShare * 100).toFixed(0)} % kernel`)
      if (entry.received === 0) fault(`udp ${label} ${size} B: no packet reached a back end through ${contender.name}`)
      else if (entry.perBackend.some((n) => n === 0)) fault(`udp ${label} ${size} B: ${contender.name} left a back end without packets: ${entry.perBackend.join('/')}`)
    }

    const maxRate = Object.fromEntries(sizes.map((size) => [size, { runs: {} }]))
    for (let run = 0; run < runs; run++) {
      for (const size of sizes) {
        for (let k = 0; k < contenders.length; k++) {
          // the order turns each run so no contender always goes first
          const contender = contenders[(k + run) % contenders.length]
          record(maxRate[size], contender, size, run, 'max-rate', await send(contender, size, null))
        }
      }
    }
    for (const size of sizes) summariseUdp(maxRate[size])

    const fixedRate = {}
    for (const size of sizes) {
      const slowest = Math.min(...Object.values(maxRate[size].summary).map((s) => s.median))
      fixedRate[size] = { offeredPerSecond: Math.max(1000, Math.round(slowest * FIXED_LOAD_SHARE / 1000) * 1000), runs: {} }
    }
    for (let run = 0; run < runs; run++) {
      for (const size of sizes) {
        for (let k = 0; k < contenders.length; k++) {
          const contender = contenders[(k + run) % contenders.length]
          record(fixedRate[size], contender, size, run, `${fixedRate[size].offeredPerSecond}/s`, await send(contender, size, fixedRate[size].offeredPerSecond))
        }
      }
    }
    for (const size of sizes) summariseUdp(fixedRate[size])
    return { flows: flowsPerTarget * backends.length, fixedLoadShare: FIXED_LOAD_SHARE, maxRate, fixedRate }
  } finally {
    await agent.stop()
    agent.removeFiles()
  }
}

/** trafgen writes raw frames: refuse unless its device is the veth the client namespace was built with. */
async function requireClientVeth (topology) {
  const shown = await topology.exec(topology.names.client, 'ip', ['-j', '-d', 'link', 'show', topology.interfaces.peer])
  const kind = JSON.parse(shown.stdout)[0]?.linkinfo?.info_kind
  if (kind !== 'veth') throw new Error(`trafgen's device ${topology.interfaces.peer} in ${topology.names.client} is '${kind}', expected a veth`)
}

/** Resolves once l3lb's health checks have both outputs up (20 s at most): its rules then spread over both. */
async function waitOutputsUp (agent) {
  for (let i = 0; i < 100; i++) {
    const { status } = await agent.ctl('/api/status')
    const source = (await agent.ctl('/api/status?service=src')).status
    if (status.out1 === 'up' && status.out2 === 'up' && source.s1 === 'up' && source.s2 === 'up') return
    await sleep(200)
  }
  throw new Error('l3lb did not report out1 and out2 (and udp_source\'s s1 and s2) up within 20 s')
}

/**
 * summarise() on delivered packets/s, plus: the medians of loss and CPU figures; the path's
 * capacity per CPU-second (1 / kernel µs per packet) against the single rule's; and both
 * ratios also taken round by round (measured seconds apart), median over the rounds.
 */
function summariseUdp (section) {
  summarise(section, 'direct', 'dnat-single')
  const second = section.runs['dnat-single']
  for (const [name, entries] of Object.entries(section.runs)) {
    const s = section.summary[name]
    const micros = entries.map((e) => e.kernelMicrosPerPacket)
    s.loss = median(entries.map((e) => e.loss))
    s.sentPerSecond = median(entries.map((e) => e.sentPerSecond))
    s.generatorShare = median(entries.map((e) => e.generatorShare))
    s.cpuKernelShare = median(entries.map((e) => e.cpuKernelShare))
    s.kernelMicrosPerPacket = median(micros)
    s.kernelMicrosSpread = spread(micros)
    s.dnatRuleHits = median(entries.map((e) => e.dnatRuleHits))
    s.received = median(entries.map((e) => e.received))
    s.pairedCapacityToSecond = second ? median(entries.map((e, i) => second[i].kernelMicrosPerPacket / e.kernelMicrosPerPacket)) : null
  }
  const base = section.summary['dnat-single']?.kernelMicrosPerPacket
  for (const s of Object.values(section.summary)) s.capacityToSecond = base ? base / s.kernelMicrosPerPacket : null
}
