/**
 * Pure: the run-time steps that take HAProxy from what is in force to what is desired when the
 * two differ only in the servers of service files' TCP services (SPEC §12), or null when
 * HAProxy 2.6 cannot make the change at run time and a reload must (docs/runtime-changes.md).
 */
import { isIP } from 'node:net'
import { isDeepStrictEqual } from 'node:util'
import type { Server, Service } from '../properties/model.js'
import { defaultServerSettings, serverOptions, serverTarget } from '../render/haproxy-config.js'
import { isUdpMode } from '../properties/service-file.js'
import type { DesiredState } from '../state/desired.js'

/** A server's admin state as HAProxy's runtime API sets it. */
export type AdminLevel = 'ready' | 'drain' | 'maint'

/** One server changed through the runtime API, no reload. */
export type ServerStep =
  /** `add server BACKEND/SERVER TARGET SETTINGS…`, `enable health` when `health`, then `set server … state STATE`. */
  | { readonly kind: 'add-server', readonly backend: string, readonly server: string, readonly target: string, readonly settings: readonly string[], readonly health: boolean, readonly state: AdminLevel }
  /** `set server BACKEND/SERVER weight N`. */
  | { readonly kind: 'set-weight', readonly backend: string, readonly server: string, readonly weight: number, readonly previous: number }
  /** `set server BACKEND/SERVER addr ADDRESS [port PORT]` (port null: the client's port, unchanged). */
  | { readonly kind: 'set-addr', readonly backend: string, readonly server: string, readonly address: string, readonly port: number | null, readonly previous: { readonly address: string, readonly port: number | null } }
  /** `set maxconn server BACKEND/SERVER N` (0: no limit of its own). */
  | { readonly kind: 'set-maxconn', readonly backend: string, readonly server: string, readonly maxconn: number, readonly previous: number }
  /**
   * `set server … state maint` at once (no new session, tcp_source's stuck clients included); the
   * agent deletes it (`del server`) in the background once it has no session, or shuts its
   * sessions at `timeoutMs` (the service's server_timeout). `previous` is what a failed job puts back.
   */
  | { readonly kind: 'remove-server', readonly backend: string, readonly server: string, readonly address: string, readonly port: number | null, readonly timeoutMs: number, readonly previous: AdminLevel }
  /** Out of traffic and deleted now: what undoes an `add-server`. */
  | { readonly kind: 'delete-server', readonly backend: string, readonly server: string }

/** `BACKEND/SERVER`: how the plan names a server being removed. */
export function removingKey (backend: string, server: string): string {
  return `${backend}/${server}`
}

/**
 * The server steps from `before` to `after`, or null when something else differs or a server
 * change needs a reload: another property, limit or path; a service added, removed or changed
 * in anything but its servers; a server's `backup`, a host name, a move between a port of its
 * own and the client's; a server added under a name still being removed (`removing`); in
 * tcp_source, a server added anywhere but after the others (its stick-table id, below).
 * `level` is the admin level each server of `after` has (haproxyServers). Admin changes of
 * servers in both are the caller's (adminSteps).
 */
export function serverSteps (before: DesiredState, after: DesiredState, level: (backend: string, server: string) => AdminLevel, removing: ReadonlySet<string>): ServerStep[] | null {
  if (!isDeepStrictEqual(before.properties, after.properties) || !isDeepStrictEqual(before.limits, after.limits) || !isDeepStrictEqual(before.paths, after.paths)) return null
  const was = tcpServices(before)
  const now = tcpServices(after)
  if (was.length !== now.length) return null
  const steps: ServerStep[] = []
  const removals: ServerStep[] = []
  for (const [index, service] of now.entries()) {
    const old = was[index]
    // a service file read again unchanged gives the very same Service: nothing of it changes (at 256 services, 2 ms of deep comparisons off each PUT)
    if (old === service) continue
    if (old === undefined || !isDeepStrictEqual({ ...old, servers: [] }, { ...service, servers: [] })) return null
    const oldByName = new Map(old.servers.map((server) => [server.name, server]))
    const newNames = new Set(service.servers.map((server) => server.name))
    // tcp_source: the stick table keeps a server's id, which the file gives by position; a new server gets at run time the id
    // the next reload gives it, so new ones come after every server in force, none of which leaves in the same change
    const adds = service.servers.some((server) => !oldByName.has(server.name))
    if (service.mode === 'tcp_source' && adds && !old.servers.every((server, position) => service.servers[position]?.name === server.name)) return null
    for (const [position, server] of service.servers.entries()) {
      const previous = oldByName.get(server.name)
      const changed = previous === undefined
        ? addStep(service, server, position, level(service.name, server.name), removing)
        : changeSteps(service.name, previous, server)
      if (changed === null) return null
      steps.push(...changed)
    }
    for (const server of old.servers) {
      if (newNames.has(server.name)) continue
      removals.push({ kind: 'remove-server', backend: old.name, server: server.name, address: server.address, port: server.port, timeoutMs: old.serverTimeout * 1000, previous: level(old.name, server.name) })
    }
  }
  // the new servers take traffic before the removed ones stop taking it
  return [...steps, ...removals]
}

// every service HAProxy serves from the service files: one frontend and backend each, named after it
function tcpServices (state: DesiredState): Service[] {
  return state.services.filter((service) => !isUdpMode(service.mode))
}

// a server HAProxy 2.6 can add: an IP address (a dynamic server resolves no name), not under a name still being removed
function addStep (service: Service, server: Server, position: number, state: AdminLevel, removing: ReadonlySet<string>): ServerStep[] | null {
  if (isIP(server.address) === 0 || removing.has(removingKey(service.name, server.name))) return null
  const health = service.healthcheckInterval > 0
  // the id HAProxy gives the server at the next reload: its position in the file
  const id = service.mode === 'tcp_source' ? [`id ${position + 1}`] : []
  return [{ kind: 'add-server', backend: service.name, server: server.name, target: serverTarget(server), settings: [...serverOptions(service, server), ...defaultServerSettings(service), ...id], health, state }]
}

// what HAProxy 2.6 changes in a running server: address (same kind of port), weight, maxconn; anything else is a reload
function changeSteps (backend: string, before: Server, after: Server): ServerStep[] | null {
  if (before.backup !== after.backup || (before.port === null) !== (after.port === null)) return null
  const steps: ServerStep[] = []
  const server = after.name
  if (before.address !== after.address || before.port !== after.port) {
    if (isIP(before.address) === 0 || isIP(after.address) === 0) return null
    steps.push({ kind: 'set-addr', backend, server, address: after.address, port: after.port, previous: { address: before.address, port: before.port } })
  }
  if (before.weight !== after.weight) steps.push({ kind: 'set-weight', backend, server, weight: after.weight, previous: before.weight })
  if (before.maxconn !== after.maxconn) steps.push({ kind: 'set-maxconn', backend, server, maxconn: after.maxconn ?? 0, previous: before.maxconn ?? 0 })
  return steps
}

/** The steps that undo one server step, as far as HAProxy can go back. */
export function undoServerStep (step: ServerStep): ServerStep | { readonly kind: 'set-admin', readonly backend: string, readonly server: string, readonly state: AdminLevel, readonly previous: AdminLevel } | null {
  switch (step.kind) {
    case 'add-server':
      return { kind: 'delete-server', backend: step.backend, server: step.server }
    case 'set-weight':
      return { ...step, weight: step.previous, previous: step.weight }
    case 'set-addr':
      return { ...step, address: step.previous.address, port: step.previous.port, previous: { address: step.address, port: step.port } }
    case 'set-maxconn':
      return { ...step, maxconn: step.previous, previous: step.maxconn }
    case 'remove-server':
      return { kind: 'set-admin', backend: step.backend, server: step.server, state: step.previous, previous: 'maint' }
    case 'delete-server':
      return null
  }
}
