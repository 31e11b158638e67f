/**
 * Pure: the env file and every service file, validated together into one frozen
 * Configuration (SPEC §11). Every problem of every file comes back at once, each naming its
 * file: the env file's own, each service file's, two services listening on the same address,
 * port and protocol (naming both), and the node's limits of services and servers.
 */
import { firstSharedPort } from './ports.js'
import { listenAddressesOverlap } from './addresses.js'
import { DEFAULT_SERVICE, type Configuration, type Properties, type PropertiesResult, type PropertyProblem, type Service } from './model.js'
import { isUdpMode, validateServiceFile, type FileEntries, type ServiceFileEntries } from './service-file.js'
import { validateEntries } from './load.js'
import { deepFreeze, NO_HOST_ADDRESSES, type HostAddresses } from './validate.js'

/** (SPEC §11, §13) What one node serves at the most. */
export const MAX_SERVICES = 256
export const MAX_SERVERS = 1000

export type ConfigurationResult =
  | { readonly ok: true, readonly configuration: Configuration, readonly warnings: readonly string[] }
  | { readonly ok: false, readonly problems: readonly PropertyProblem[] }

/** The env file's service as a Service: its outputs are its servers, named out1..out8. */
export function defaultService (properties: Properties, file: string): Service {
  const { mode, outputs, ports, healthcheckPort, maxConnections, healthcheckInterval, healthcheckRise, healthcheckFall, clientTimeout, serverTimeout, connTimeout, tcpSplice, inAddrs, udpSnat, healthcheck } = properties
  const servers = outputs.map((output) => ({ name: output.name, address: output.address, port: null, weight: 1, maxconn: null, backup: output.backup }))
  return { name: DEFAULT_SERVICE, file, mode, servers, ports, healthcheckPort, maxConnections, healthcheckInterval, healthcheckRise, healthcheckFall, clientTimeout, serverTimeout, connTimeout, tcpSplice, inAddrs, udpSnat, ...(healthcheck === undefined ? {} : { healthcheck }) }
}

/** Validates the env file and the service files (sorted by name) together. */
export function validateConfiguration (env: FileEntries, serviceFiles: readonly ServiceFileEntries[], host: HostAddresses = NO_HOST_ADDRESSES): ConfigurationResult {
  const node: PropertiesResult = validateEntries(env.entries, env.lineProblems, host)
  const problems: PropertyProblem[] = node.ok ? [] : node.problems.map((problem) => ({ ...problem, file: env.file }))
  const warnings: string[] = node.ok ? [...node.warnings] : []
  const inherited = { inAddr: env.entries.get('in_addr') ?? '', virtual: node.ok ? node.properties.ha?.virtualAddresses ?? [] : [] }
  const services: Service[] = []
  const files = [...serviceFiles].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  for (const file of files) {
    const result = validateServiceFile(file, inherited)
    if (result.ok) {
      services.push(result.service)
      warnings.push(...result.warnings)
    } else {
      problems.push(...result.problems)
    }
  }
  if (node.ok) {
    // `default` counts when it has a connected output: with none it does not listen
    if (node.properties.outputs.length > 0) services.unshift(defaultService(node.properties, env.file))
    problems.push(...overlapProblems(services, node.properties), ...limitProblems(services, files.length))
  }
  if (problems.length > 0 || !node.ok) return { ok: false, problems }
  return { ok: true, configuration: deepFreeze({ properties: node.properties, services }), warnings }
}

// Two services may not take the same address, port and protocol; one on every address overlaps any on its ports.
function overlapProblems (services: readonly Service[], properties: Properties): PropertyProblem[] {
  const problems: PropertyProblem[] = []
  const protocol = (service: Service): string => isUdpMode(service.mode) ? 'UDP' : 'TCP'
  const where = (service: Service): string => service.inAddrs.length === 0 ? 'every address' : service.inAddrs.join(', ')
  const pairs = portSharingPairs(services)
  let next = 0
  services.forEach((later, index) => {
    for (; next < pairs.length && pairs[next]![1] === index; next++) {
      const earlier = services[pairs[next]![0]]!
      if (protocol(earlier) !== protocol(later)) continue
      const addresses = (service: Service): ReadonlyArray<string | null> => service.inAddrs.length === 0 ? [null] : service.inAddrs
      if (!addresses(earlier).some((left) => addresses(later).some((right) => listenAddressesOverlap(left, right)))) continue
      const port = firstSharedPort(earlier.ports, later.ports)
      if (port === null) continue
      problems.push({
        property: 'ports',
        value: '',
        file: later.file,
        message: `service ${later.name} (${where(later)}) and service ${earlier.name} (${earlier.file}: ${where(earlier)}) both listen on ${protocol(later)} port ${port} on overlapping addresses; give one of them other ports or an in_addr of its own`
      })
    }
    // the node's own TCP listeners (ctl, ui, peer) against a TCP service
    if (protocol(later) === 'UDP' || later.name === DEFAULT_SERVICE) return
    const own: Array<{ name: string, address: string, port: number }> = [
      { name: 'ctl', address: properties.ctlAddr, port: properties.ctlPort },
      { name: 'ui', address: properties.uiAddr, port: properties.uiPort },
      ...(properties.mode === 'tcp_source' ? [{ name: 'peer', address: properties.peerAddr, port: properties.peerPort }] : [])
    ]
    for (const listener of own) {
      const hit = (later.inAddrs.length === 0 ? [null] : later.inAddrs).some((address) => listenAddressesOverlap(address, listener.address))
      if (hit && firstSharedPort(later.ports, [{ low: listener.port, high: listener.port }]) !== null) {
        problems.push({ property: 'ports', value: '', file: later.file, message: `service ${later.name} (${where(later)}) and the ${listener.name} listener (${listener.address}:${listener.port}) both listen on TCP port ${listener.port}; give the service other ports or an in_addr of its own` })
      }
    }
  })
  return problems
}

/**
 * The pairs of services [earlier, later] (by index) with a port range of the same protocol
 * in common, sorted by later then earlier: a sweep over the ranges by their first port, not
 * every pair (256 services are 32,640 pairs: 11 ms of every validation, twice per API call).
 */
export function portSharingPairs (services: readonly Pick<Service, 'mode' | 'ports'>[]): Array<readonly [number, number]> {
  const ranges = services.flatMap((service, index) => service.ports.map((range) => ({ index, low: range.low, high: range.high, udp: isUdpMode(service.mode) })))
  ranges.sort((a, b) => a.low - b.low)
  const pairs = new Set<number>()
  let open: typeof ranges = []
  for (const range of ranges) {
    open = open.filter((other) => other.high >= range.low)
    for (const other of open) {
      if (other.udp !== range.udp || other.index === range.index) continue
      pairs.add(Math.min(other.index, range.index) * services.length + Math.max(other.index, range.index))
    }
    open.push(range)
  }
  return [...pairs]
    .map((key) => [Math.floor(key / services.length), key % services.length] as const)
    .sort((a, b) => a[1] - b[1] || a[0] - b[0])
}

function limitProblems (services: readonly Service[], files: number): PropertyProblem[] {
  const problems: PropertyProblem[] = []
  if (services.length > MAX_SERVICES) {
    problems.push({ property: 'services', value: String(services.length), message: `${services.length} services are not accepted: a node serves at most ${MAX_SERVICES} (the ${files} service files, and default when it has a connected output); remove some or move them to another node` })
  }
  const servers = services.reduce((sum, service) => sum + service.servers.length, 0)
  if (servers > MAX_SERVERS) {
    problems.push({ property: 'servers', value: String(servers), message: `${servers} servers are not accepted: a node serves at most ${MAX_SERVERS} in all its services; remove some or move services to another node` })
  }
  return problems
}

/** The services of the service files: every one but the env file's own. */
export function fileServices (configuration: Configuration): readonly Service[] {
  return configuration.services.filter((service) => service.name !== DEFAULT_SERVICE)
}
