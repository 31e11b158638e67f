/** The boot steps that read: properties from the env file, limits from the host. */
import { readFile } from 'node:fs/promises'
import { networkInterfaces } from 'node:os'
import { L3lbError } from '../errors.js'
import { computeLimits } from '../limits/compute.js'
import { readHostFacts } from '../limits/host.js'
import type { Limits } from '../limits/model.js'
import { parseEnvFile } from '../properties/envfile.js'
import { entryValues, formatProblems, validateEntries } from '../properties/load.js'
import type { Properties, PropertyProblem } from '../properties/model.js'
import type { InterfaceAddress } from '../properties/link-address.js'
import type { HostAddresses } from '../properties/validate.js'
import { GLOBAL_MAXCONN_HEADROOM } from '../render/haproxy-config.js'

export const DEFAULT_ENV_FILE = '/etc/l3lb/l3lb.env'

export interface LoadedProperties {
  readonly properties: Properties
  readonly warnings: readonly string[]
}

/** An env file's entries (name -> value as given) and the problems of its lines. */
export interface EnvEntries {
  readonly entries: ReadonlyMap<string, string>
  readonly problems: readonly PropertyProblem[]
}

/** Reads the env file's lines; throws only when the file cannot be read. */
export async function readEnvEntries (file: string): Promise<EnvEntries> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new L3lbError('L3LB_ENV_FILE_UNREADABLE', `could not read the properties file ${file}: ${(cause as Error).message}`, { cause })
  }
  const parsed = parseEnvFile(text)
  return { entries: entryValues(parsed), problems: parsed.problems }
}

/** This host's interfaces as they are now: where an HA node's own address on ha_interface comes from. */
export const hostAddresses: HostAddresses = {
  interfaceAddresses: (name) => (networkInterfaces()[name] ?? []) as InterfaceAddress[]
}

/** Validates entries; every problem, the lines' and the values', is reported in one error naming `source`. */
export function propertiesFrom (entries: ReadonlyMap<string, string>, lineProblems: readonly PropertyProblem[], source: string): LoadedProperties {
  const result = validateEntries(entries, lineProblems, hostAddresses)
  if (!result.ok) {
    const count = result.problems.length
    throw new L3lbError('L3LB_PROPERTIES_INVALID', `${source}: ${count} invalid ${count === 1 ? 'property' : 'properties'}:\n${formatProblems(result.problems)}`)
  }
  return { properties: result.properties, warnings: result.warnings }
}

/** Reads and validates the env file; every problem in it is reported in one error. */
export async function readProperties (file: string): Promise<LoadedProperties> {
  const { entries, problems } = await readEnvEntries(file)
  return propertiesFrom(entries, problems, file)
}

/** The limits for these properties on this host. */
export async function limitsFor (properties: Properties): Promise<Limits> {
  const facts = await readHostFacts()
  // listening sockets: every port on every in address (one wildcard when none), and the stats UI
  const ports = properties.ports.reduce((sum, range) => sum + range.high - range.low + 1, 0)
  const listenerSockets = ports * Math.max(properties.inAddrs.length, 1) + 1
  // two descriptors per connection HAProxy keeps beyond max_connections (the limits add the pipes)
  const extraDescriptors = 2 * GLOBAL_MAXCONN_HEADROOM
  return computeLimits(facts, properties.maxConnections, { listenerSockets, extraDescriptors })
}
