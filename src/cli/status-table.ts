/** Pure: the ctl status and counters answers as a table for people, like `ipvsadm -L -n`. */
import type { Properties } from '../properties/model.js'
import type { CtlAnswer } from './ctl-client.js'

/** `/api/counters`' document, as the CLI receives it. */
export interface CountersAnswer {
  readonly group: string
  readonly counters: Readonly<Record<string, number>>
}

const STATUS_WORDS: Readonly<Record<number, string>> = { 0: 'up', 1: 'down', 2: 'disabled', 100: 'not connected' }

/**
 * One line per connected output: address, role, state, then its sessions (now, most at
 * once, completed), queue and failed checks; a line of totals; `-` where the mode has no
 * such counter (udp_roundrobin has no queue or totals). With HA, a first line `node: active|standby`.
 */
export function formatStatus (answer: CtlAnswer, counters: CountersAnswer, properties: Pick<Properties, 'outputs'>): string {
  if (answer.status.code !== 0) return `error ${answer.status.code}: ${answer.status.message}\n`
  const value = (name: string): string => {
    const found = counters.counters[name]
    return found === undefined ? '-' : String(found)
  }
  const rows = properties.outputs.map((output) => {
    const state = answer.status[output.name]
    const status = counters.counters[`${output.name}_status`]
    const word = typeof state === 'string' ? state : STATUS_WORDS[status ?? 2] ?? 'disabled'
    return [output.name, output.address, output.backup ? 'backup' : 'primary', word,
      value(`${output.name}_sessions`), value(`${output.name}_sessions_max`), value(`${output.name}_sessions_total`),
      value(`${output.name}_queue`), value(`${output.name}_errors`)]
  })
  const totals = ['total', '', '', '', value('sessions_active'), value('sessions_max'), value('sessions_total'), value('queue'), value('errors')]
  const table = [['OUTPUT', 'ADDRESS', 'ROLE', 'STATE', 'SESSIONS', 'MAX', 'TOTAL', 'QUEUE', 'ERRORS'], ...rows, totals]
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)))
  // (HA) the node's part in the pair, above the table; absent without ha_vip
  const role = typeof answer.status.role === 'string' ? `node: ${answer.status.role}\n` : ''
  return role + table.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n') + '\n'
}
