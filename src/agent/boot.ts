/** The boot steps that read: properties from the env file and the service files, limits from the host. */
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { networkInterfaces } from 'node:os'
import { L3lbError } from '../errors.js'
import { computeLimits } from '../limits/compute.js'
import { readHostFacts } from '../limits/host.js'
import type { Limits } from '../limits/model.js'
import { parseEnvFile } from '../properties/envfile.js'
import { entryValues, formatProblems, validateEntries } from '../properties/load.js'
import type { Configuration, Properties, PropertyProblem, Service } from '../properties/model.js'
import { MAX_SERVERS, validateConfiguration } from '../properties/configuration.js'
import { isUdpMode, type ServiceFileEntries } from '../properties/service-file.js'
import type { InterfaceAddress } from '../properties/link-address.js'
import type { HostAddresses } from '../properties/validate.js'
import { GLOBAL_MAXCONN_HEADROOM } from '../render/haproxy-config.js'

export const DEFAULT_ENV_FILE = '/etc/l3lb/l3lb.env'

export interface LoadedProperties {
  readonly properties: Properties
  readonly warnings: readonly string[]
}

export interface LoadedConfiguration {
  readonly configuration: Configuration
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

/** The folder of the service files: services_dir as given (in `entries`), relative to the env file's folder; '' = services.d there. */
export function servicesFolder (envFile: string, entries: ReadonlyMap<string, string>): string {
  const given = entries.get('services_dir') ?? ''
  return resolve(dirname(envFile), given === '' ? 'services.d' : given)
}

/**
 * Reads every NAME.env file of `folder` (SPEC §11), sorted by name; other files (an editor's
 * `web.env~`, `web.env.dpkg-old`) are not service files, and a missing folder is an empty one.
 * A file that cannot be read is a problem of its own.
 */
export async function readServiceFiles (folder: string): Promise<ServiceFileEntries[]> {
  let names: string[]
  try {
    names = (await readdir(folder, { withFileTypes: true })).filter((entry) => !entry.isDirectory() && entry.name.endsWith('.env')).map((entry) => entry.name).sort()
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new L3lbError('L3LB_ENV_FILE_UNREADABLE', `could not read the service files in ${folder}: ${(cause as Error).message}`, { cause })
  }
  const files: ServiceFileEntries[] = []
  for (const name of names) {
    const file = join(folder, name)
    const service = name.slice(0, -'.env'.length)
    try {
      const parsed = parseEnvFile(await readFile(file, 'utf8'))
      files.push({ name: service, file, entries: entryValues(parsed), lineProblems: parsed.problems })
    } catch (cause) {
      files.push({ name: service, file, entries: new Map(), lineProblems: [{ property: 'file', value: file, message: `could not read ${file}: ${(cause as Error).message}` }] })
    }
  }
  return files
}

/**
 * Validates the env file's entries and the service files together; every problem of every
 * file is reported in one error, each naming its file (`source` names where the env file's
 * entries came from: the file, or the active node's settings).
 */
export function configurationFrom (entries: ReadonlyMap<string, string>, lineProblems: readonly PropertyProblem[], source: string, serviceFiles: readonly ServiceFileEntries[]): LoadedConfiguration {
  const result = validateConfiguration({ file: source, entries, lineProblems }, serviceFiles, hostAddresses)
  if (!result.ok) {
    const count = result.problems.length
    // the env file's problems as the seed printed them; a service file's each name their file
    const lines = result.problems.map((problem) => problem.file === source ? { ...problem, file: undefined } : problem)
    const where = lines.some((problem) => problem.file !== undefined) ? `${source} and its service files` : source
    throw new L3lbError('L3LB_PROPERTIES_INVALID', `${where}: ${count} invalid ${count === 1 ? 'property' : 'properties'}:\n${formatProblems(lines)}`)
  }
  return { configuration: result.configuration, warnings: result.warnings }
}

/** Reads and validates the env file and its service files together. */
export async function readConfiguration (envFile: string): Promise<LoadedConfiguration> {
  const { entries, problems } = await readEnvEntries(envFile)
  const serviceFiles = await readServiceFiles(servicesFolder(envFile, entries))
  return configurationFrom(entries, problems, envFile, serviceFiles)
}

/** Reads and validates the env file; every problem in it is reported in one error. */
export async function readProperties (file: string): Promise<LoadedProperties> {
  const { entries, problems } = await readEnvEntries(file)
  return propertiesFrom(entries, problems, file)
}

/** The limits for these properties, and the services of the service files, on this host. */
export async function limitsFor (properties: Properties, services: readonly Service[] = []): Promise<Limits> {
  const facts = await readHostFacts()
  // listening sockets: every port on every in address (one wildcard when none), of every TCP service, and the stats UI
  const sockets = (ports: Properties['ports'], inAddrs: readonly string[]): number => ports.reduce((sum, range) => sum + range.high - range.low + 1, 0) * Math.max(inAddrs.length, 1)
  const tcpServices = services.filter((service) => service.name !== 'default' && !isUdpMode(service.mode))
  const listenerSockets = sockets(properties.ports, properties.inAddrs) + 1 + tcpServices.reduce((sum, service) => sum + sockets(service.ports, service.inAddrs), 0)
  // a checked server holds a descriptor for its check: the seed's eight outputs, and with TCP service files as many as a
  // node may have, so a server the management API adds at run time finds its descriptor, and the limits (a reload) stay
  const checkedServers = properties.outputs.length + (tcpServices.length === 0 ? 0 : MAX_SERVERS)
  // two descriptors per connection HAProxy keeps beyond max_connections (the limits add the pipes)
  const extraDescriptors = 2 * GLOBAL_MAXCONN_HEADROOM
  return computeLimits(facts, properties.maxConnections, { listenerSockets, checkedServers, extraDescriptors })
}
