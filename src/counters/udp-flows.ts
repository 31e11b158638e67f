/**
 * Pure: which UDP server each conntrack flow belongs to (SPEC §6 `outX_sessions`, SPEC §11
 * `<server>_sessions` of UDP services). A flow is a server's when it reached its service
 * (the address and port the client sent to) and its replies come from the server's address
 * and port: so two services that share a server address count apart, since no two services
 * listen on the same address, port and protocol.
 */
import { isIP } from 'node:net'
import type { UdpFlow } from '../netfilter/conntrack.js'
import { canonicalAddress } from '../properties/canonical-address.js'
import type { PortRange } from '../properties/model.js'
import { isUdpMode } from '../properties/service-file.js'
import type { DesiredState } from '../state/desired.js'
import { fileServerKey } from '../state/server-key.js'

/** One UDP server as conntrack sees it. */
export interface UdpTarget {
  /** Its server key: `out2`, `sip/a`. */
  readonly key: string
  /** Its service's addresses (empty: every address) and ports. */
  readonly inAddrs: readonly string[]
  readonly ports: readonly PortRange[]
  readonly address: string
  /** The port it receives on; null: the client's. */
  readonly port: number | null
}

/** Every UDP server of the state: the env file's outputs in udp_roundrobin, then every UDP service file's servers. */
export function udpTargets (state: DesiredState): UdpTarget[] {
  const { properties } = state
  const outputs = properties.mode === 'udp_roundrobin'
    ? properties.outputs.map((output) => ({ key: output.name, inAddrs: properties.inAddrs, ports: properties.ports, address: output.address, port: null }))
    : []
  const servers = state.services.filter((service) => isUdpMode(service.mode)).flatMap((service) => service.servers.map((server) => ({
    key: fileServerKey(service.name, server.name), inAddrs: service.inAddrs, ports: service.ports, address: server.address, port: server.port
  })))
  return [...outputs, ...servers]
}

/** The address families the targets' flows are in (conntrack lists one family at a time). */
export function udpFamilies (targets: readonly UdpTarget[]): Array<4 | 6> {
  const families = new Set(targets.map((target) => isIP(target.address)))
  return ([4, 6] as const).filter((family) => families.has(family))
}

/**
 * Flows per server key, every target listed (0 without flows). A flow is counted once, for
 * the first target it fits; only two servers of one service with the same address and port
 * cannot be told apart (the first one gets their flows).
 */
export function flowsPerServer (targets: readonly UdpTarget[], flows: readonly UdpFlow[]): Map<string, number> {
  const counts = new Map(targets.map((target) => [target.key, 0]))
  const byAddress = new Map<string, UdpTarget[]>()
  for (const target of targets) {
    const address = canonicalAddress(target.address) ?? target.address
    byAddress.set(address, [...byAddress.get(address) ?? [], target])
  }
  for (const flow of flows) {
    const replyFrom = canonicalAddress(flow.replyFrom) ?? flow.replyFrom
    const to = canonicalAddress(flow.to) ?? flow.to
    // a flow whose replies come from where it was sent was not forwarded: the host's own
    if (replyFrom === to) continue
    const target = byAddress.get(replyFrom)?.find((candidate) => fits(candidate, flow, to))
    if (target !== undefined) counts.set(target.key, (counts.get(target.key) ?? 0) + 1)
  }
  return counts
}

function fits (target: UdpTarget, flow: UdpFlow, to: string): boolean {
  if (!target.ports.some((range) => flow.toPort >= range.low && flow.toPort <= range.high)) return false
  if (target.inAddrs.length > 0 && !target.inAddrs.some((address) => (canonicalAddress(address) ?? address) === to)) return false
  return flow.replyFromPort === (target.port ?? flow.toPort)
}
