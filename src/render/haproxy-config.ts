/** Pure: the desired state to haproxy.cfg text (TCP modes). */
import type { HealthCheck, Properties, Server, Service } from '../properties/model.js'
import { isUdpMode } from '../properties/service-file.js'
import type { DesiredState } from '../state/desired.js'
import { serviceOfKey } from '../state/server-key.js'
import { haproxyAddress, portRangeText } from './addresses.js'
import { template } from './templates.js'

/** The name HAProxy is started with (`-L`), which names the local peer. */
export const LOCAL_PEER_NAME = 'l3lb'

/** The peers section that holds the tcp_source stick table. */
export const PEERS_SECTION = 'l3lb_peers'

/**
 * The peer name of a node of an HA pair, made from its peers address so that both nodes
 * name each other alike (HAProxy's peer handshake compares the names).
 */
export function haPeerName (address: string): string {
  return `l3lb_${address.toLowerCase().replace(/[^a-z0-9]/g, '_')}`
}

/**
 * The name HAProxy is started with (`-L`) for these properties: in a pair the node's peers
 * address, whatever the modes (a service file's tcp_source shares its table with the peer too),
 * so adding or removing a service never needs a restart of HAProxy for its name.
 */
export function localPeerName (properties: Properties): string {
  return properties.ha !== null ? haPeerName(properties.peerAddr) : LOCAL_PEER_NAME
}

/** The userlist that guards the stats UI and /metrics when ui_user and ui_password are set. */
export const UI_USERLIST = 'l3lb_ui'

/** Connections kept for the stats UI, the stats socket and the peers beside `maxconn` of `in`. */
export const GLOBAL_MAXCONN_HEADROOM = 100

/** Connections that may wait in the kernel's accept queue once `max_connections` are active. */
export const LISTEN_BACKLOG = 4096

/** One server line of a service file's backend. */
export interface ServerView {
  readonly name: string
  /** `address` or `address:port`, IPv6 in brackets. */
  readonly target: string
  /** The options after the address: weight, maxconn, backup. */
  readonly options: string
}

/** (SPEC §11) One TCP service of the service files: its frontend and backend, both named after it. */
export interface ServiceView {
  readonly name: string
  readonly mode: string
  readonly file: string
  readonly binds: readonly string[]
  readonly maxConnections: number
  readonly balance: 'roundrobin' | 'leastconn'
  readonly clientTimeout: number
  readonly serverTimeout: number
  readonly connTimeout: number
  /** `option splice-response` or its `no`, when tcp_splice differs from the defaults section's (the env file's service). */
  readonly spliceLine: string | null
  readonly stickTable: { readonly size: string, readonly expire: string } | null
  readonly healthCheck: HaproxyConfigView['healthCheck']
  readonly servers: readonly ServerView[]
}

/** What templates/haproxy.cfg.hbs is filled with. */
export interface HaproxyConfigView {
  readonly mode: string
  /** The env file's service has a frontend and backend: a TCP mode with a connected output (SPEC §11). */
  readonly seed: boolean
  readonly outputCount: number
  readonly globalMaxconn: number
  readonly maxConnections: number
  readonly backlog: number
  readonly nbthread: number
  /** tcp_splice of the env file's service (the defaults section): responses spliced kernel to kernel. */
  readonly splice: boolean
  /** Some service splices: at most `maxpipes` pipes. */
  readonly pipes: boolean
  readonly maxpipes: number
  readonly statsSocket: string
  readonly serverStateFile: string
  readonly hardStopAfter: string
  readonly connTimeout: number
  readonly clientTimeout: number
  readonly serverTimeout: number
  readonly peers: {
    readonly section: string
    readonly localName: string
    readonly address: string
    readonly port: number
    /** The other node of an HA pair, which shares the table; null without HA. */
    readonly remote: { readonly name: string, readonly address: string, readonly port: number } | null
  } | null
  readonly binds: readonly string[]
  readonly stickTable: { readonly size: string, readonly expire: string } | null
  /** `lines`: the backend's own check lines (SPEC §14: option httpchk, tcp-check), empty for a TCP connect. */
  readonly healthCheck: { readonly port: number, readonly interval: number, readonly rise: number, readonly fall: number, readonly lines: readonly string[] } | null
  /** `id` is set with HA: both nodes must give an output the same id for the shared table to mean the same output. */
  readonly servers: ReadonlyArray<{ readonly name: string, readonly address: string, readonly backup: boolean, readonly disabled: boolean, readonly id: number | null }>
  readonly ui: { readonly bind: string, readonly auth: { readonly userlist: string, readonly user: string, readonly password: string } | null }
  /** Each TCP service file's frontend and backend, rendered apart (templates/haproxy-service.hbs). */
  readonly serviceSections: readonly string[]
}

/**
 * Whether haproxy.cfg has the env file's service (`frontend in`, `backend outputs`): a TCP
 * mode with a connected output, or with no service file beside it, as the seed always had.
 * (SPEC §11: with no output connected it does not listen, so a service file may take its ports.)
 */
export function seedInConfig (state: DesiredState): boolean {
  const { properties: p } = state
  return p.mode !== 'udp_roundrobin' && (p.outputs.length > 0 || !state.services.some((service) => !isUdpMode(service.mode)))
}

/** The view of the desired state that the template needs. */
export function haproxyConfigView (state: DesiredState): HaproxyConfigView {
  return configView(state).view
}

// the view, and each service file's section as the cache holds it (its text, its bytes once asked for)
function configView (state: DesiredState): { readonly view: HaproxyConfigView, readonly sections: readonly SectionEntry[] } {
  const { properties: p, limits, paths } = state
  const services = state.services.filter((service) => !isUdpMode(service.mode))
  const seed = seedInConfig(state)
  const sourceAffinity = (seed && p.mode === 'tcp_source') || services.some((service) => service.mode === 'tcp_source')
  // with service files, every frontend may take what memory and descriptors allow; the env file's max_connections is its own
  const nodeMaxConnections = Math.min(limits.memoryMaxConnections, limits.descriptorMaxConnections)
  const disabledIn = disabledByService(state.disabled)
  const sections = services.map((service) => serviceSection(service, { splice: p.tcpSplice, maxConnections: nodeMaxConnections }, disabledIn.get(service.name) ?? NONE_DISABLED, sourceAffinity ? PEERS_SECTION : null))
  const view: HaproxyConfigView = {
    mode: p.mode,
    seed,
    outputCount: p.outputs.length,
    globalMaxconn: (services.length === 0 ? limits.maxConnections : Math.max(limits.maxConnections, nodeMaxConnections)) + GLOBAL_MAXCONN_HEADROOM,
    maxConnections: limits.maxConnections,
    backlog: LISTEN_BACKLOG,
    nbthread: limits.nbthread,
    splice: p.tcpSplice,
    pipes: p.tcpSplice || services.some((service) => service.tcpSplice),
    maxpipes: limits.maxPipes,
    statsSocket: paths.statsSocket,
    serverStateFile: paths.serverStateFile,
    hardStopAfter: '30m',
    connTimeout: p.connTimeout,
    clientTimeout: p.clientTimeout,
    serverTimeout: p.serverTimeout,
    peers: sourceAffinity
      ? {
          section: PEERS_SECTION,
          localName: localPeerName(p),
          address: haproxyAddress(p.peerAddr),
          port: p.peerPort,
          // the pair's peers listen on the same port: the two env files differ only in who is who
          remote: p.ha === null ? null : { name: haPeerName(p.ha.peer), address: haproxyAddress(p.ha.peer), port: p.peerPort }
        }
      : null,
    binds: bindLines(p.inAddrs, p.ports.map(portRangeText)),
    stickTable: seed && p.mode === 'tcp_source' ? STICK_TABLE : null,
    healthCheck: p.healthcheckInterval > 0
      ? { port: p.healthcheckPort, interval: p.healthcheckInterval, rise: p.healthcheckRise, fall: p.healthcheckFall, lines: checkLines(p.healthcheck) }
      : null,
    servers: p.outputs.map((output) => ({
      name: output.name,
      address: haproxyAddress(output.address),
      backup: output.backup,
      disabled: state.disabled.has(output.name),
      id: p.ha === null ? null : output.index
    })),
    ui: {
      bind: `${haproxyAddress(p.uiAddr)}:${p.uiPort}`,
      auth: p.uiUser !== '' && p.uiPassword !== '' ? { userlist: UI_USERLIST, user: p.uiUser, password: p.uiPassword } : null
    },
    serviceSections: sections.map((section) => section.text)
  }
  return { view, sections }
}

/** A service's section: what it was rendered from besides the service itself, its text, and its bytes once written. */
interface SectionEntry {
  readonly key: string
  readonly text: string
  bytes?: Uint8Array
}

// each service's section, which a new configuration (new Service objects) replaces
const SECTIONS = new WeakMap<Service, SectionEntry>()

/**
 * One service file's frontend and backend. Rendered again only when what it is made of
 * changed: at 256 services, an enable or disable would otherwise render the whole file
 * (10-20 ms, most of the change) for one word on one server's line.
 */
function serviceSection (service: Service, node: ServiceNode, disabled: readonly string[], peersSection: string | null): SectionEntry {
  // the key says which servers are disabled (`disabled`: their names, sorted), the section renders them so
  const key = `${String(node.splice)} ${node.maxConnections} ${peersSection ?? '-'} ${disabled.join(' ')}`
  const cached = SECTIONS.get(service)
  if (cached !== undefined && cached.key === key) return cached
  const peers = peersSection === null ? null : { section: peersSection }
  // the section's last line ends where the main template's line does
  const text = template('haproxy-service')({ ...serviceView(service, node, new Set(disabled)), backlog: LISTEN_BACKLOG, peers }).replace(/\n$/, '')
  const entry: SectionEntry = { key, text }
  SECTIONS.set(service, entry)
  return entry
}

const NONE_DISABLED: readonly string[] = []

// the disabled servers' keys (out2, web/a) as each service file's server names, in one pass over the few disabled
function disabledByService (disabled: ReadonlySet<string>): Map<string, string[]> {
  const byService = new Map<string, string[]>()
  for (const key of disabled) {
    const service = serviceOfKey(key)
    if (service === null) continue
    const names = byService.get(service)
    if (names === undefined) byService.set(service, [key.slice(service.length + 1)])
    else names.push(key.slice(service.length + 1))
  }
  for (const names of byService.values()) names.sort()
  return byService
}

/** What a service's section takes from the node besides the service. */
interface ServiceNode {
  readonly splice: boolean
  readonly maxConnections: number
}

/** Every stick table's size and expiry: the seed's. */
const STICK_TABLE = Object.freeze({ size: '1m', expire: '30m' })

// A service file's frontend and backend; what the defaults section already says is left out.
function serviceView (service: Service, node: ServiceNode, disabled: ReadonlySet<string>): ServiceView {
  return {
    name: service.name,
    mode: service.mode,
    file: service.file,
    binds: bindLines(service.inAddrs, service.ports.map(portRangeText)),
    maxConnections: service.maxConnections === 0 ? node.maxConnections : Math.min(service.maxConnections, node.maxConnections),
    balance: service.mode === 'tcp_leastconn' ? 'leastconn' : 'roundrobin',
    clientTimeout: service.clientTimeout,
    serverTimeout: service.serverTimeout,
    connTimeout: service.connTimeout,
    spliceLine: service.tcpSplice === node.splice ? null : service.tcpSplice ? 'option splice-response' : 'no option splice-response',
    stickTable: service.mode === 'tcp_source' ? STICK_TABLE : null,
    healthCheck: service.healthcheckInterval > 0
      ? { port: service.healthcheckPort, interval: service.healthcheckInterval, rise: service.healthcheckRise, fall: service.healthcheckFall, lines: checkLines(service.healthcheck) }
      : null,
    servers: service.servers.map((server) => ({
      name: server.name,
      target: serverTarget(server),
      options: [
        ...serverOptions(service, server),
        // disabled through ctl, in the file too, so a restart from it agrees with the runtime
        ...(disabled.has(server.name) ? ['disabled'] : [])
      ].join(' ')
    }))
  }
}

/** Where a service file's server line sends: `address` (the client's port) or `address:port`, IPv6 in brackets. */
export function serverTarget (server: Pick<Server, 'address' | 'port'>): string {
  return server.port === null ? haproxyAddress(server.address) : `${haproxyAddress(server.address)}:${server.port}`
}

/** The settings of a service file's server line after its address, less its admin state (`disabled`). */
export function serverOptions (service: Service, server: Server): string[] {
  return [
    // a server with a port of its own is checked there; one on the client's port, at the first port of ports
    ...(server.port === null && service.healthcheckInterval > 0 ? [`port ${service.healthcheckPort}`] : []),
    `weight ${server.weight}`,
    ...(server.maxconn === null ? [] : [`maxconn ${server.maxconn}`]),
    ...(server.backup ? ['backup'] : [])
  ]
}

/**
 * What a service's `default-server` line gives each of its servers, as `add server` keywords
 * (HAProxy 2.6 gives a server added at run time nothing of it; `init-addr` it refuses).
 */
export function defaultServerSettings (service: Service): string[] {
  if (service.healthcheckInterval <= 0) return []
  const fall = service.healthcheckFall
  return ['check', `inter ${service.healthcheckInterval}s`, `rise ${service.healthcheckRise}`, `fall ${fall}`, 'observe layer4', `error-limit ${fall}`, 'on-error mark-down']
}

/**
 * (SPEC §14) A backend's check lines for its kind: HAProxy runs them for every server of the
 * backend, those added at run time too. None for a TCP connect (and the agent's UDP kinds).
 * The properties' validation keeps each value within what these lines can carry unquoted,
 * and the expect pattern within single quotes (health-check.ts).
 */
export function checkLines (check: HealthCheck | undefined): string[] {
  switch (check?.kind) {
    case 'http':
      return [`option httpchk ${check.method} ${check.path}`, `http-check expect status ${check.status}`]
    case 'send_expect':
      return [
        'option tcp-check',
        ...(check.send === '' ? [] : [`tcp-check send-binary ${check.send}`]),
        `tcp-check expect rstring '${check.expect}'`
      ]
    default:
      return []
  }
}

/** haproxy.cfg for the desired state. */
export function renderHaproxyConfig (state: DesiredState): string {
  return template('haproxy.cfg')(haproxyConfigView(state))
}

// stands in the main template for the service files' sections, which are joined as bytes
const SECTIONS_MARK = '\u0000l3lb service sections\u0000'

/**
 * haproxy.cfg for the desired state as the bytes written to disk, in pieces: the main
 * template's head, each service file's section, its tail; together the text
 * renderHaproxyConfig gives. Each section is encoded once and kept with it: at 256 services,
 * encoding the whole 250 kB text was half of an enable's or disable's rendering, and joining
 * the pieces into one buffer (a fresh 250 kB mapping) most of the rest.
 */
export function renderHaproxyConfigPieces (state: DesiredState): readonly Uint8Array[] {
  const { view, sections } = configView(state)
  if (sections.length === 0) return [Buffer.from(template('haproxy.cfg')(view))]
  // the template writes each section and a line end: one mark and its line end stand for them all
  const [head, tail, ...more] = template('haproxy.cfg')({ ...view, serviceSections: [SECTIONS_MARK] }).split(`${SECTIONS_MARK}\n`)
  if (head === undefined || tail === undefined || more.length > 0) throw new Error('haproxy.cfg.hbs must write serviceSections once, each on its own line')
  return [endBytes(0, head), ...sections.map((section) => (section.bytes ??= Buffer.from(`${section.text}\n`))), endBytes(1, tail)]
}

// the last head and tail as bytes: the same text gives the very same piece, so two renders that
// changed nothing are the same pieces, compared by reference (reconcile/haproxy-plan.ts)
const ENDS: Array<{ readonly text: string, readonly bytes: Uint8Array } | undefined> = [undefined, undefined]

function endBytes (end: 0 | 1, text: string): Uint8Array {
  const last = ENDS[end]
  if (last !== undefined && last.text === text) return last.bytes
  const bytes = Buffer.from(text)
  ENDS[end] = { text, bytes }
  return bytes
}

// One bind line per address, every port on it; no address means every IPv4 and IPv6 address.
function bindLines (addresses: readonly string[], ports: readonly string[]): string[] {
  if (addresses.length === 0) return [ports.map((port) => `:::${port}`).join(',') + ' v4v6']
  return addresses.map((address) => ports.map((port) => `${haproxyAddress(address)}:${port}`).join(','))
}
