/** Pure: the ctl status answer as a table for people. */
import type { Properties } from '../properties/model.js'
import type { CtlAnswer } from './ctl-client.js'

/** One line per connected output: name, address, role, state (`disabled` when ctl disabled it). */
export function formatStatus (answer: CtlAnswer, properties: Pick<Properties, 'outputs'>): string {
  if (answer.status.code !== 0) return `error ${answer.status.code}: ${answer.status.message}\n`
  const rows = properties.outputs.map((output) => {
    const state = answer.status[output.name]
    return [output.name, output.address, output.backup ? 'backup' : 'primary', typeof state === 'string' ? state : 'disabled']
  })
  const table = [['OUTPUT', 'ADDRESS', 'ROLE', 'STATE'], ...rows]
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)))
  return table.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n') + '\n'
}
