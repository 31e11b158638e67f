/** Pure: the desired state to haproxy.cfg text (TCP modes). */
import type { Properties } from '../properties/model.js'
import type { DesiredState } from '../state/desired.js'
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

/** The name HAProxy is started with (`-L`) for these properties. */
export function localPeerName (properties: Properties): string {
  return properties.ha !== null && properties.mode === 'tcp_source' ? haPeerName(properties.peerAddr) : LOCAL_PEER_NAME
}

/** The userlist that guards the stats UI and /metrics when ui_user and ui_password are set. */
export const UI_USERLIST = 'l3lb_ui'

/** Connections kept for the stats UI, the stats socket and the peers beside `maxconn` of `in`. */
export const GLOBAL_MAXCONN_HEADROOM = 100

/** Connections that may wait in the kernel's accept queue once `max_connections` are active. */
export const LISTEN_BACKLOG = 4096

/** What templates/haproxy.cfg.hbs is filled with. */
export interface HaproxyConfigView {
  readonly mode: string
  readonly outputCount: number
  readonly globalMaxconn: number
  readonly maxConnections: number
  readonly backlog: number
  readonly nbthread: number
  /** tcp_splice: responses spliced kernel to kernel, through at most `maxpipes` pipes. */
  readonly splice: boolean
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
  readonly healthCheck: { readonly port: number, readonly interval: number, readonly rise: number, readonly fall: number } | null
  /** `id` is set with HA: both nodes must give an output the same id for the shared table to mean the same output. */
  readonly servers: ReadonlyArray<{ readonly name: string, readonly address: string, readonly backup: boolean, readonly disabled: boolean, readonly id: number | null }>
  readonly ui: { readonly bind: string, readonly auth: { readonly userlist: string, readonly user: string, readonly password: string } | null }
}

/** The view of the desired state that the template needs. */
export function haproxyConfigView (state: DesiredState): HaproxyConfigView {
  const { properties: p, limits, paths } = state
  const sourceAffinity = p.mode === 'tcp_source'
  return {
    mode: p.mode,
    outputCount: p.outputs.length,
    globalMaxconn: limits.maxConnections + GLOBAL_MAXCONN_HEADROOM,
    maxConnections: limits.maxConnections,
    backlog: LISTEN_BACKLOG,
    nbthread: limits.nbthread,
    splice: p.tcpSplice,
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
    stickTable: sourceAffinity ? { size: '1m', expire: '30m' } : null,
    healthCheck: p.healthcheckInterval > 0
      ? { port: p.healthcheckPort, interval: p.healthcheckInterval, rise: p.healthcheckRise, fall: p.healthcheckFall }
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
    }
  }
}

/** haproxy.cfg for the desired state. */
export function renderHaproxyConfig (state: DesiredState): string {
  return template('haproxy.cfg')(haproxyConfigView(state))
}

// One bind line per address, every port on it; no address means every IPv4 and IPv6 address.
function bindLines (addresses: readonly string[], ports: readonly string[]): string[] {
  if (addresses.length === 0) return [ports.map((port) => `:::${port}`).join(',') + ' v4v6']
  return addresses.map((address) => ports.map((port) => `${haproxyAddress(address)}:${port}`).join(','))
}
