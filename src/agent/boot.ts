/** The boot steps that read: properties from the env file, limits from the host. */
import { readFile } from 'node:fs/promises'
import { L3lbError } from '../errors.js'
import { computeLimits } from '../limits/compute.js'
import { readHostFacts } from '../limits/host.js'
import type { Limits } from '../limits/model.js'
import { formatProblems, loadProperties } from '../properties/load.js'
import type { Properties } from '../properties/model.js'
import { GLOBAL_MAXCONN_HEADROOM, HAPROXY_MAXPIPES } from '../render/haproxy-config.js'

export const DEFAULT_ENV_FILE = '/etc/l3lb/l3lb.env'

export interface LoadedProperties {
  readonly properties: Properties
  readonly warnings: readonly string[]
}

/** Reads and validates the env file; every problem in it is reported in one error. */
export async function readProperties (file: string): Promise<LoadedProperties> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new L3lbError('L3LB_ENV_FILE_UNREADABLE', `could not read the properties file ${file}: ${(cause as Error).message}`, { cause })
  }
  const result = loadProperties(text)
  if (!result.ok) {
    const count = result.problems.length
    throw new L3lbError('L3LB_PROPERTIES_INVALID', `${file}: ${count} invalid ${count === 1 ? 'property' : 'properties'}:\n${formatProblems(result.problems)}`)
  }
  return { properties: result.properties, warnings: result.warnings }
}

/** The limits for these properties on this host. */
export async function limitsFor (properties: Properties): Promise<Limits> {
  const facts = await readHostFacts()
  // listening sockets: every port on every in address (one wildcard when none), and the stats UI
  const ports = properties.ports.reduce((sum, range) => sum + range.high - range.low + 1, 0)
  const listenerSockets = ports * Math.max(properties.inAddrs.length, 1) + 1
  // two descriptors per connection HAProxy keeps beyond max_connections, two per splice pipe
  const extraDescriptors = 2 * GLOBAL_MAXCONN_HEADROOM + 2 * HAPROXY_MAXPIPES
  return computeLimits(facts, properties.maxConnections, { listenerSockets, extraDescriptors })
}
