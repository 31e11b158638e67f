import { OUTPUT_NAMES, type HaSettings, type HealthCheck, type MailSettings, type Output, type PortRange, type Properties, type PropertiesResult, type PropertyProblem, type ServiceSettings } from './model.js'
import { PROPERTY_DEFAULTS, PROPERTY_NAMES, PROPERTY_SCHEMAS, SECRET_PROPERTIES, isSpecificAddress, type ParsedProperties, type PropertyName } from './schema.js'
import { firstSharedPort } from './ports.js'
import { isIP, isIPv4 } from 'node:net'
import { listenAddressesOverlap } from './addresses.js'
import { canonicalAddress } from './canonical-address.js'
import { ownLinkAddress, type InterfaceAddress } from './link-address.js'
import { CHECK_PROPERTIES, healthCheckOf, unusedCheckWarnings, type CheckFields } from './health-check.js'

const KNOWN_NAMES: ReadonlySet<string> = new Set(PROPERTY_NAMES)
const SUGGESTION_DISTANCE = 2
const ADVISED_CONN_TIMEOUT = 20
// conn_timeout is not here: in udp_roundrobin it bounds the ICMP check's wait (agent/output-checks.ts)
const TCP_ONLY: readonly PropertyName[] = ['max_connections', 'client_timeout', 'server_timeout']
const MAIL_ONLY: readonly PropertyName[] = ['mail_from', 'mail_server', 'mail_hold']

/** What validation reads of the host: the addresses of an interface (ha_interface), as os.networkInterfaces() lists them. */
export interface HostAddresses {
  interfaceAddresses (name: string): readonly InterfaceAddress[]
}

/** A host with no interface: node addresses are never derived from it. */
export const NO_HOST_ADDRESSES: HostAddresses = { interfaceAddresses: () => [] }

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
export function validateProperties (entries: ReadonlyMap<string, string>, host: HostAddresses = NO_HOST_ADDRESSES): PropertiesResult {
  const derived = haNodeDefaults(entries, host)
  const given = (name: PropertyName): string => entries.get(name) ?? derived.values.get(name) ?? PROPERTY_DEFAULTS[name]
  const problems: PropertyProblem[] = [...unknownNameProblems(entries), ...derived.problems]
  const parsed: Partial<ParsedProperties> = {}
  for (const name of PROPERTY_NAMES) {
    const result = PROPERTY_SCHEMAS[name].safeParse(given(name))
    if (result.success) {
      Object.assign(parsed, { [name]: result.data })
    } else {
      for (const issue of result.error.issues) problems.push(problem(name, given(name), issue.message))
    }
  }
  const check = checkOf(parsed, given)
  problems.push(...check.problems)
  problems.push(...backupProblems(parsed, given('backup_outputs')), ...credentialPairProblems(parsed), ...listenerProblems(parsed, given), ...udpOutputProblems(parsed), ...haProblems(parsed, given, (name) => entries.has(name) || derived.values.has(name)))
  if (problems.length > 0) return { ok: false, problems }
  const fields = parsed as ParsedProperties
  const properties = deepFreeze(toProperties(fields, check.check))
  const warnings = [...warningsFor(properties, entries), ...unusedCheckWarnings(check.check, (name) => entries.has(name))]
  return { ok: true, properties, warnings: Object.freeze(warnings) }
}

/** (SPEC §14) The env file's check, once the mode and every check property parsed; their problems otherwise come from the schemas. */
function checkOf (parsed: Partial<ParsedProperties>, given: (name: PropertyName) => string): { readonly check: HealthCheck | null, readonly problems: PropertyProblem[] } {
  const { mode } = parsed
  if (mode === undefined || CHECK_PROPERTIES.some((name) => parsed[name] === undefined)) return { check: null, problems: [] }
  // every UDP mode's name starts so; the agent, not HAProxy, checks them
  const result = healthCheckOf(mode, mode.startsWith('udp_'), parsed as CheckFields, given)
  return { check: result.check, problems: result.problems.map(({ property, message }) => problem(property, given(property), message)) }
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

/**
 * (HA) ctl_addr and peer_addr the env file leaves out: this node's own address on
 * ha_interface, the one keepalived sends from and the peer names in its ha_peer, so a pair
 * needs only ha_vip, ha_interface and ha_peer. A problem when one is needed and there is none.
 */
function haNodeDefaults (entries: ReadonlyMap<string, string>, host: HostAddresses): { values: ReadonlyMap<PropertyName, string>, problems: PropertyProblem[] } {
  const none = { values: new Map<PropertyName, string>(), problems: [] }
  const missing = (['ctl_addr', 'peer_addr'] as const).filter((name) => !entries.has(name))
  if (missing.length === 0) return none
  const text = (name: PropertyName): string => entries.get(name) ?? PROPERTY_DEFAULTS[name]
  const vip = PROPERTY_SCHEMAS.ha_vip.safeParse(text('ha_vip')).data ?? []
  const iface = PROPERTY_SCHEMAS.ha_interface.safeParse(text('ha_interface')).data ?? ''
  const peer = PROPERTY_SCHEMAS.ha_peer.safeParse(text('ha_peer')).data ?? ''
  const outVip = PROPERTY_SCHEMAS.ha_out_vip.safeParse(text('ha_out_vip')).data ?? []
  const mode = PROPERTY_SCHEMAS.mode.safeParse(text('mode')).data
  // an HA property that is itself wrong or missing has its own problem already
  if (vip.length === 0 || iface === '' || peer === '') return none
  const address = ownLinkAddress({ peer, virtualAddresses: vip, outputVirtualAddresses: outVip }, host.interfaceAddresses(iface))
  if (address !== null) return { values: new Map(missing.map((name) => [name, address])), problems: [] }
  // peer_addr only matters where HAProxy's peers listener exists: tcp_source
  const needed = missing.filter((name) => name === 'ctl_addr' || mode === 'tcp_source')
  const family = isIPv4(peer) ? 'IPv4' : 'IPv6'
  return {
    values: new Map(),
    problems: needed.map((name) => problem(name, '', `"" is not accepted: ${name} is not given, so with ha_vip it is this node's own address on ha_interface ${JSON.stringify(iface)}, but that interface has no ${family} address (ha_peer's family) that is neither virtual nor link-local; give ${name} this node's address on the link, or put one on ${iface}`))
  }
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
      addresses: parsed.in_addr.length === 0 ? [null] : inAddresses(parsed.in_addr, parsed.ha_vip ?? []),
      ports: parsed.ports.ranges,
      protocol: parsed.mode === 'udp_roundrobin' ? 'udp' : 'tcp'
    })
  }
  return listeners
}

function toProperties (fields: ParsedProperties, check: HealthCheck | null): Properties {
  const outputs: Output[] = OUTPUT_NAMES.flatMap((name, index) => fields[name] === ''
    ? []
    : [{ name, index: index + 1, address: fields[name], backup: fields.backup_outputs.includes(name) }])
  return {
    mode: fields.mode,
    ...serviceSettingsOf(fields, fields.ha_vip, check),
    outputs,
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
    ha: haSettings(fields),
    mail: mailSettings(fields),
    servicesDir: fields.services_dir
  }
}

/** The parsed properties a service's settings come from. */
export type ServiceFields = Pick<ParsedProperties, 'ports' | 'max_connections' | 'healthcheck_interval' | 'healthcheck_rise' | 'healthcheck_fall' | 'client_timeout' | 'server_timeout' | 'conn_timeout' | 'tcp_splice' | 'in_addr' | 'udp_snat' | 'healthcheck_port'>

/**
 * A service's settings from its parsed properties, the env file's or a service file's; `virtual`
 * (ha_vip) joins a non-empty in_addr. `check` (health-check.ts) is left out when it is the mode's default.
 */
export function serviceSettingsOf (fields: ServiceFields, virtual: readonly string[], check: HealthCheck | null = null): ServiceSettings {
  return {
    ports: fields.ports.ranges,
    healthcheckPort: fields.healthcheck_port ?? fields.ports.first,
    maxConnections: fields.max_connections,
    healthcheckInterval: fields.healthcheck_interval,
    healthcheckRise: fields.healthcheck_rise,
    healthcheckFall: fields.healthcheck_fall,
    clientTimeout: fields.client_timeout,
    serverTimeout: fields.server_timeout,
    connTimeout: fields.conn_timeout,
    tcpSplice: fields.tcp_splice,
    inAddrs: fields.in_addr.length === 0 ? [] : inAddresses(fields.in_addr, virtual),
    udpSnat: fields.udp_snat,
    // absent, not undefined: a service without one is the seed's, key for key
    ...(check === null ? {} : { healthcheck: check })
  }
}

function mailSettings (fields: ParsedProperties): MailSettings | null {
  if (fields.mail_to.length === 0) return null
  return { to: fields.mail_to, from: fields.mail_from, server: fields.mail_server, holdSeconds: fields.mail_hold }
}

function haSettings (fields: ParsedProperties): HaSettings | null {
  if (fields.ha_vip.length === 0) return null
  return {
    virtualAddresses: fields.ha_vip,
    interface: fields.ha_interface,
    peer: fields.ha_peer,
    priority: fields.ha_priority,
    preempt: fields.ha_preempt,
    routerId: fields.ha_router_id,
    outputVirtualAddresses: fields.ha_out_vip,
    outputInterface: fields.ha_out_interface
  }
}

// The standby binds the virtual addresses too, so an `in` listener limited to some addresses also takes them.
function inAddresses (inAddrs: readonly string[], virtual: readonly string[]): readonly string[] {
  const seen = new Set(inAddrs.map((address) => canonicalAddress(address) ?? address))
  return [...inAddrs, ...virtual.filter((address) => !seen.has(canonicalAddress(address) ?? address))]
}

// HA needs its three names together, VRRP a virtual address of the peer's family, and the
// shared stick table a peers listener the other node can reach.
function haProblems (parsed: Partial<ParsedProperties>, given: (name: PropertyName) => string, chosen: (name: PropertyName) => boolean): PropertyProblem[] {
  const { ha_vip: vip, ha_interface: iface, ha_peer: peer } = parsed
  if (vip === undefined || iface === undefined || peer === undefined) return []
  if (vip.length === 0) {
    const set = (['ha_interface', 'ha_peer', 'ha_out_vip', 'ha_out_interface'] as const).filter((name) => parsed[name] !== '' && parsed[name]?.length !== 0)
    return set.length === 0 ? [] : [problem('ha_vip', '', `"" is not accepted: ${set.join(' and ')} ${set.length === 1 ? 'is' : 'are'} set, so ha_vip must give the virtual address(es) of the in terminal (leave every ha_ property empty for no high availability)`)]
  }
  const problems: PropertyProblem[] = []
  // a default that could not be derived has its own problem (haNodeDefaults)
  if (parsed.ctl_addr !== undefined && isLoopback(parsed.ctl_addr) && chosen('ctl_addr')) {
    problems.push(problem('ctl_addr', given('ctl_addr'), `${JSON.stringify(given('ctl_addr'))} is not accepted: with ha_vip, the peer node sends its ctl admin state to this node's ctl service at ha_peer's address and the same ctl_port, so ctl_addr must be this node's own address on the link (the one the peer names in its ha_peer) or 0.0.0.0 / ::, not loopback`))
  }
  if (parsed.ctl_token === '') {
    problems.push(problem('ctl_token', '', `"" is not accepted: with ha_vip the ctl service listens on the network (ctl_addr ${JSON.stringify(given('ctl_addr'))}, port ${given('ctl_port')}) and carries the pair's settings and admin state, so ctl_token must be set, the same on both nodes; make one with  od -An -tx1 -N24 /dev/urandom | tr -d ' \\n'  and put ctl_token=<it> in both env files`))
  }
  if (iface === '') problems.push(problem('ha_interface', '', '"" is not accepted: ha_vip is set, so ha_interface must name the interface VRRP runs on (the link to the peer and the clients)'))
  if (peer === '') problems.push(problem('ha_peer', '', '"" is not accepted: ha_vip is set, so ha_peer must give the other node\'s address on the VRRP link'))
  if (peer === '') return problems
  const family = isIPv4(peer) ? 4 : 6
  if (!vip.some((address) => (isIPv4(address) ? 4 : 6) === family)) {
    problems.push(problem('ha_vip', given('ha_vip'), `${JSON.stringify(given('ha_vip'))} is not accepted: VRRP runs in the family of ha_peer (IPv${family}), so at least one virtual address must be IPv${family}`))
  }
  if (vip.some((address) => sameAddress(address, peer))) {
    problems.push(problem('ha_peer', given('ha_peer'), `${JSON.stringify(given('ha_peer'))} is not accepted: it is one of the virtual addresses (ha_vip); give the peer node's own address`))
  }
  problems.push(...outputSideProblems(parsed, given))
  if (parsed.mode === 'tcp_source' && parsed.peer_addr !== undefined && chosen('peer_addr')) {
    const local = parsed.peer_addr
    const reason = !isSpecificAddress(local)
      ? 'the peer node must reach this one\'s peers listener, so give this node\'s own address on the link (not unspecified or loopback)'
      : (isIPv4(local) ? 4 : 6) !== family
          ? `it must be of the family of ha_peer (IPv${family}): the two nodes' peers listeners talk to each other`
          : sameAddress(local, peer) || vip.some((address) => sameAddress(address, local))
            ? 'it must be this node\'s own address, not ha_peer nor a virtual address (the listener must not move)'
            : null
    if (reason !== null) problems.push(problem('peer_addr', given('peer_addr'), `${JSON.stringify(given('peer_addr'))} is not accepted: with ha_vip in tcp_source, ${reason}`))
  }
  return problems
}

// The outputs' side virtual addresses come with their interface, and are none of the other addresses of the pair.
function outputSideProblems (parsed: Partial<ParsedProperties>, given: (name: PropertyName) => string): PropertyProblem[] {
  const { ha_out_vip: outVip, ha_out_interface: outIface, ha_vip: vip = [], ha_peer: peer = '' } = parsed
  if (outVip === undefined || outIface === undefined) return []
  if (outVip.length === 0) {
    return outIface === '' ? [] : [problem('ha_out_interface', outIface, `${JSON.stringify(outIface)} is not accepted: ha_out_vip is empty, so there is no virtual address to put on it (leave ha_out_interface empty, or set ha_out_vip)`)]
  }
  const problems: PropertyProblem[] = []
  if (outIface === '') problems.push(problem('ha_out_interface', '', '"" is not accepted: ha_out_vip is set, so ha_out_interface must name the interface towards the outputs, where those addresses are put'))
  const clash = outVip.find((address) => sameAddress(address, peer) || vip.some((other) => sameAddress(other, address)))
  if (clash !== undefined) {
    problems.push(problem('ha_out_vip', given('ha_out_vip'), `${JSON.stringify(given('ha_out_vip'))} is not accepted: ${clash} is also in ha_vip or is ha_peer; give addresses of the outputs' side that only this pair uses`))
  }
  return problems
}

function isLoopback (address: string): boolean {
  const canonical = canonicalAddress(address) ?? address
  return canonical === '::1' || canonical === 'localhost' || (isIPv4(canonical) && canonical.startsWith('127.'))
}

function sameAddress (a: string, b: string): boolean {
  return (canonicalAddress(a) ?? a) === (canonicalAddress(b) ?? b)
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
    const checks = mode === 'udp_roundrobin' ? 'an ICMP check waits at most that long for its answer, so under load it' : 'health checks under load'
    warnings.push(`conn_timeout: "${connTimeout}" is accepted, but below ${ADVISED_CONN_TIMEOUT} seconds ${checks} can mark healthy outputs down`)
  }
  if (outputs.length === 0) {
    warnings.push('out1..out8: no output is connected, so no client connection can be served')
  } else if (outputs.every((output) => output.backup)) {
    warnings.push(`backup_outputs: every connected output (${outputs.map((output) => output.name).join(', ')}) is a backup, so the backups get all traffic`)
  }
  if (properties.mail === null) {
    for (const name of MAIL_ONLY.filter((known) => entries.has(known))) {
      warnings.push(`${name}: has no effect while mail_to is empty (no e-mail notices are sent)`)
    }
  }
  if (mode === 'udp_roundrobin') {
    for (const name of TCP_ONLY.filter((known) => entries.has(known))) {
      warnings.push(`${name}: has no effect in udp_roundrobin; it applies to the TCP modes only`)
    }
  }
  // conntrackd carries each flow's translation to the peer, but a reply sent to the failed node's own address is lost
  if (mode === 'udp_roundrobin' && properties.ha !== null && properties.ha.outputVirtualAddresses.length === 0) {
    warnings.push(`ha_out_vip: empty, so after a failover the replies of the UDP flows carried over go to the failed node (${properties.udpSnat ? 'udp_snat=on masquerades to this node\'s own address' : 'the outputs\' gateway does not move'}); set ha_out_vip and ha_out_interface to keep them (docs/ha.md)`)
  }
  return warnings
}

/** Frozen all the way down, so no later step can change what was validated. */
export function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
