// trafgen (netsniff-ng), the benchmark's UDP generator: its packet configuration, its
// command line and what it prints. Pure: the runner executes the command in the client namespace.

/** First source port of the flows; each target then takes `flowsPerTarget` ports of its own. */
export const FIRST_SOURCE_PORT = 10000

/**
 * One packet per target, in turn, each cycling through its own source ports: with
 * `flowsPerTarget` ports a target, the load is targets × flowsPerTarget flows of equal size.
 * Frames go to `gatewayMac` (the lb's side of the client link), so the lb routes them as it
 * would any client's; ttl 64 because a forwarded packet with ttl 0 is dropped. With `sources`
 * (udp_source, which spreads by client address) each target's ports are split among those
 * addresses, one packet per target and address in turn: the same flows, from many clients.
 */
export function trafgenConfig ({ gatewayMac, source, sources = [source], targets, size, flowsPerTarget }) {
  const perSource = Math.max(1, Math.floor(flowsPerTarget / sources.length))
  return targets.flatMap((target, i) => sources.map((sa, j) => {
    const low = FIRST_SOURCE_PORT + i * flowsPerTarget + j * perSource
    const high = sources.length === 1 ? low + flowsPerTarget - 1 : low + perSource - 1
    // dinc() changes the port per packet and trafgen then recomputes the UDP checksum: conntrack drops bad ones
    return `{ eth(da=${gatewayMac}), ipv4(sa=${sa}, da=${target.address}, ttl=64), udp(sp=dinc(${low}, ${high}), dp=${target.port}), fill(0x61, ${size}) }`
  })).join('\n') + '\n'
}

/**
 * trafgen's arguments: one worker, `count` packets at most, at `rate` packets/s or, when
 * rate is null, as fast as the ring takes them. It must not change anything outside the
 * namespace: --no-sock-mem keeps the host's core socket-memory sysctls, --notouch-irq the
 * IRQ affinities.
 */
export function trafgenArgs ({ device, configFile, count, rate }) {
  return [
    '--dev', device, '--conf', configFile, '--cpus', '1', '--num', String(count),
    '--no-sock-mem', '--notouch-irq',
    ...(rate === null ? [] : ['--rate', `${rate}pps`])
  ]
}

/**
 * The command that runs trafgen for `seconds` at most: `timeout` interrupts it (SIGINT, after
 * which trafgen prints its summary) and kills it 5 s later if need be; the shell's `times`
 * then prints the CPU time trafgen used, its own cost apart from the path's.
 */
export function boundedTrafgenCommand (seconds, args) {
  return ['sh', ['-c', 'timeout --signal=INT --kill-after=5 "$@"; code=$?; times; exit $code', 'sh', String(seconds), 'trafgen', ...args]]
}

/**
 * Packets sent, seconds spent sending and the CPU its worker ran on, from trafgen's summary
 * (`N packets outgoing`, `S sec, U usec on CPU0 (N packets)`): trafgen pins each worker to a
 * CPU itself, overriding taskset, so the CPU is read here rather than chosen.
 */
export function parseTrafgenSummary (text) {
  const packets = /(\d+) packets outgoing/.exec(text)
  const worker = /(\d+) sec, (\d+) usec on CPU(\d+)/.exec(text)
  if (packets === null || worker === null) throw new Error(`trafgen printed no summary; its output was:\n${text}`)
  return { packets: Number(packets[1]), seconds: Number(worker[1]) + Number(worker[2]) / 1e6, cpu: worker[3] }
}

/** User and system seconds of the shell's children, from the second line `times` prints (`0m1.230000s 0m4.560000s`). */
export function parseChildTimes (text) {
  const lines = [...text.matchAll(/^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/gm)]
  const children = lines[1]
  if (children === undefined) throw new Error(`no children's times in the output:\n${text}`)
  return { user: Number(children[1]) * 60 + Number(children[2]), system: Number(children[3]) * 60 + Number(children[4]) }
}
