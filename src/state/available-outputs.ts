/** Pure: which outputs get new traffic when the agent itself spreads it (udp_roundrobin). */
import type { Output } from '../properties/model.js'
import type { DesiredState } from './desired.js'

/**
 * The enabled, healthy primaries in outN order; when there is none, the enabled, healthy
 * backups (SPEC §3: backups only when every other output is unavailable); else none.
 * `among` narrows the outputs first (one IP family: an IPv4 client can only be sent to
 * an IPv4 output, so its backups stand in when the IPv4 primaries are gone).
 */
export function availableOutputs (state: DesiredState, among: (output: Output) => boolean = () => true): Output[] {
  const usable = state.properties.outputs.filter((output) => among(output) && !state.disabled.has(output.name) && !state.down.has(output.name))
  const primaries = usable.filter((output) => !output.backup)
  return primaries.length > 0 ? primaries : usable.filter((output) => output.backup)
}
