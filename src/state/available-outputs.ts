/** Pure: which outputs get new traffic when the agent itself spreads it (udp_roundrobin). */
import type { Output, Server, Service } from '../properties/model.js'
import type { DesiredState } from './desired.js'
import { fileServerKey } from './server-key.js'

/**
 * The enabled (not disabled, not draining), healthy primaries in outN order; when there is none, the enabled, healthy
 * backups (SPEC §3: backups only when every other output is unavailable); else none.
 * `among` narrows the outputs first (one IP family: an IPv4 client can only be sent to
 * an IPv4 output, so its backups stand in when the IPv4 primaries are gone).
 */
export function availableOutputs (state: DesiredState, among: (output: Output) => boolean = () => true): Output[] {
  const usable = state.properties.outputs.filter((output) => among(output) && !state.disabled.has(output.name) && !state.draining.has(output.name) && !state.down.has(output.name))
  const primaries = usable.filter((output) => !output.backup)
  return primaries.length > 0 ? primaries : usable.filter((output) => output.backup)
}

/** The same for a service file's servers: the enabled, healthy primaries in file order, else the enabled, healthy backups. */
export function availableServers (state: DesiredState, service: Service): Server[] {
  const usable = service.servers.filter((server) => {
    const key = fileServerKey(service.name, server.name)
    return !state.disabled.has(key) && !state.draining.has(key) && !state.down.has(key)
  })
  const primaries = usable.filter((server) => !server.backup)
  return primaries.length > 0 ? primaries : usable.filter((server) => server.backup)
}
