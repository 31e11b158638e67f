/** The validated, frozen properties of one appliance: what every later step reads. */

export const MODES = ['tcp_roundrobin', 'tcp_source', 'udp_roundrobin'] as const
export type Mode = typeof MODES[number]

export const OUTPUT_NAMES = ['out1', 'out2', 'out3', 'out4', 'out5', 'out6', 'out7', 'out8'] as const
export type OutputName = typeof OUTPUT_NAMES[number]

/** One port or an inclusive range of ports, `low === high` for a single port. */
export interface PortRange {
  readonly low: number
  readonly high: number
}

/** A connected output (`outN` with a non-empty value). */
export interface Output {
  readonly name: OutputName
  /** 1..8, the N of outN. */
  readonly index: number
  /** IPv4, IPv6 (without brackets) or a host name, as given. */
  readonly address: string
  /** Named in backup_outputs: gets traffic only when every other output is unavailable. */
  readonly backup: boolean
}

/** The properties of one service's traffic, the same in the env file (`default`) and in a service file (SPEC §11). */
export interface ServiceSettings {
  /** Merged and sorted. */
  readonly ports: readonly PortRange[]
  /** The first port of `ports` as written: where TCP health checks connect. */
  readonly healthcheckPort: number
  /** 0 = use the computed value. */
  readonly maxConnections: number
  /** Seconds; 0 = no checks. */
  readonly healthcheckInterval: number
  readonly healthcheckRise: number
  readonly healthcheckFall: number
  /** Seconds. */
  readonly clientTimeout: number
  readonly serverTimeout: number
  readonly connTimeout: number
  /** TCP modes: HAProxy splices server-to-client bytes (`splice(2)`) instead of copying them through its buffers. */
  readonly tcpSplice: boolean
  /** Addresses clients connect to (the pair's virtual ones added to a non-empty list); empty = every address, IPv4 and IPv6. */
  readonly inAddrs: readonly string[]
  /** udp_roundrobin: source-NAT forwarded flows so replies come back through the load balancer (off when it is the outputs' gateway). */
  readonly udpSnat: boolean
  /** (SPEC §14) What a check does beyond the mode's default (a TCP connect, an ICMP ping); absent: that default. */
  readonly healthcheck?: HealthCheck
}

/**
 * (SPEC §14) A check that sees the service. `send` is the decoded bytes as hex (healthcheck_send's
 * escapes resolved); `expect` a regular expression, null where any answer will do.
 */
export type HealthCheck =
  /** HAProxy: `option httpchk METHOD PATH`, up on this status. */
  | { readonly kind: 'http', readonly method: string, readonly path: string, readonly status: number }
  /** HAProxy: `tcp-check` sends these bytes (none: only reads) and expects the answer to match. */
  | { readonly kind: 'send_expect', readonly send: string, readonly expect: string }
  /** The agent: a datagram of these bytes; any answer (or one matching) is up. */
  | { readonly kind: 'udp', readonly send: string, readonly expect: string | null }
  /** The agent: a SIP OPTIONS; a status line matching (or, by default, below 500) is up. */
  | { readonly kind: 'sip', readonly expect: string | null }

export interface Properties extends ServiceSettings {
  readonly mode: Mode
  /** Connected outputs only, in outN order. */
  readonly outputs: readonly Output[]
  readonly ctlAddr: string
  readonly ctlPort: number
  readonly ctlToken: string
  readonly uiAddr: string
  readonly uiPort: number
  readonly uiUser: string
  readonly uiPassword: string
  readonly monUrl: string
  readonly monInterval: number
  /** Port of HAProxy's local `peers` listener, which hands stick tables across reloads. */
  readonly peerPort: number
  readonly peerAddr: string
  /** (addition) The high-availability pair (docs/ha.md); null when ha_vip is empty. */
  readonly ha: HaSettings | null
  /** (addition) E-mail notices of failovers and of outputs going down or up (docs/notices.md); null when mail_to is empty. */
  readonly mail: MailSettings | null
  /** (SPEC §11) The folder of the service files as given: '' = services.d beside the env file; relative to the env file's folder. */
  readonly servicesDir: string
}

/** Where and how often notices are mailed. */
export interface MailSettings {
  /** Recipients, in the order given. */
  readonly to: readonly string[]
  /** The sender; empty = l3lb@ this host's name. */
  readonly from: string
  /** The SMTP relay. */
  readonly server: { readonly host: string, readonly port: number }
  /** Seconds: at most one mail about the same subject in this time; the rest wait for the next one. */
  readonly holdSeconds: number
}

/** A VRRP pair: keepalived moves the virtual addresses, HAProxy shares the tcp_source table with the peer. */
export interface HaSettings {
  /** The `in` terminal's virtual addresses, in the order given. */
  readonly virtualAddresses: readonly string[]
  /** Where VRRP runs (and the virtual addresses live). */
  readonly interface: string
  /** The other node's address on that link: its VRRP unicast peer and its HAProxy peers listener. */
  readonly peer: string
  /** 1..254; the higher one takes the addresses when both start. */
  readonly priority: number
  /** Whether a returning node of higher priority takes the addresses back. */
  readonly preempt: boolean
  /** VRRP's virtual_router_id, 1..255: unique per pair on the link. */
  readonly routerId: number
  /** Virtual addresses on the outputs' side (ha_out_vip), moved with the in ones: udp_roundrobin's replies come back to them. */
  readonly outputVirtualAddresses: readonly string[]
  /** Where those live (ha_out_interface); '' when there are none. */
  readonly outputInterface: string
}

/** One property error: the property, the value given and what is accepted. */
export interface PropertyProblem {
  readonly property: string
  readonly value: string
  readonly message: string
  /** (SPEC §11) The file it is in, when more than one file is checked together. */
  readonly file?: string
}

export type PropertiesResult =
  | { readonly ok: true, readonly properties: Properties, readonly warnings: readonly string[] }
  | { readonly ok: false, readonly problems: readonly PropertyProblem[] }

/** (SPEC §11, §14) The modes a virtual service may have: the seed's, least connections, and UDP by client address (service files only). */
export const SERVICE_MODES = [...MODES, 'tcp_leastconn', 'udp_source'] as const
export type ServiceMode = typeof SERVICE_MODES[number]

/** The name of the env file's own service, the seed's one. */
export const DEFAULT_SERVICE = 'default'

/** One real server of a virtual service: `outN`, or a `server_<name>` line of a service file. */
export interface Server {
  /** Its name everywhere: HAProxy, ctl, counters, notices (`out1`, `web1`). */
  readonly name: string
  /** IPv4, IPv6 (without brackets) or a host name, as given. */
  readonly address: string
  /** The port it receives on; null: the port the client used. */
  readonly port: number | null
  /** 0..256; 0 takes no new sessions. */
  readonly weight: number
  /** TCP modes: its most concurrent sessions, past which they queue; null: no limit of its own. */
  readonly maxconn: number | null
  /** Gets traffic only when every other server of the service is unavailable. */
  readonly backup: boolean
}

/** One virtual service: `default` (the env file's service properties) or a `NAME.env` of services_dir. */
export interface Service extends ServiceSettings {
  readonly name: string
  /** The file it was read from, for messages. */
  readonly file: string
  readonly mode: ServiceMode
  /** In the order of the file: outN first (by N), then server_ lines as written. */
  readonly servers: readonly Server[]
}

/** The whole validated configuration of a node: its properties (node and `default`) and every service. */
export interface Configuration {
  /** The env file's properties, as the seed's contract reads them. */
  readonly properties: Properties
  /** `default` first when it has a connected output, then the service files by name. */
  readonly services: readonly Service[]
}
