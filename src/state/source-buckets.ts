/** Pure: a udp_source service's bucket table in the desired state (docs/udp.md, "udp_source"). */
import type { Server, Service } from '../properties/model.js'
import { bucketTable } from '../properties/udp-buckets.js'
import { availableServers } from './available-outputs.js'
import type { DesiredState } from './desired.js'

/** Each bucket's server, or null; `servers` the ones the table was built over (the primaries, or the backups standing in). */
export interface SourceTable {
  readonly servers: readonly Server[]
  readonly buckets: ReadonlyArray<Server | null>
}

/**
 * The table is built over every server of the role in use, available or not (the primaries, or
 * the backups once no primary is left), so a leaver moves only its own buckets.
 */
export function sourceTable (state: DesiredState, service: Service): SourceTable {
  const available = new Set(availableServers(state, service))
  const inUse = [...available][0]
  const servers = inUse === undefined ? [] : service.servers.filter((server) => server.backup === inUse.backup)
  const table = bucketTable(servers.map((server) => ({ weight: server.weight, available: available.has(server) })))
  return { servers, buckets: table.map((index) => index === null ? null : servers[index] ?? null) }
}
