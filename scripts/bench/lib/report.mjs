// Writes docs/benchmarks.json (every raw figure) and docs/benchmarks.md (the tables).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

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

export function writeReport (dir, results) {
  writeFileSync(join(dir, 'benchmarks.json'), JSON.stringify(results, null, 2) + '\n')
  writeFileSync(join(dir, 'benchmarks.md'), markdown(results))
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
    'repetitions; *spread* is (max - min) / median. Ratios compare medians taken in the same run.',
    'The machine is shared: differences under about 10 % are noise.',
    ''
  ]
  const aims = []

  if (r.tcp) {
    lines.push('## TCP through a proxy', '',
      'wrk in the client namespace; nginx back ends in two namespaces; the direct path is the',
      'same load split evenly over the two back ends, routed through the lb namespace.', '',
      '| case | contender | median | spread | × direct | × hand-tuned HAProxy | errors |',
      '|---|---|---|---|---|---|---|')
    for (const c of Object.values(r.tcp)) {
      for (const [name, s] of Object.entries(c.summary)) {
        lines.push(`| ${c.title} | ${name} | ${show(s.median, c.figure)} | ${pct(s.spread)} | ${fixed(s.ratioToBaseline)} | ${fixed(s.ratioToSecond)} | ${s.errors} |`)
      }
    }
    lines.push('')
    for (const c of Object.values(r.tcp)) {
      const l = c.summary.l3lb
      const n = c.summary['nginx-stream']
      if (!l) continue
      aims.push(`| ${c.title}: l3lb ≥ 0.95 × hand-tuned HAProxy | ${fixed(l.ratioToSecond)} | ${yes(l.ratioToSecond >= AIMS.tcpTuned)} |`)
      if (n) aims.push(`| ${c.title}: l3lb ≥ nginx stream | ${fixed(l.median / n.median)} | ${yes(l.median >= n.median)} |`)
    }
  }

  if (r.udp) {
    lines.push('## UDP: echoes per second and loss', '',
      'A Node generator sends as fast as the kernel takes datagrams from 16 sockets (16 flows)',
      'to a Node echo in each back end. `dnat-single` is one hand-written',
      '`iptables -t nat -A PREROUTING -p udp --dport P -j DNAT --to-destination <be>` per back end, each',
      'on a port of its own (half the flows each), so a packet meets one rule; l3lb is `udp_roundrobin`',
      '(`udp_snat=off`: the lb is the back ends\' gateway here) spreading over both back ends.', '',
      '| size | contender | echoes/s | spread | loss | × direct | × single DNAT rule |',
      '|---|---|---|---|---|---|---|')
    for (const [size, c] of Object.entries(r.udp)) {
      for (const [name, s] of Object.entries(c.summary)) {
        lines.push(`| ${size} B | ${name} | ${Math.round(s.median).toLocaleString('en')} | ${pct(s.spread)} | ${fixed(s.loss * 100, 2)} % | ${fixed(s.ratioToBaseline)} | ${fixed(s.ratioToSecond)} |`)
      }
      const l = c.summary.l3lb
      if (l) aims.push(`| UDP ${size} B: l3lb ≥ 0.95 × a single DNAT rule | ${fixed(l.ratioToSecond)} | ${yes(l.ratioToSecond >= AIMS.udp)} |`)
    }
    lines.push('')
  }

  if (r.sessions) {
    lines.push('## Concurrent sessions: memory', '',
      `Idle: ${r.options.sessionCount} connections opened 500 at a time through the proxy and held;`,
      'growth of the proxy workers\' resident memory divided by the sessions; then one',
      `request on each (served). Busy: ${r.options.busyCount} connections each fetching 1 MiB objects in a`,
      'loop, peak growth while they run, on a fresh worker.', '',
      '| contender | idle opened / served | kB per idle session | × hand-tuned | busy sessions, MB/s | kB per busy session | × hand-tuned |',
      '|---|---|---|---|---|---|---|')
    for (const [name, s] of Object.entries(r.sessions)) {
      lines.push(`| ${name} | ${s.idle.opened} / ${s.idle.served} | ${fixed(s.idle.bytesPerSession / 1024, 2)} | ${fixed(s.idle.ratioToTuned)} | ${s.busy.opened}, ${fixed(s.busy.mbPerSecond, 0)} | ${fixed(s.busy.bytesPerSession / 1024, 1)} | ${fixed(s.busy.ratioToTuned)} |`)
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
    lines.push('## Reloads and back-end deaths under load (l3lb)', '',
      'A Node client makes new connections (`Connection: close`, 16 at a time) through l3lb.', '')
    if (r.reload) {
      lines.push(`- **Reload every second**: ${r.reload.reloads} real reloads (SIGHUP, \`healthcheck_interval\` toggled 2/3) in ${r.reload.seconds} s;`,
        `  ${r.reload.requests.toLocaleString('en')} connections, **${r.reload.failed} failed** ${r.reload.failed > 0 ? JSON.stringify(r.reload.failureCodes) : ''}.`)
      aims.push(`| 0 failed connections across reloads | ${r.reload.failed} of ${r.reload.requests} | ${yes(r.reload.failed === 0)} |`)
    }
    if (r.kill) {
      lines.push(`- **Back end killed** (SIGKILL to out2's nginx): ${r.kill.requests.toLocaleString('en')} connections, **${r.kill.failedNew} new ones failed** after`,
        `  the kill, ${r.kill.failedInFlight} in flight on out2 were lost (no proxy can save those); out2 reported \`down\``,
        `  by \`/api/status\` ${fixed(r.kill.downAfterMs / 1000, 1)} s after (checks every ${r.kill.healthcheckInterval} s, fall ${r.kill.fall}).`)
      aims.push(`| 0 failed new connections when a back end dies | ${r.kill.failedNew} | ${yes(r.kill.failedNew === 0)} |`)
    }
    lines.push('')
  }

  if (r.ctl) {
    const { idle, loaded } = r.ctl
    lines.push('## ctl latency', '',
      `${idle.count} rounds of \`/api/status\`, \`/api/disable?channel=out2\`, \`/api/enable?channel=out2\` from the client`,
      `namespace, one at a time, a new connection each; idle, then while wrk drives ${Math.round(r.ctl.loadRequestsPerSecond).toLocaleString('en')} requests/s`,
      'through l3lb.', '',
      '| request | idle p50 | idle p99 | loaded p50 | loaded p99 | loaded / idle (p50) |', '|---|---|---|---|---|---|',
      `| /api/status | ${fixed(idle.statusP50, 1)} ms | ${fixed(idle.statusP99, 1)} ms | ${fixed(loaded.statusP50, 1)} ms | ${fixed(loaded.statusP99, 1)} ms | ${fixed(loaded.statusP50 / idle.statusP50)} |`,
      `| disable / enable | ${fixed(idle.changeP50, 1)} ms | ${fixed(idle.changeP99, 1)} ms | ${fixed(loaded.changeP50, 1)} ms | ${fixed(loaded.changeP99, 1)} ms | ${fixed(loaded.changeP50 / idle.changeP50)} |`,
      '')
  }

  if (r.control) {
    const c = r.control
    lines.push('## Control-plane cost', '',
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
      ...(r.renderRunDate ? [`These figures come from a \`--only render\` run at ${r.renderRunDate}.`] : []), '',
      '| outputs × ports | l3lb render | haproxy -c | render / haproxy -c | l3lb start |', '|---|---|---|---|---|')
    for (const [label, s] of Object.entries(r.render)) {
      lines.push(`| ${label.replace('x', ' × ')} | ${s.renderMs.toFixed(0)} ms | ${s.checkMs.toFixed(0)} ms | ${fixed(s.renderMs / s.checkMs, 1)} | ${s.startMs.toFixed(0)} ms |`)
    }
    lines.push('')
  }

  lines.push('## Aims', '', '| aim | figure | |', '|---|---|---|', ...aims, '')
  lines.push(...METHOD)
  return lines.join('\n') + '\n'
}

const METHOD = [
  '## How the run is made',
  '',
  '- `createTopology()` (test/support) builds client, lb and two back-end namespaces joined by',
  '  veth pairs in 198.18.0.0/15. Each back end runs nginx (`/small`, 100 bytes; `/big`,',
  '  1 MiB; one worker) and a Node UDP echo. Every contender runs in the lb namespace with',
  '  its files in a temporary folder: l3lb (the real `l3lb start`, port 80), a hand-tuned',
  '  HAProxy (`scripts/bench/lib/haproxy-tuned.mjs`, a config per case, port 81) and nginx',
  '  1.22\'s stream module (2 workers, defaults, port 82). The direct path sends the client',
  '  straight to the back ends, through lb\'s routing.',
  '- Each TCP figure is two wrk processes side by side (one thread each, the connections',
  '  split between them), so the direct path spreads its load over the same back ends the',
  '  proxies spread theirs over. Repetitions interleave the contenders and turn their order.',
  '- Everything shares 2 CPUs: the client, the proxy and the back ends compete, so a ratio',
  '  says how much of the machine a proxy costs, not how fast it would be alone.',
  '- Memory is VmRSS of the proxy\'s worker processes (l3lb and HAProxy: the workers under',
  '  the master; nginx: its workers), sampled before and after.',
  '- `--smoke` runs every contender and a few cases for about 10 s of load and fails only',
  '  when something is broken (no answer, a failed request, a failed connection across a',
  '  reload), never for slowness. It writes nothing to docs/.',
  ''
]
