/**
 * Pure: what the notices watch of the service files' servers, from the desired state and one
 * `show stat`: every enabled server's health and why it is down, by server key.
 */
import { findRow, type Row } from '../haproxy/parse.js'
import { downReason, outputHealth } from '../haproxy/server-status.js'
import type { OutputHealth, ServerReport } from '../model/health.js'
import type { Service } from '../properties/model.js'
import { isUdpMode } from '../properties/service-file.js'
import type { DesiredState } from '../state/desired.js'
import { fileServerKey } from '../state/server-key.js'

/**
 * Each enabled server of each service file: a TCP one's health from its `show stat` row (left
 * out when HAProxy does not report it, as while a reload is under way: not known is not down),
 * a UDP one's from the agent's checks. Disabled and draining servers are left out.
 */
export function fileServerReports (state: DesiredState, rows: readonly Row[]): Map<string, ServerReport> {
  const reports = new Map<string, ServerReport>()
  for (const service of state.services) addServiceReports(reports, state, service, rows)
  return reports
}

/** fileServerReports for one service, added to `reports`: a caller can let the event loop run between services. */
export function addServiceReports (reports: Map<string, ServerReport>, state: DesiredState, service: Service, rows: readonly Row[]): void {
  const udp = isUdpMode(service.mode)
  for (const server of service.servers) {
    const key = fileServerKey(service.name, server.name)
    if (state.disabled.has(key) || state.draining.has(key)) continue
    const row = udp ? undefined : findRow(rows, service.name, server.name)
    if (!udp && row === undefined) continue
    const health: OutputHealth = row === undefined ? (state.down.has(key) ? 'down' : 'up') : outputHealth(row.status ?? '')
    const reason = health === 'up' ? '' : row === undefined ? unansweredPings(service.healthcheckFall) : downReason(row)
    reports.set(key, { service: service.name, server: server.name, address: server.address, port: server.port, health, reason })
  }
}

/** Why the agent's ICMP checks took a server down. */
export function unansweredPings (fall: number): string {
  return fall === 1 ? 'a ping went unanswered' : `${fall} pings in a row went unanswered`
}
