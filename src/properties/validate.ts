import { OUTPUT_NAMES, type Output, type PortRange, type Properties, type PropertiesResult, type PropertyProblem } from './model.js'
import { PROPERTY_DEFAULTS, PROPERTY_NAMES, PROPERTY_SCHEMAS, SECRET_PROPERTIES, type ParsedProperties, type PropertyName } from './schema.js'
import { firstSharedPort } from './ports.js'
import { isIP } from 'node:net'
import { listenAddressesOverlap } from './addresses.js'

const KNOWN_NAMES: ReadonlySet<string> = new Set(PROPERTY_NAMES)
const SUGGESTION_DISTANCE = 2
const ADVISED_CONN_TIMEOUT = 20
const TCP_ONLY: readonly PropertyName[] = ['max_connections', 'client_timeout', 'server_timeout', 'conn_timeout']

/** A socket the appliance listens on, as the overlap check sees it. */
interface Listener {
  readonly name: string
  readonly addressProperty: PropertyName
  readonly portProperty: PropertyName
  /** null = every address. */
  readonly addresses: readonly (string | null)[]
  readonly ports: readonly PortRange[]
  readonly protocol: 'tcp' | 'udp'
}

/**
 * Validates property values by name (absent names take their defaults, SPEC §3). Every
 * problem is reported together: unknown names (with the closest known name), values that
 * are not accepted, and rules across properties (backup outputs, UI credentials,
 * listeners sharing a port). On success the properties are deeply frozen.
 */
export function validateProperties (entries: ReadonlyMap<string, string>): PropertiesResult {
  const given = (name: PropertyName): string => entries.get(name) ?? PROPERTY_DEFAULTS[name]
  const problems: PropertyProblem[] = unknownNameProblems(entries)
  const parsed: Partial<ParsedProperties> = {}
  for (const name of PROPERTY_NAMES) {
    const result = PROPERTY_SCHEMAS[name].safeParse(given(name))
    if (result.success) {
      Object.assign(parsed, { [name]: result.data })
    } else {
      for (const issue of result.error.issues) problems.push(problem(name, given(name), issue.message))
    }
  }
  problems.push(...backupProblems(parsed, given('backup_outputs')), ...credentialPairProblems(parsed), ...listenerProblems(parsed, given), ...udpOutputProblems(parsed))
  if (problems.length > 0) return { ok: false, problems }
  const fields = parsed as ParsedProperties
  const properties = deepFreeze(toProperties(fields))
  return { ok: true, properties, warnings: Object.freeze(warningsFor(properties, entries)) }
}

function problem (property: string, value: string, message: string): PropertyProblem {
  return { property, value: SECRET_PROPERTIES.has(property) ? '(hidden)' : value, message }
}

function unknownNameProblems (entries: ReadonlyMap<string, string>): PropertyProblem[] {
  return [...entries].filter(([name]) => !KNOWN_NAMES.has(name)).map(([name, value]) => {
    const suggestion = closestKnownName(name)
    const hint = suggestion === null ? 'see docs/properties.md for the known names' : `did you mean ${suggestion}?`
    const shown = suggestion !== null && SECRET_PROPERTIES.has(suggestion) ? '(hidden)' : value
    return { property: name, value: shown, message: `${JSON.stringify(name)} is not a known property: ${hint}` }
  })
}

function closestKnownName (name: string): string | null {
  let best: { name: string, distance: number } | null = null
  for (const known of PROPERTY_NAMES) {
    const distance = editDistance(name.toLowerCase(), known)
    if (distance <= SUGGESTION_DISTANCE && (best === null || distance < best.distance)) best = { name: known, distance }
  }
  return best?.name ?? null
}

// Optimal string alignment: insertions, deletions, substitutions and swaps of neighbours cost 1.
function editDistance (a: string, b: string): number {
  const width = b.length + 1
  const table: number[] = []
  const at = (i: number, j: number): number => table[i * width + j] ?? 0
  for (let i = 0; i <= a.length; i++) {
    for (let j = 0; j <= b.length; j++) {
      let distance = Math.max(i, j)
      if (i > 0 && j > 0) {
        distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1))
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, at(i - 2, j - 2) + 1)
      }
      table[i * width + j] = distance
    }
  }
  return at(a.length, b.length)
}

// A backup must be a connected output, else the operator believes in a fallback that is not there.
function backupProblems (parsed: Partial<ParsedProperties>, value: string): PropertyProblem[] {
  return (parsed.backup_outputs ?? [])
    .filter((name) => parsed[name] === '')
    .map((name) => problem('backup_outputs', value, `${JSON.stringify(name)} is not accepted: ${name} is not connected (empty or absent); name connected outputs only`))
}

function credentialPairProblems (parsed: Partial<ParsedProperties>): PropertyProblem[] {
  const user = parsed.ui_user
  const password = parsed.ui_password
  if (user === undefined || password === undefined || (user === '') === (password === '')) return []
  const [missing, set] = user === '' ? ['ui_user', 'ui_password'] : ['ui_password', 'ui_user']
  return [problem(missing, '', `"" is not accepted: ${set} is set, so ${missing} must be set too (the stats UI uses basic auth only when both are set; leave both empty for none)`)]
}

// Two listeners may not share a port on overlapping addresses (SPEC §3, ctl_port).
function listenerProblems (parsed: Partial<ParsedProperties>, given: (name: PropertyName) => string): PropertyProblem[] {
  const listeners = collectListeners(parsed)
  const problems: PropertyProblem[] = []
  listeners.forEach((later, index) => {
    for (const earlier of listeners.slice(0, index)) {
      const port = sharedPort(earlier, later)
      if (port === null) continue
      const describe = (listener: Listener): string => {
        const address = given(listener.addressProperty)
        const every = address === '' ? ' (every address)' : ''
        return `the ${listener.name} listener (${listener.addressProperty} ${JSON.stringify(address)}${every}, ${listener.portProperty} ${JSON.stringify(given(listener.portProperty))})`
      }
      problems.push(problem(later.portProperty, given(later.portProperty),
        `${JSON.stringify(given(later.portProperty))} is not accepted: ${describe(later)} and ${describe(earlier)} both listen on port ${port} on overlapping addresses; give one of them another port or address`))
    }
  })
  return problems
}

function sharedPort (a: Listener, b: Listener): number | null {
  if (a.protocol !== b.protocol) return null
  const overlap = a.addresses.some((left) => b.addresses.some((right) => listenAddressesOverlap(left, right)))
  return overlap ? firstSharedPort(a.ports, b.ports) : null
}

// Only listeners whose properties are valid take part; the others already have their own problem.
function collectListeners (parsed: Partial<ParsedProperties>): Listener[] {
  const listeners: Listener[] = []
  const single = (name: string, address: string | undefined, port: number | undefined, addressProperty: PropertyName, portProperty: PropertyName): void => {
    if (address !== undefined && port !== undefined) {
      listeners.push({ name, addressProperty, portProperty, addresses: [address], ports: [{ low: port, high: port }], protocol: 'tcp' })
    }
  }
  single('ctl', parsed.ctl_addr, parsed.ctl_port, 'ctl_addr', 'ctl_port')
  single('ui', parsed.ui_addr, parsed.ui_port, 'ui_addr', 'ui_port')
  // HAProxy's peers listener exists only where a stick table does: tcp_source.
  if (parsed.mode === 'tcp_source') single('peer', parsed.peer_addr, parsed.peer_port, 'peer_addr', 'peer_port')
  if (parsed.mode !== undefined && parsed.in_addr !== undefined && parsed.ports !== undefined) {
    listeners.push({
      name: 'in',
      addressProperty: 'in_addr',
      portProperty: 'ports',
      addresses: parsed.in_addr.length === 0 ? [null] : parsed.in_addr,
      ports: parsed.ports.ranges,
      protocol: parsed.mode === 'udp_roundrobin' ? 'udp' : 'tcp'
    })
  }
  return listeners
}

function toProperties (fields: ParsedProperties): Properties {
  const outputs: Output[] = OUTPUT_NAMES.flatMap((name, index) => fields[name] === ''
    ? []
    : [{ name, index: index + 1, address: fields[name], backup: fields.backup_outputs.includes(name) }])
  return {
    mode: fields.mode,
    ports: fields.ports.ranges,
    healthcheckPort: fields.ports.first,
    maxConnections: fields.max_connections,
    outputs,
    healthcheckInterval: fields.healthcheck_interval,
    healthcheckRise: fields.healthcheck_rise,
    healthcheckFall: fields.healthcheck_fall,
    clientTimeout: fields.client_timeout,
    serverTimeout: fields.server_timeout,
    connTimeout: fields.conn_timeout,
    inAddrs: fields.in_addr,
    ctlAddr: fields.ctl_addr,
    ctlPort: fields.ctl_port,
    ctlToken: fields.ctl_token,
    uiAddr: fields.ui_addr,
    uiPort: fields.ui_port,
    uiUser: fields.ui_user,
    uiPassword: fields.ui_password,
    monUrl: fields.mon_url,
    monInterval: fields.mon_interval,
    peerPort: fields.peer_port,
    peerAddr: fields.peer_addr,
    udpSnat: fields.udp_snat
  }
}

// iptables DNAT takes an address, not a name: in udp_roundrobin an output must be an IP address.
function udpOutputProblems (parsed: Partial<ParsedProperties>): PropertyProblem[] {
  if (parsed.mode !== 'udp_roundrobin') return []
  return OUTPUT_NAMES.flatMap((name) => {
    const address = parsed[name]
    if (address === undefined || address === '' || isIP(address) !== 0) return []
    return [problem(name, address, `${JSON.stringify(address)} is not accepted in udp_roundrobin: give an IPv4 or IPv6 address (the kernel's DNAT rules take addresses, not host names)`)]
  })
}

function warningsFor (properties: Properties, entries: ReadonlyMap<string, string>): string[] {
  const warnings: string[] = []
  const { connTimeout, outputs, mode } = properties
  if (connTimeout < ADVISED_CONN_TIMEOUT) {
    warnings.push(`conn_timeout: "${connTimeout}" is accepted, but below ${ADVISED_CONN_TIMEOUT} seconds health checks under load can mark healthy outputs down`)
  }
  if (outputs.length === 0) {
    warnings.push('out1..out8: no output is connected, so no client connection can be served')
  } else if (outputs.every((output) => output.backup)) {
    warnings.push(`backup_outputs: every connected output (${outputs.map((output) => output.name).join(', ')}) is a backup, so the backups get all traffic`)
  }
  if (mode === 'udp_roundrobin') {
    for (const name of TCP_ONLY.filter((known) => entries.has(known))) {
      warnings.push(`${name}: has no effect in udp_roundrobin; it applies to the TCP modes only`)
    }
  }
  return warnings
}

// Frozen all the way down, so no later step can change what was validated.
function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
