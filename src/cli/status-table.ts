/** Pure: the ctl outputs and counters answers as a table for people, like `ipvsadm -L -n`. */
import type { OutputMember } from '../ctl/answer.js'
import type { CtlAnswer } from './ctl-client.js'
import type { ServiceStatus } from '../model/health.js'

/** `/api/counters`' document, as the CLI receives it. */
export interface CountersAnswer {
  readonly group: string
  readonly counters: Readonly<Record<string, number>>
}

/** `/api/outputs`' answer, as the CLI receives it. */
export interface OutputsAnswer extends CtlAnswer {
  readonly outputs: readonly OutputMember[]
}

/**
 * One line per connected output: address, role, state and for how long, then its sessions
 * (now, most at once, completed), queue and failed checks; a line of totals; `-` where the
 * mode has no such counter (udp_roundrobin has no queue or totals). Under the table, why
 * each down output is down, and which up ones fail their checks or are coming back. With
 * HA, a first line `node: active|standby`.
 */
export function formatStatus (answer: OutputsAnswer, counters: CountersAnswer): string {
  if (answer.status.code !== 0) return `error ${answer.status.code}: ${answer.status.message}\n`
  const value = (name: string): string => {
    const found = counters.counters[name]
    return found === undefined ? '-' : String(found)
  }
  const rows = answer.outputs.map((output) => [output.name, output.address, output.role, output.state, formatDuration(output.for_seconds),
    value(`${output.name}_sessions`), value(`${output.name}_sessions_max`), value(`${output.name}_sessions_total`),
    value(`${output.name}_queue`), value(`${output.name}_errors`)])
  const totals = ['total', '', '', '', '', value('sessions_active'), value('sessions_max'), value('sessions_total'), value('queue'), value('errors')]
  const table = [['OUTPUT', 'ADDRESS', 'ROLE', 'STATE', 'FOR', 'SESSIONS', 'MAX', 'TOTAL', 'QUEUE', 'ERRORS'], ...rows, totals]
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)))
  // (HA) the node's part in the pair, above the table; absent without ha_vip
  const role = typeof answer.status.role === 'string' ? `node: ${answer.status.role}\n` : ''
  const lines = table.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd())
  const reasons = answer.outputs.filter((output) => output.reason !== '')
    .map((output) => output.state === 'down' ? `${output.name} is down: ${output.reason}` : `${output.name} is ${output.state}, ${output.reason}`)
  return role + lines.join('\n') + '\n' + (reasons.length === 0 ? '' : `\n${reasons.join('\n')}\n`)
}

/** How long an output has been in its state, to the two largest units: `45s`, `3m12s`, `2h05m`, `4d03h`; `-` when not known. */
export function formatDuration (seconds: number | null): string {
  if (seconds === null) return '-'
  const units: Array<[string, number]> = [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]]
  const first = units.findIndex(([, size]) => seconds >= size)
  if (first === -1 || first === units.length - 1) return `${seconds}s`
  const [bigName, bigSize] = units[first]!
  const [smallName, smallSize] = units[first + 1]!
  const small = Math.floor((seconds % bigSize) / smallSize)
  return `${Math.floor(seconds / bigSize)}${bigName}${String(small).padStart(2, '0')}${smallName}`
}

/** `/api/services`' answer, as the CLI receives it. */
export interface ServicesAnswer extends CtlAnswer {
  readonly services: readonly ServiceStatus[]
}

/**
 * (SPEC §11) One table per service: a header line (`service web: tcp_leastconn, ports 8081,
 * every address`), then a line per server: address and port, weight, role, admin state,
 * health and active sessions.
 */
export function formatServices (services: readonly ServiceStatus[]): string {
  return services.map((service) => {
    const where = service.addresses.length === 0 ? 'every address' : service.addresses.join(', ')
    const rows = service.servers.map((server) => [server.name, server.port === null ? server.address : `${server.address.includes(':') ? `[${server.address}]` : server.address}:${server.port}`,
      String(server.weight), server.role, server.admin, server.health, server.sessions === null ? '-' : String(server.sessions)])
    const table = [['SERVER', 'ADDRESS', 'WEIGHT', 'ROLE', 'ADMIN', 'HEALTH', 'SESSIONS'], ...rows]
    const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)))
    const lines = table.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd())
    return `service ${service.name}: ${service.mode}, ports ${service.ports}, ${where}\n${lines.join('\n')}\n`
  }).join('\n')
}
