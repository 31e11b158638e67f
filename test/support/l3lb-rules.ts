/** What l3lb left in the lb namespace's netfilter tables: every IPv4 and IPv6 line that names one of its chains. */
import type { Topology } from './topology.js'

export async function l3lbRules (topology: Topology): Promise<string[]> {
  const lines: string[] = []
  for (const program of ['iptables-save', 'ip6tables-save']) {
    const { stdout } = await topology.exec(topology.names.lb, program, [])
    lines.push(...stdout.split('\n').filter((line) => line.includes('L3LB')))
  }
  return lines
}
