// The "Scale" section of docs/benchmarks.md (SPEC §13), from the scale group's figures; pure.

/** SPEC §13's aims, in ms. */
export const SCALE_AIMS = { startMs: 2000, sighupMs: 1000, putMs: 100, ctlP99Ms: 10, metricsMs: 200 }

const ms = (v) => (v === null || v === undefined || Number.isNaN(v)) ? 'n/a' : `${Math.round(v)} ms`
const ms1 = (v) => (v === null || v === undefined || Number.isNaN(v)) ? 'n/a' : `${Number(v).toFixed(1)} ms`
const times = (a, b) => (a == null || b == null || b === 0) ? 'n/a' : `× ${(a / b).toFixed(1)}`
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`
const met = (ok) => ok ? 'met' : '**not met**'
const under = (v, aim) => v !== null && v !== undefined && v < aim

/** The section's lines; adds its aims to `aims` (rows of the Aims table). */
export function scaleSection (r, aims, runNote = []) {
  const s = r.scale
  const b = s.bare
  const p = s.profile
  const steps = s.startSteps ?? {}
  const lines = ['## Scale: 256 services, 1,000 servers', '', ...runNote,
    `${s.services} services (one service file each, \`tcp_roundrobin\`, each on its own port, checks every 2 s) and`,
    `${s.serversAtStart.toLocaleString('en')} servers at start, each on its own address: the addresses sit on the ${s.backends} back-end namespaces' veths`,
    '(198.18.100.0/22 and 198.18.104.0/22, routed from the lb namespace), one small Node greeter per namespace',
    'answers them all with the address reached, so the client sees which server a connection went to.',
    `The PUT adds the ${s.serversAfterPut.toLocaleString('en')}th (a node refuses more). *All forwarding*: from the launch until a connection`,
    'through every service was answered, probed from the client namespace (one port every 10 ms until one',
    'answers, then every port, 32 at a time); the sweep itself takes a few hundred ms on these 2 CPUs, in both',
    'figures alike. The bare HAProxy is `haproxy -W -db` with a hand-written config of the same services',
    '(plain frontends and backends, the same checks), started and reloaded (SIGUSR2) in the same run.', '',
    '| | l3lb | bare HAProxy | l3lb / bare |', '|---|---|---|---|',
    `| start to the first service forwarding | ${ms(s.firstForwardMs)} | ${ms(b.firstForwardMs)} | ${times(s.firstForwardMs, b.firstForwardMs)} |`,
    `| start to every service forwarding | ${ms(s.startMs)} | ${ms(b.startMs)} | ${times(s.startMs, b.startMs)} |`,
    `| one service changed (a server moved to a new address): reload to the change in force | ${ms(s.sighup.inForceMs)} (SIGHUP) | ${ms(b.reloadMs)} (SIGUSR2) | ${times(s.sighup.inForceMs, b.reloadMs)} |`,
    `| HAProxy's RSS (master + workers) | ${mib(s.haproxyRss)} | ${mib(b.rss)} | ${times(s.haproxyRss, b.rss)} |`,
    '',
    'Where l3lb\'s start goes (from the launch of `l3lb start`, its log lines): properties read and validated at',
    `${ms(steps.propertiesRead)}, HAProxy serving at ${ms(steps.haproxyServing)}, ctl listening at ${ms(steps.ctlListening)}, every service forwarding at ${ms(s.startMs)}.`,
    `Apart, in the lb namespace: \`node -e ''\` ${ms(p.nodeStartMs)}; \`l3lb render\` (a new Node process: load the program,`,
    `read, validate, render) of 1 service ${ms(p.renderOneMs)}, of all ${s.services} ${ms(p.renderMs)}; \`haproxy -c\` of the result ${ms(p.checkMs)}.`,
    'So the size itself costs l3lb little: most of its start is Node loading the program (its dependencies), the',
    'same with one service.', '',
    `**SIGHUP** with one service file changed: the agent's log line (\`${s.sighup.line}\`) ${ms(s.sighup.lineMs)} after the`,
    `signal, the change in force (a connection reaching the new address) after ${ms(s.sighup.inForceMs)}; HAProxy ${s.sighup.reloadedHaproxy ? 'was reloaded' : 'was not reloaded'}.`,
    `Meanwhile ${s.sighup.loadPorts} services carried ${s.sighup.connections.toLocaleString('en')} new connections (8 at a time, ${s.sighup.loadSeconds} s): **${s.sighup.failed} failed**${s.sighup.failed > 0 ? ` ${JSON.stringify(s.sighup.failures)}` : ''}.`, '']
  aims.push(`| scale: start to every service forwarding < 2 s | ${ms(s.startMs)} (bare HAProxy ${ms(b.startMs)}, ${times(s.startMs, b.startMs)}) | ${met(under(s.startMs, SCALE_AIMS.startMs))} |`)
  aims.push(`| scale: a SIGHUP changing one service in force < 1 s | ${ms(s.sighup.inForceMs)} (bare HAProxy's reload ${ms(b.reloadMs)}) | ${met(under(s.sighup.inForceMs, SCALE_AIMS.sighupMs))} |`)
  aims.push(`| scale: 0 failed connections across that SIGHUP | ${s.sighup.failed} of ${s.sighup.connections} | ${met(s.sighup.failed === 0)} |`)

  const put = s.put
  if (put.notMeasured !== undefined) {
    lines.push(`**PUT of one server** (\`PUT ${put.url.replace(/^http:\/\/[^/]+/, '')}\`): not measured: the API answers ${put.httpStatus} (\`${put.message}\`).`, '')
    aims.push('| scale: PUT of one server < 100 ms to the answer and to its first connection, no reload | not measured: the API answers 404 | **not met** |')
  } else {
    lines.push(`**PUT of one server** into a running TCP service (\`PUT ${put.url.replace(/^http:\/\/[^/]+/, '')}\`): answered ${put.httpStatus} after ${ms(put.answerMs)},`,
      `\`"applied": "${put.applied}"\`; the first connection forwarded to it ${ms(put.firstForwardMs)} after the request was sent (a new connection every 5 ms from the answer on, round robin over the service's servers); HAProxy's worker ${put.sameWorker ? 'the same process (no reload)' : 'replaced (a reload)'}.`,
      'Timed by a probe in the client namespace whose HTTP client a `GET /api/status` warmed first (a new Node process\'s first request loads it: 10-15 ms that are not the PUT\'s).', '')
    aims.push(`| scale: PUT of one server < 100 ms to the answer and to its first connection, no reload | ${ms(put.answerMs)} / ${ms(put.firstForwardMs)}, ${put.sameWorker ? 'same worker' : 'worker replaced'} | ${met(under(put.answerMs, SCALE_AIMS.putMs) && under(put.firstForwardMs, SCALE_AIMS.putMs) && put.sameWorker)} |`)
  }

  const { idle, loaded, loadedAside, loadedAtRate, metrics, cliCommand } = s.ctl
  const cli = (f, key) => f[key] === undefined ? 'n/a' : ms1(f[key])
  const row = (name, f) => f === undefined ? [] : [`| ${name} | ${f.connectionsPerSecond ?? 'n/a'} | ${ms1(f.statusP50)} | ${ms1(f.statusP99)} | ${ms1(f.changeP50)} | ${ms1(f.changeP99)} | ${cli(f, 'cliP50')} / ${cli(f, 'cliP99')} | ${cli(f, 'floorP50')} / ${cli(f, 'floorP99')} |`]
  lines.push('**ctl at this size**: `/api/status`, `/api/disable?service=s002&channel=a`, `/api/enable?service=s002&channel=a`, `/api/drain?service=s002&channel=a`, then the enable again, in turn,',
    `${idle.count} rounds after 10 not timed, a new connection each, from the client namespace at the agent's niceness; idle, then while`,
    '8 loops make new connections through 8 other services: with the load\'s own processes (the client loops and the back ends) at the',
    `host's normal priority, as fast as they go; at niceness ${loadedAside?.niceness ?? 10}, below HAProxy's, as when clients and back ends are other machines`,
    'and not on the load balancer\'s own 2 CPUs; and at the normal priority again, held to the rate of the run before. `/metrics` (the ctl',
    `port's, every service and server): ${metrics.count} scrapes one after another. The last column is HAProxy's share of a change: the agent's`,
    `runtime round trips alone (\`${cliCommand ?? 'n/a'}\` and the same with \`state ready\`, in turn, a new connection each,`,
    `${2 * idle.count} of them at the agent's niceness from the lb namespace, under the same load), p50 / p99. The floor: the same probe's`,
    `${2 * idle.count} GETs, under the same load, to a server in the lb namespace at the agent's niceness that only answers \`200 ok\``,
    '(`tools/ok-server.mjs`): what this machine, its kernel and Node\'s HTTP take apart from any work of the agent\'s.', '',
    '| run | connections/s | /api/status p50 | /api/status p99 | disable / enable / drain p50 | disable / enable / drain p99 | HAProxy CLI round trip alone | floor: a server that only answers |', '|---|---|---|---|---|---|---|---|',
    ...row('idle', { ...idle, connectionsPerSecond: 0 }),
    ...row('loaded, the load at the normal priority', loaded),
    ...row(`loaded, the load at niceness ${loadedAside?.niceness ?? 10}`, loadedAside),
    ...row('loaded at that rate, the load at the normal priority', loadedAtRate), '',
    `\`/metrics\`: p50 ${ms1(metrics.p50)}, p99 ${ms1(metrics.p99)} (max ${ms1(metrics.max)}).`, '',
    `Memory with all ${s.services} services running: the agent ${mib(s.agentRss)} RSS, HAProxy's master and workers ${mib(s.haproxyRss)}.`, '')
  for (const [name, f] of [['the load at the normal priority', loaded], ['the load aside', loadedAside], ['the load aside\'s rate at the normal priority', loadedAtRate]]) {
    if (f === undefined) continue
    aims.push(`| scale: ctl p99 < 10 ms under load (status; disable / enable / drain), ${name} (${f.connectionsPerSecond ?? 'n/a'} connections/s) | ${ms1(f.statusP99)}; ${ms1(f.changeP99)} | ${met(under(f.statusP99, SCALE_AIMS.ctlP99Ms) && under(f.changeP99, SCALE_AIMS.ctlP99Ms))} |`)
  }
  aims.push(`| scale: /metrics < 200 ms (p99 of ${metrics.count}) | ${ms1(metrics.p99)} (p50 ${ms1(metrics.p50)}) | ${met(under(metrics.p99, SCALE_AIMS.metricsMs))} |`)
  return lines
}
