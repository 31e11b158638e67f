// Kernel counters of the UDP cases: what the client's interface sent, what reached each
// back end, and the CPU time of one CPU. No user-space program sees the benchmark's datagrams.
import { readFileSync } from 'node:fs'

const SINK_COMMENT = 'l3lb-bench-udp-sink'
// /proc/stat counts in USER_HZ, 100 on Linux whatever the kernel's HZ
const USER_HZ = 100

/**
 * In each back end, a rule that counts and drops the benchmark's datagrams as they arrive,
 * first in raw PREROUTING: before conntrack, sockets and user space, so the back end's own
 * cost is the same tiny one whatever the path behind it.
 */
export async function installUdpSinks (topology, ports) {
  for (const ns of topology.names.backends) {
    await topology.exec(ns, 'iptables', ['-t', 'raw', '-A', 'PREROUTING', '-p', 'udp', '-m', 'udp', '--dport', ports, '-m', 'comment', '--comment', SINK_COMMENT, '-j', 'DROP'])
  }
}

/** Packets each back end's sink has counted so far. */
export async function readUdpSinks (topology) {
  return await Promise.all(topology.names.backends.map(async (ns) => {
    const saved = await topology.exec(ns, 'iptables-save', ['-c', '-t', 'raw'])
    return sinkPackets(saved.stdout)
  }))
}

/** The packet counter of the sink rule in `iptables-save -c` output (`[12:3456] -A PREROUTING ... l3lb-bench-udp-sink ...`). */
export function sinkPackets (saved) {
  const line = saved.split('\n').find((l) => l.includes(SINK_COMMENT))
  const counter = line === undefined ? null : /^\[(\d+):\d+\]/.exec(line)
  if (counter === null) throw new Error(`no counted sink rule in the back end's raw table:\n${saved}`)
  return Number(counter[1])
}

/** Packets that went through a DNAT rule in the lb: once per new flow, as the nat table sees only a flow's first packet. */
export async function readDnatHits (topology) {
  const saved = await topology.exec(topology.names.lb, 'iptables-save', ['-c', '-t', 'nat'])
  return dnatHits(saved.stdout)
}

/** The summed packet counters of the DNAT rules in `iptables-save -c -t nat` output. */
export function dnatHits (saved) {
  return saved.split('\n')
    .filter((line) => / -j DNAT /.test(line))
    .reduce((sum, line) => sum + Number(/^\[(\d+):/.exec(line)?.[1] ?? 0), 0)
}

/** Frames the client's interface handed to the lb: tx_packets, plus tx_dropped (the lb's backlog was full). */
export async function readClientSent (topology) {
  const dir = `/sys/class/net/${topology.interfaces.peer}/statistics`
  const read = await topology.exec(topology.names.client, 'cat', [`${dir}/tx_packets`, `${dir}/tx_dropped`])
  const [packets, dropped] = read.stdout.trim().split('\n').map(Number)
  return { packets, dropped }
}

/** The MAC address of the lb's side of the client link, where the generator's frames go. */
export async function lbClientSideMac (topology) {
  const shown = await topology.exec(topology.names.lb, 'ip', ['-j', 'link', 'show', topology.interfaces.lbClientSide])
  return JSON.parse(shown.stdout)[0].address
}

/** Seconds each CPU has spent, by kind, since boot (/proc/stat), by CPU number. */
export function cpuTimes (stat = readFileSync('/proc/stat', 'utf8')) {
  const times = {}
  for (const line of stat.split('\n')) {
    const cpu = /^cpu(\d+) /.exec(line)?.[1]
    if (cpu === undefined) continue
    const [user, nice, system, idle, iowait, irq, softirq] = line.trim().split(/\s+/).slice(1, 8).map((v) => Number(v) / USER_HZ)
    times[cpu] = { user: user + nice, kernel: system + irq + softirq, idle: idle + iowait }
  }
  return times
}

/** The difference of two readings of one CPU. */
export function cpuTimesSince (before, after) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]))
}
