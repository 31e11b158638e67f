// Writes docs/benchmarks.json (every raw figure) and docs/benchmarks.md (the tables).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { barChartSvg } from './chart.mjs'
import { pairedRatio } from './measure.mjs'
import { scaleSection } from './scale-report.mjs'
import { footprintSection } from './footprint.mjs'
import { checksSection } from './checks.mjs'

const AIMS = {
  tcpTuned: 0.95,
  udp: 0.95,
  idleBytes: 4 * 1024,
  busyBytes: 25 * 1024
}

const fixed = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v)) ? 'n/a' : Number(v).toFixed(d)
const pct = (v) => (v === null || v === undefined || Number.isNaN(v)) ? 'n/a' : `${(v * 100).toFixed(0)} %`
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} kB`
const yes = (ok) => ok ? 'met' : '**not met**'

/** The figure a TCP case is judged on, in its unit. */
function show (value, figure) {
  return figure === 'bytesPerSecond' ? `${(value / 1e6).toFixed(0)} MB/s` : `${Math.round(value).toLocaleString('en')}/s`
}

/** The chart pictures beside benchmarks.md, by section. */
const CHARTS = { tcp: 'benchmarks-tcp.svg', udp: 'benchmarks-udp.svg', sessions: 'benchmarks-sessions.svg' }
const TCP_LABELS = { keepalive: 'kept-alive requests/s', close: 'new connections/s', bulk: 'MB/s, 1 MiB objects' }
const PROXIES = ['l3lb', 'haproxy-tuned', 'nginx-stream']

export function writeReport (dir, results) {
  // --out may name a folder that does not exist yet (a try-out run beside docs/)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'benchmarks.json'), JSON.stringify(results, null, 2) + '\n')
  writeFileSync(join(dir, 'benchmarks.md'), markdown(results))
  for (const [section, svg] of Object.entries(charts(results))) writeFileSync(join(dir, CHARTS[section]), svg)
}

/** The SVG of each chart whose section the results have. */
export function charts (r) {
  const out = {}
  if (r.tcp) {
    out.tcp = barChartSvg({
      title: 'TCP through a proxy: × the hand-tuned HAProxy (higher is better)',
      note: `paired ratios, median of ${r.options.runs} rounds; dashed: the aim, 0.95; the direct path is left out`,
      groups: Object.entries(r.tcp).map(([name, c]) => ({
        label: TCP_LABELS[name] ?? name,
        aim: AIMS.tcpTuned,
        bars: PROXIES.map((p) => ({ name: p, value: c.summary[p]?.pairedRatioToSecond ?? c.summary[p]?.ratioToSecond }))
      }))
    })
  }
  if (r.udp) {
    out.udp = barChartSvg({
      title: 'UDP at the most each path forwards: × a single DNAT rule',
      note: 'delivered packets/s, paired ratios; dashed: the aim, 0.95',
      groups: Object.entries(r.udp.maxRate).map(([size, c]) => ({
        label: `${size} B packets`,
        aim: AIMS.udp,
        bars: ['l3lb', 'udp_source', 'dnat-single', 'direct'].map((p) => ({ name: p, value: c.summary[p]?.pairedRatioToSecond }))
      }))
    })
  }
  if (r.sessions) {
    const kb = (p, kind) => (r.sessions[p]?.[kind]?.bytesPerSession ?? NaN) / 1024
    out.sessions = barChartSvg({
      title: 'Memory per concurrent session (lower is better)',
      note: 'growth of the proxy workers\' resident memory per session; dashed: the budget',
      unit: ' kB',
      digits: 1,
      aimLabel: 'budget',
      groups: [
        { label: `idle (${r.options.sessionCount} held)`, aim: AIMS.idleBytes / 1024, bars: PROXIES.map((p) => ({ name: p, value: kb(p, 'idle') })) },
        { label: `busy (${r.options.busyCount}, 1 MiB each)`, aim: AIMS.busyBytes / 1024, bars: PROXIES.map((p) => ({ name: p, value: kb(p, 'busy') })) }
      ]
    })
  }
  return out
}

function markdown (r) {
  const h = r.host
  const lines = [
    '# Benchmarks',
    '',
    'Written by `node scripts/bench/run.mjs` (`npm run bench`); the raw figures are in',
    '[`benchmarks.json`](benchmarks.json). How it works and how to read it: the end of this',
    'file; what the generated config sets and why: [`tuning.md`](tuning.md).',
    '',
    `Run ${h.date}: ${h.cpus} CPUs (${h.cpuModel}), kernel ${h.kernel}, Node ${h.node},`,
    `${h.haproxy}, ${h.nginx}, ${h.wrk}. ${r.options.runs} repetitions of ${r.options.seconds} s per`,
    `figure; the whole run took ${r.elapsedSeconds ?? '?'} s. Every figure is the median of the`,
    'repetitions; *spread* is (max - min) / median. Ratios compare medians taken in the same run;',
    '*paired* ratios are taken round by round and the aims are judged on them. The machine is',
    'shared: differences under about 10 % are noise. The charts (SVG beside this file) show the ratios.',
    ''
  ]
  const aims = []

  if (r.tcp) {
    lines.push('## TCP through a proxy', '', ...partialRunNote(r, ['tcp']),
      'wrk in the client namespace; nginx back ends in two namespaces; the direct path is the',
      'same load split evenly over the two back ends, routed through the lb namespace.',
      'l3lb runs one config for every case; the hand-tuned HAProxy has one per case: no splicing',
      'for small responses, splicing for bulk. l3lb splices responses, which costs small ones',
      'about 10 % more HAProxy CPU and buys bulk twice the speed; `tcp_splice=off` trades them',
      'the other way ([`tuning.md`](tuning.md) has both measured).', '',
      '*paired*: the ratio to the hand-tuned HAProxy taken in each round, where the contenders',
      'ran seconds apart, median over the rounds; the TCP aims are judged on it, as the UDP ones.', '',
      `![TCP figures as ratios to the hand-tuned HAProxy](${CHARTS.tcp})`, '',
      '| case | contender | median | spread | × direct | × hand-tuned HAProxy | paired | errors |',
      '|---|---|---|---|---|---|---|---|')
    for (const c of Object.values(r.tcp)) {
      for (const [name, s] of Object.entries(c.summary)) {
        lines.push(`| ${c.title} | ${name} | ${show(s.median, c.figure)} | ${pct(s.spread)} | ${fixed(s.ratioToBaseline)} | ${fixed(s.ratioToSecond)} | ${fixed(s.pairedRatioToSecond)} | ${s.errors} |`)
      }
    }
    lines.push('')
    for (const c of Object.values(r.tcp)) {
      const l = c.summary.l3lb
      const n = c.summary['nginx-stream']
      if (!l) continue
      // runs written before paired ratios existed have only the ratio of the medians
      const tuned = l.pairedRatioToSecond ?? l.ratioToSecond
      aims.push(`| ${c.title}: l3lb ≥ 0.95 × hand-tuned HAProxy (paired) | ${fixed(tuned)} (of the medians: ${fixed(l.ratioToSecond)}) | ${yes(tuned >= AIMS.tcpTuned)} |`)
      if (n) {
        const nginx = pairedRatio(c.runs.l3lb, c.runs['nginx-stream']) ?? l.median / n.median
        aims.push(`| ${c.title}: l3lb ≥ nginx stream (paired) | ${fixed(nginx)} (of the medians: ${fixed(l.median / n.median)}) | ${yes(nginx >= 1)} |`)
      }
    }
  }

  if (r.udp) lines.push(...udpSection(r, aims))

  if (r.sessions) {
    lines.push('## Concurrent sessions: memory', '', ...partialRunNote(r, ['sessions']),
      `Idle: ${r.options.sessionCount} connections opened 500 at a time through the proxy and held;`,
      'growth of the proxy workers\' resident memory divided by the sessions; then one',
      `request on each (served). Busy: ${r.options.busyCount} connections each fetching 1 MiB objects in a`,
      'loop, peak growth while they run, on a fresh worker. A session holds buffers only while data',
      'wait in them, so that figure follows the client\'s pace: the worst of several phases is shown,',
      'each phase\'s in *phases*.', '',
      `![Memory per idle and per busy session, against the budgets](${CHARTS.sessions})`, '',
      '| contender | idle opened / served | kB per idle session | × hand-tuned | busy sessions, MB/s | kB per busy session | phases | × hand-tuned |',
      '|---|---|---|---|---|---|---|---|')
    for (const [name, s] of Object.entries(r.sessions)) {
      lines.push(`| ${name} | ${s.idle.opened} / ${s.idle.served} | ${fixed(s.idle.bytesPerSession / 1024, 2)} | ${fixed(s.idle.ratioToTuned)} | ${s.busy.opened}, ${fixed(s.busy.mbPerSecond, 0)} | ${fixed(s.busy.bytesPerSession / 1024, 1)} | ${(s.busy.phases ?? []).map((p) => fixed(p.bytesPerSession / 1024, 1)).join(', ')} | ${fixed(s.busy.ratioToTuned)} |`)
    }
    const l = r.sessions.l3lb
    if (l) {
      const idle = l.idle.bytesPerSession
      const busy = l.busy.bytesPerSession
      lines.push('', 'What the l3lb figures mean at scale (memory of HAProxy\'s workers for the sessions alone;',
        'descriptors: 2 a session):', '',
        '| sessions | all idle | all busy | descriptors |', '|---|---|---|---|')
      for (const n of [40_000, 100_000]) {
        lines.push(`| ${n.toLocaleString('en')} | ${(idle * n / 2 ** 20).toFixed(0)} MiB | ${(busy * n / 2 ** 20).toFixed(0)} MiB | ${(2 * n).toLocaleString('en')} |`)
      }
      lines.push('')
      aims.push(`| ≤ 4 kB per idle session | ${kib(idle)} | ${yes(idle <= AIMS.idleBytes)} |`)
      aims.push(`| ≤ 25 kB per busy session | ${kib(busy)} | ${yes(busy <= AIMS.busyBytes)} |`)
      aims.push(`| every idle session served | ${l.idle.served} / ${l.idle.opened} | ${yes(l.idle.served === l.idle.opened && l.idle.opened === l.idle.asked)} |`)
    }
  }

  if (r.reload || r.kill) {
    lines.push('## Reloads and back-end deaths under load (l3lb)', '', ...partialRunNote(r, ['reload', 'kill']),
      'A Node client makes new connections (`Connection: close`, 16 at a time) through l3lb.', '')
    if (r.reload) {
      lines.push(`- **Reload every second**: ${r.reload.reloads} real reloads (SIGHUP, \`healthcheck_interval\` toggled 2/3) in ${r.reload.seconds} s;`,
        `  ${r.reload.requests.toLocaleString('en')} connections, **${r.reload.failed} failed** ${r.reload.failed > 0 ? JSON.stringify(r.reload.failureCodes) : ''}.`)
      aims.push(`| 0 failed connections across reloads | ${r.reload.failed} of ${r.reload.requests} | ${yes(r.reload.failed === 0)} |`)
    }
    if (r.kill) {
      lines.push(`- **Back end killed** (SIGKILL to out2's nginx): ${r.kill.requests.toLocaleString('en')} connections, **${r.kill.failedNew} new ones failed** after`,
        `  nginx's processes were gone (${r.kill.dyingMs ?? '?'} ms after SIGKILL), ${r.kill.failedInFlight} in flight on out2 were lost (${r.kill.failedWhileDying ?? 0} of them begun`,
        '  while it was dying: its kernel still completed their handshakes, so they were in flight to it; no proxy can save those); out2 reported `down`',
        `  by \`/api/status\` ${downAfter(r.kill.downAfterMs)} after${r.kill.downAfterMs < r.kill.healthcheckInterval * 1000
          ? `: ${r.kill.fall} of the clients' connections refused in a row took it down (\`observe layer4\`), before its checks (every ${r.kill.healthcheckInterval} s, fall ${r.kill.fall}) could.`
          : ` (checks every ${r.kill.healthcheckInterval} s, fall ${r.kill.fall}).`}`)
      aims.push(`| 0 failed new connections when a back end dies | ${r.kill.failedNew} | ${yes(r.kill.failedNew === 0)} |`)
    }
    lines.push('')
  }

  if (r.ctl) {
    const { idle, loaded } = r.ctl
    lines.push('## ctl latency', '', ...partialRunNote(r, ['ctl']),
      `${idle.count} rounds of \`/api/status\`, \`/api/disable?channel=out2\`, \`/api/enable?channel=out2\`, \`/api/drain?channel=out2\`, \`/api/enable?channel=out2\``,
      `from the client namespace, one at a time, a new connection each, after 10 rounds not timed; idle, then while wrk drives ${Math.round(r.ctl.loadRequestsPerSecond).toLocaleString('en')} requests/s`,
      'through l3lb. The probe runs at the agent\'s niceness (-10): on these 2 CPUs, which wrk, nginx and HAProxy hold, it would otherwise time its own wait for a CPU (a real ctl client runs on another machine).', '',
      '| request | idle p50 | idle p99 | loaded p50 | loaded p99 | loaded / idle (p50) |', '|---|---|---|---|---|---|',
      `| /api/status | ${fixed(idle.statusP50, 1)} ms | ${fixed(idle.statusP99, 1)} ms | ${fixed(loaded.statusP50, 1)} ms | ${fixed(loaded.statusP99, 1)} ms | ${fixed(loaded.statusP50 / idle.statusP50)} |`,
      `| disable / enable / drain | ${fixed(idle.changeP50, 1)} ms | ${fixed(idle.changeP99, 1)} ms | ${fixed(loaded.changeP50, 1)} ms | ${fixed(loaded.changeP99, 1)} ms | ${fixed(loaded.changeP50 / idle.changeP50)} |`,
      '')
  }

  if (r.control) {
    const c = r.control
    lines.push('## Control-plane cost', '', ...partialRunNote(r, ['control']),
      '| | agent CPU | agent RSS | × HAProxy\'s RSS (master + workers) |', '|---|---|---|---|',
      `| idle, ${c.windowSeconds} s | ${fixed(c.idle.cpuPercent, 2)} % | ${(c.idle.rss / 2 ** 20).toFixed(0)} MiB | ${fixed(c.idle.rss / c.haproxyRss)} |`,
      `| \`/api/counters\` scraped every second | ${fixed(c.scraped.cpuPercent, 2)} % | ${(c.scraped.rss / 2 ** 20).toFixed(0)} MiB | ${fixed(c.scraped.rss / c.haproxyRss)} |`,
      '',
      `From \`l3lb start\` to the first connection forwarded: **${c.firstForwardMs} ms**; a bare \`haproxy -db -f\` with the`,
      `hand-tuned config: ${c.tunedFirstForwardMs} ms (× ${fixed(c.firstForwardMs / c.tunedFirstForwardMs, 1)}). Node's start-up and the agent's`,
      'checks (`haproxy -c`) are most of the difference.', '')
  }

  if (r.render) {
    lines.push('## Render, validate, apply', '',
      '8 outputs; `l3lb render` (a new Node process), `haproxy -c` on its output, and a real',
      '`l3lb start` until its ctl service answers (HAProxy started with the config).',
      ...((r.partialRuns?.render?.date ?? r.renderRunDate) ? [`These figures come from a \`--only render\` run at ${r.partialRuns?.render?.date ?? r.renderRunDate}.`] : []), '',
      '| outputs × ports | l3lb render | haproxy -c | render / haproxy -c | l3lb start |', '|---|---|---|---|---|')
    for (const [label, s] of Object.entries(r.render)) {
      lines.push(`| ${label.replace('x', ' × ')} | ${s.renderMs.toFixed(0)} ms | ${s.checkMs.toFixed(0)} ms | ${fixed(s.renderMs / s.checkMs, 1)} | ${s.startMs.toFixed(0)} ms |`)
    }
    lines.push('')
  }

  if (r.scale) lines.push(...scaleSection(r, aims, partialRunNote(r, ['scale'])))
  if (r.footprint) {
    const section = footprintSection(r.footprint, partialRunNote(r, ['footprint']))
    lines.push(...section.lines)
    aims.push(...section.aims)
  }
  if (r.checks) lines.push(...checksSection(r.checks, partialRunNote(r, ['checks'])))

  lines.push('## Aims', '', '| aim | figure | |', '|---|---|---|', ...aims, '')
  lines.push(...METHOD)
  return lines.join('\n') + '\n'
}

/** The line that says a section's figures come from a later `--only` run, as a list of lines. */
// below a second in ms: a down taken by the clients' connections comes within milliseconds
function downAfter (ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${fixed(ms / 1000, 1)} s`
}

/**
 * Where a section's figures come from when some of its groups were redone by an `--only` run:
 * each such group with its run, and the others of the section from the full run.
 */
export function partialRunNote (r, groups) {
  const present = groups.filter((g) => r[g] !== undefined)
  const partial = present.filter((g) => r.partialRuns?.[g] !== undefined)
  if (partial.length === 0) return []
  const runOf = (only, run) => `a \`--only ${only}\` run at ${run.date} (${run.runs} repetitions of ${run.seconds} s, ${run.elapsedSeconds} s in all)`
  if (partial.length === present.length && new Set(partial.map((g) => r.partialRuns[g].date)).size === 1) {
    return [`These figures come from ${runOf(partial.join(','), r.partialRuns[partial[0]])}, on the same shared machine.`, '']
  }
  const full = present.filter((g) => !partial.includes(g))
  const parts = [
    ...partial.map((g) => `the \`${g}\` figures from ${runOf(g, r.partialRuns[g])}`),
    ...(full.length > 0 ? [`the \`${full.join('`, `')}\` figures from the full run at ${r.host.date}`] : [])
  ]
  return [`In this section ${parts.join('; ').replace(' figures from ', ' figures come from ')}, on the same shared machine.`, '']
}

/** The UDP tables: each path at its maximum, then at one fixed rate; adds the UDP aims to `aims`. */
function udpSection (r, aims) {
  const u = r.udp
  const run = r.partialRuns?.udp
  const lines = ['## UDP: packets/s and loss through the DNAT rules', '',
    ...(run ? [`These figures come from a \`--only udp\` run at ${run.date} (${run.runs} repetitions of ${run.seconds} s, ${run.host.trafgen}, ${run.elapsedSeconds} s in all), on the same shared machine.`, ''] : []),
    `trafgen (netsniff-ng, C) in the client namespace sends ${u.flows} flows (source ports), half to each of two`,
    'targets, through the lb namespace; a counting DROP rule first in each back end\'s raw table',
    'says what arrived, the client\'s veth counters what was sent; no user-space program touches the',
    'packets. `direct`: the two back ends\' addresses, routed by the lb. `dnat-single`: one hand-written',
    '`iptables -t nat -A PREROUTING -p udp -d <lb> --dport P -j DNAT --to-destination <be>:5001` per back',
    'end, each on its own port, so a flow meets one rule. `l3lb`: `udp_roundrobin` on one port',
    '(`udp_snat=off`: the lb is the back ends\' gateway here), its statistic rules spreading the flows.',
    '`udp_source`: a service file in `udp_source` on another port, the same flows sent from 16 client',
    'addresses (its hash spreads clients, not ports), its HMARK rule and mark rules spreading them.',
    'l3lb and the single rule do the same work for every packet but a flow\'s first (*DNAT rule',
    'hits* below), so what separates their figures is mostly the noise of the shared machine.',
    'Method and how to read it: "The UDP cases" at the end.', '',
    '### At the most each path forwards', '',
    `trafgen as fast as it can for ${run?.seconds ?? r.options.seconds} s a repetition. *kernel µs/packet*: system, irq and softirq time of`,
    'trafgen\'s CPU, where the whole path runs, over the packets delivered; *capacity*: its inverse',
    'against the single rule\'s (packets per CPU-second), which leaves out the CPU time other',
    'processes took. *paired*: the same ratio taken in each round (the contenders measured seconds',
    'apart), median over the rounds: the load of the shared machine changes over a run, and moves',
    'every contender of a round alike.', '',
    `![UDP packets/s as ratios to a single DNAT rule](${CHARTS.udp})`, '',
    '| size | contender | delivered packets/s | spread | loss | × direct | × single DNAT rule | paired | kernel µs/packet | spread | capacity × single DNAT rule | paired | trafgen user CPU | kernel share of its CPU | DNAT rule hits / packets |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|']
  for (const [size, c] of Object.entries(u.maxRate)) {
    for (const [name, s] of Object.entries(c.summary)) {
      lines.push(`| ${size} B | ${name} | ${Math.round(s.median).toLocaleString('en')} | ${pct(s.spread)} | ${fixed(s.loss * 100, 3)} % | ${fixed(s.ratioToBaseline)} | ${fixed(s.ratioToSecond)} | ${fixed(s.pairedRatioToSecond)} | ${fixed(s.kernelMicrosPerPacket, 2)} | ${pct(s.kernelMicrosSpread)} | ${fixed(s.capacityToSecond)} | ${fixed(s.pairedCapacityToSecond)} | ${pct(s.generatorShare)} | ${pct(s.cpuKernelShare)} | ${Math.round(s.dnatRuleHits).toLocaleString('en')} / ${Math.round(s.received).toLocaleString('en')} |`)
    }
    const l = c.summary.l3lb
    if (l) {
      aims.push(`| UDP ${size} B, each path at its most: l3lb ≥ 0.95 × a single DNAT rule, delivered packets/s (paired) | ${fixed(l.pairedRatioToSecond)} (of the medians: ${fixed(l.ratioToSecond)}) | ${yes(l.pairedRatioToSecond >= AIMS.udp)} |`)
      aims.push(`| UDP ${size} B, each path at its most: l3lb ≥ 0.95 × a single DNAT rule, packets per CPU-second (paired) | ${fixed(l.pairedCapacityToSecond)} (of the medians: ${fixed(l.capacityToSecond)}) | ${yes(l.pairedCapacityToSecond >= AIMS.udp)} |`)
    }
    const us = c.summary.udp_source
    if (us) aims.push(`| UDP ${size} B, each path at its most: udp_source ≥ 0.95 × a single DNAT rule, delivered packets/s (paired) | ${fixed(us.pairedRatioToSecond)} (of the medians: ${fixed(us.ratioToSecond)}) | ${yes(us.pairedRatioToSecond >= AIMS.udp)} |`)
  }
  lines.push('', '### At a fixed rate under saturation', '',
    `Each path offered the same rate, ${pct(u.fixedLoadShare)} of the slowest path's median maximum above, paced by trafgen;`,
    '*sent* is the pace trafgen kept, which CPU time taken by other processes can slow: delivered',
    'then follows it, and loss says whether the path kept up.', '',
    '| size | offered | contender | sent packets/s | delivered packets/s | spread | loss | × single DNAT rule | kernel µs/packet | spread | capacity × single DNAT rule |',
    '|---|---|---|---|---|---|---|---|---|---|---|')
  for (const [size, c] of Object.entries(u.fixedRate)) {
    for (const [name, s] of Object.entries(c.summary)) {
      lines.push(`| ${size} B | ${c.offeredPerSecond.toLocaleString('en')}/s | ${name} | ${Math.round(s.sentPerSecond).toLocaleString('en')} | ${Math.round(s.median).toLocaleString('en')} | ${pct(s.spread)} | ${fixed(s.loss * 100, 3)} % | ${fixed(s.ratioToSecond)} | ${fixed(s.kernelMicrosPerPacket, 2)} | ${pct(s.kernelMicrosSpread)} | ${fixed(s.capacityToSecond)} |`)
    }
    const us = c.summary.udp_source
    if (us) aims.push(`| UDP ${size} B at ${c.offeredPerSecond.toLocaleString('en')}/s: udp_source delivers ≥ 0.95 × a single DNAT rule | ${fixed(us.ratioToSecond)}, loss ${fixed(us.loss * 100, 3)} % | ${yes(us.ratioToSecond >= AIMS.udp)} |`)
    const l = c.summary.l3lb
    if (l) aims.push(`| UDP ${size} B at ${c.offeredPerSecond.toLocaleString('en')}/s: l3lb delivers ≥ 0.95 × a single DNAT rule | ${fixed(l.ratioToSecond)}, loss ${fixed(l.loss * 100, 3)} % | ${yes(l.ratioToSecond >= AIMS.udp)} |`)
  }
  lines.push('')
  return lines
}

const METHOD = [
  '## How the run is made',
  '',
  '- `createTopology()` (test/support) builds client, lb and two back-end namespaces joined by',
  '  veth pairs in 198.18.0.0/15. Each back end runs nginx (`/small`, 100 bytes; `/big`,',
  '  1 MiB; one worker). Every contender runs in the lb namespace with',
  '  its files in a temporary folder: l3lb (the real `l3lb start`, port 80), a hand-tuned',
  '  HAProxy (`scripts/bench/lib/haproxy-tuned.mjs`, a config per case, port 81) and nginx',
  '  1.22\'s stream module (2 workers, defaults, port 82). The direct path sends the client',
  '  straight to the back ends, through lb\'s routing.',
  '- Each TCP figure is two wrk processes side by side (one thread each, the connections',
  '  split between them), so the direct path spreads its load over the same back ends the',
  '  proxies spread theirs over. Repetitions interleave the contenders and turn their order.',
  '- Everything shares 2 CPUs: the client, the proxy and the back ends compete, so a ratio',
  '  says how much of the machine a proxy costs, not how fast it would be alone.',
  '- In every namespace source ports start at 20000, above every port the benchmark listens',
  '  on (a TIME_WAIT on a later group\'s service port would fail its bind), with',
  '  `tcp_tw_reuse`. The agents keep their runtime files on a tmpfs the run mounts, as',
  '  systemd\'s `RuntimeDirectory=` is under `/run`; their state stays on the disk.',
  '- Memory is VmRSS of the proxy\'s worker processes (l3lb and HAProxy: the workers under',
  '  the master; nginx: its workers), sampled before and after.',
  '- `--smoke` runs every contender and a few cases for about 10 s of load and fails only',
  '  when something is broken (no answer, a failed request, a failed connection across a',
  '  reload), never for slowness. It writes nothing to docs/.',
  '- `--only udp` (or any list of groups) runs those cases only and keeps the other figures',
  '  of `benchmarks.json`; the section then says when it ran.',
  '',
  '### The UDP cases',
  '',
  '- **Generator: trafgen** (Debian\'s `netsniff-ng`), C, one process. It builds each frame',
  '  from a packet configuration (`scripts/bench/lib/trafgen.mjs`) and writes it through a',
  '  packet socket on the client namespace\'s veth, only there, addressed to the lb\'s MAC as',
  '  any client\'s packet is; the lb routes it like one. `udp(sp=dinc(low, high))` gives every',
  '  packet the next source port of its range, so one process makes many flows, each with the',
  '  same share of the packets, and trafgen recomputes the checksums (conntrack drops bad',
  '  ones). sockperf would need a socket per flow and send through the client\'s own UDP',
  '  stack; iperf3 needs a TCP control connection through the same DNAT.',
  '- **The same flows for every path**: two targets, each with half of the source ports',
  '  (1,024 flows by default, `--udp-flows`), sent in turn. `direct`: the two back ends;',
  '  `dnat-single`: the lb on two ports, one hand-written DNAT rule each; `l3lb`: the lb on its',
  '  one port, twice (the halves differ only by source port). Before every repetition',
  '  `conntrack -F` in the lb namespace forgets all flows, so each repetition starts with',
  '  all its flows new: each meets the nat rules once, then conntrack carries it. The *DNAT',
  '  rule hits* column (the summed packet counters of the lb\'s DNAT rules) shows it: 1,024',
  '  hits for hundreds of thousands of packets, so l3lb\'s statistic rules are walked per',
  '  flow, not per packet (docs/udp.md, "Cost per packet").',
  '- **Counting in the kernel**: what arrives is the packet counter of a `DROP` rule first in',
  '  each back end\'s raw PREROUTING (before conntrack: no socket, no reply, no ICMP, no user',
  '  space, and the same tiny cost whatever the path before it). What was sent is the client',
  '  veth\'s `tx_packets` + `tx_dropped` (a frame the lb\'s backlog refused counts as sent and',
  '  lost). Loss = (sent - received) / sent; a few link-local frames of the client\'s own',
  '  stack count as sent, so a loss of 0.001 % is that, not the path. Packets/s = received /',
  '  the time trafgen reports sending.',
  '- **Where the CPU goes**: trafgen runs one worker and pins it to a CPU itself (CPU 0;',
  '  it overrides `taskset`, so the benchmark reads the CPU from trafgen\'s summary instead',
  '  of choosing it). A veth hands a frame to the peer\'s backlog on the sending CPU, so the',
  '  whole path, the lb\'s conntrack, nat, filter and routing and the back end\'s raw rule,',
  '  runs there, in the softirq of trafgen\'s own sends. At the maximum that CPU is full:',
  '  trafgen\'s user-space time (from the shell\'s `times`) is the *trafgen user CPU* column,',
  '  a few per cent, and kernel time most of the rest, so the path, not the generator, sets',
  '  the maximum. Whatever is left of that CPU went to other processes of the shared machine,',
  '  which is one reason delivered packets/s moves from one repetition to the next; *kernel',
  '  µs/packet* (system, irq and softirq time of that CPU over the packets delivered) leaves',
  '  that out, but moves too: the other processes also compete for caches and memory, and',
  '  the machine is a VM. Both are medians over many short repetitions that interleave the',
  '  contenders and turn their order, and the *paired* ratios compare contenders measured',
  '  seconds apart, so a change of the machine\'s load over the run moves them alike. The',
  '  UDP aims are judged on the paired ratios: with the load swinging by several times',
  '  within a run, the ratio of two medians taken over different moments says less.',
  '- **Two loads**: first each path as fast as trafgen sends (a packet-ring, stopped by',
  '  `timeout --signal=INT` after the repetition\'s seconds, at most 10 M packets/s × seconds),',
  '  then each path at one fixed rate, half the slowest path\'s median maximum, paced by',
  '  trafgen (`--rate`, one `sendto` a packet, stopped by its count, rate × seconds, with',
  '  a time bound of twice that plus 5 s). Under saturation every path should deliver all:',
  '  delivered packets/s and loss say whether it did, kernel µs/packet what it cost.',
  '- trafgen runs with `--no-sock-mem` (it would otherwise raise the host\'s `net.core`',
  '  socket-memory sysctls) and `--notouch-irq` (it would otherwise move IRQ affinities).',
  '- Earlier runs used a Node generator and a Node echo: Node, not the kernel, was the',
  '  limit (about 20,000 to 40,000 echoes/s, l3lb 0.65 × the single rule at 64 B), so those',
  '  ratios measured Node.',
  ''
]
