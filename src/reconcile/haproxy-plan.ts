/**
 * Pure: what the HAProxy half of the reconciler will do to go from what is in force to what
 * is desired, as data (docs/architecture.md). The path executes the steps in order; tests
 * read them without a HAProxy.
 */
import { renderHaproxyConfigPieces, seedInConfig } from '../render/haproxy-config.js'
import { isUdpMode } from '../properties/service-file.js'
import type { FileText } from '../state/atomic-file.js'
import type { DesiredState } from '../state/desired.js'
import { serverKey, serviceOfKey } from '../state/server-key.js'
import { serverSteps, undoServerStep, type AdminLevel, type ServerStep } from './runtime-servers.js'

export { removingKey, type AdminLevel, type ServerStep } from './runtime-servers.js'

/** The backend that holds the outputs in haproxy.cfg. */
export const OUTPUTS_BACKEND = 'outputs'

/** One thing the HAProxy path does. */
export type HaproxyStep =
  /** `haproxy -c` on the new text, then rename it over haproxy.cfg. */
  | { readonly kind: 'check-and-install' }
  /** Write the new text over haproxy.cfg without a check: it differs from the file in force only in admin state, or in server lines the runtime API takes next. */
  | { readonly kind: 'install-unchecked' }
  /** An empty server-state file: a fresh start carries no state of an earlier HAProxy. */
  | { readonly kind: 'clear-server-state' }
  | { readonly kind: 'start' }
  /** `set server <backend>/<server> state ready|drain|maint` on the runtime API; `previous` is what a failed job puts back. */
  | { readonly kind: 'set-admin', readonly backend: string, readonly server: string, readonly state: AdminLevel, readonly previous: AdminLevel }
  /** `show servers state` into the server-state file, less the servers whose address changes. */
  | { readonly kind: 'save-server-state' }
  /** One server's `set-admin` and `save-server-state` in one runtime round trip: a ctl change's whole runtime part (the file written once the changes pause: haproxy-path.ts). */
  | { readonly kind: 'set-admin-and-save', readonly backend: string, readonly server: string, readonly state: AdminLevel, readonly previous: AdminLevel }
  /** Wait until the stick table can be handed to a new worker (tcp_source). */
  | { readonly kind: 'wait-peers-sync' }
  | { readonly kind: 'reload' }
  /** (SPEC §12) A service file's server added, re-weighted, re-addressed or removed at run time. */
  | ServerStep

/**
 * haproxy.cfg's text, or its bytes as the file holds them, whole or in pieces: the path keeps
 * the text in force as bytes, outside the JS heap, where 250 kB at 256 services kept from one
 * change to the next was promoted to the old generation on every enable or disable, and a full
 * GC followed every few dozen of them; and in pieces (each service's section kept from one
 * render to the next, render/haproxy-config.ts), so that no change allocates and copies the
 * whole file: the pieces are written as they are (the ctl latency aim, SPEC §13).
 */
export type ConfigText = FileText

/** A configuration's bytes as consecutive pieces. */
export type ConfigPieces = readonly Uint8Array[]

/** What was put in force last: the state and its text (null: not rendered since an admin change, see haproxy-path.ts). */
export interface HaproxyInForce {
  readonly state: DesiredState
  readonly text: ConfigText | null
}

/** The text in force, rendered from its state when it was left unrendered. */
export function inForceText (inForce: HaproxyInForce): ConfigText {
  return inForce.text ?? renderHaproxyConfigPieces(inForce.state)
}

/** Whether two configuration texts are the same, whichever form each is in. */
export function sameConfigText (a: ConfigText, b: ConfigText): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b
  // two renders share the pieces of every section that did not change
  if (isPieces(a) && isPieces(b) && a.length === b.length && a.every((piece, k) => piece === b[k])) return true
  const [x, y] = [configBytes(a), configBytes(b)]
  return x.byteLength === y.byteLength && Buffer.compare(x, y) === 0
}

/** A configuration text as bytes (UTF-8), in one piece. */
export function configBytes (text: ConfigText): Uint8Array {
  if (typeof text === 'string') return Buffer.from(text)
  return isPieces(text) ? Buffer.concat(text) : text
}

function isPieces (text: ConfigText): text is ConfigPieces {
  return Array.isArray(text)
}

/**
 * The steps from `inForce` (null: HAProxy not running under this agent) to `desired`, whose
 * rendering is `text` (a function: rendered only when a plan needs it). Only admin state
 * changed (the same properties, services, limits and paths): the runtime API and the file, no
 * process at all, and the plan renders no text. Only service files' servers: the runtime API
 * (planServers). Anything else: a checked file and a reload. Nothing: no step.
 */
export function planHaproxy (inForce: HaproxyInForce | null, desired: DesiredState, text: ConfigText | (() => ConfigText), removing: ReadonlySet<string> = new Set()): HaproxyStep[] {
  // a fresh HAProxy runs the file, where a disabled server is `disabled`: draining ones are set after it starts
  if (inForce === null) return [{ kind: 'check-and-install' }, { kind: 'clear-server-state' }, { kind: 'start' }, ...adminSteps(null, desired)]
  if (onlyAdminDiffers(inForce.state, desired)) {
    const admin = runtimeAdmin(adminSteps(inForce.state, desired))
    // the file says only `disabled`: a drain is no text at all, and no text is rendered for it (the ctl latency aim, SPEC §13);
    // the file first: a change that cannot be written is refused before HAProxy has it
    return sameSet(inForce.state.disabled, desired.disabled) ? admin : [{ kind: 'install-unchecked' }, ...admin]
  }
  if (sameConfigText(typeof text === 'function' ? text() : text, inForceText(inForce))) return runtimeAdmin(adminSteps(inForce.state, desired))
  return planServers(inForce, desired, removing) ?? planReload(inForce, desired)
}

/**
 * (SPEC §12) Only service files' TCP servers differ: the file first (so the next reload renders
 * the same), then the runtime API, then the server state saved; null when a reload must do it
 * (runtime-servers.ts says when). The file is not checked with `haproxy -c` (50 ms at 256
 * services, half the aim for a PUT): it differs from the one in force only in server lines,
 * which `add server` and `set server` parse with the same keyword parser as the file; when
 * HAProxy refuses one, the job puts the last good file back and a checked reload follows.
 */
export function planServers (inForce: HaproxyInForce, desired: DesiredState, removing: ReadonlySet<string> = new Set()): HaproxyStep[] | null {
  const stick = new Set(desired.services.filter((service) => service.mode === 'tcp_source').map((service) => service.name))
  const servers = serverSteps(inForce.state, desired, (backend, server) => adminLevel(desired, serverKey(backend, server), stick.has(backend)), removing)
  if (servers === null || servers.length === 0) return null
  return [{ kind: 'install-unchecked' }, ...adminSteps(inForce.state, desired), ...servers, { kind: 'save-server-state' }]
}

// admin changes and the server state saved after them; one server's change is one round trip (the ctl latency aim, SPEC §13)
function runtimeAdmin (admin: HaproxyStep[]): HaproxyStep[] {
  const [only] = admin
  if (admin.length === 1 && only?.kind === 'set-admin') return [{ ...only, kind: 'set-admin-and-save' }]
  return admin.length === 0 ? [] : [...admin, { kind: 'save-server-state' }]
}

/** A checked file and a reload, with the admin changes on the runtime first (also for a HAProxy adopted with another file). */
export function planReload (inForce: HaproxyInForce, desired: DesiredState): HaproxyStep[] {
  // the runtime first, so the saved server state already says what the new file says
  return [
    { kind: 'check-and-install' },
    ...adminSteps(inForce.state, desired),
    { kind: 'save-server-state' },
    ...(hasStickTable(inForce.state) ? [{ kind: 'wait-peers-sync' } as const] : []),
    { kind: 'reload' }
  ]
}

/**
 * The one backend a plan changes, when it runs through the runtime API alone: its server state
 * is all the plan's save needs to ask HAProxy for (1,000 servers' state was 3-5 ms of a PUT). Null
 * when the steps name several backends or none, or when the plan starts or reloads HAProxy: a new
 * worker loads every backend's state from the file, so that save is whole and fresh.
 */
export function onlyBackendOf (steps: readonly HaproxyStep[]): string | null {
  let backend: string | null = null
  for (const step of steps) {
    if (step.kind === 'start' || step.kind === 'reload') return null
    if (!('backend' in step)) continue
    if (backend !== null && step.backend !== backend) return null
    backend = step.backend
  }
  return backend
}

/** The action a plan amounts to, for logs: what the seed's reconciler always said. */
export function planAction (steps: readonly HaproxyStep[]): 'none' | 'start' | 'runtime' | 'reload' {
  if (steps.some((step) => step.kind === 'start')) return 'start'
  if (steps.some((step) => step.kind === 'reload')) return 'reload'
  return steps.length === 0 ? 'none' : 'runtime'
}

/** The runtime steps that undo `steps`' own (admin and servers), in reverse: what a failed job puts back. */
export function undoAdmin (steps: readonly HaproxyStep[]): HaproxyStep[] {
  return steps.flatMap((step): HaproxyStep[] => {
    if (step.kind === 'set-admin' || step.kind === 'set-admin-and-save') return [{ kind: 'set-admin', backend: step.backend, server: step.server, state: step.previous, previous: step.state }]
    if (isServerStep(step)) return [undoServerStep(step) ?? []].flat()
    return []
  }).reverse()
}

/** Whether a step changes a server through the runtime API (SPEC §12): a plan with one changes servers without a reload. */
export function isServerStep (step: HaproxyStep): step is ServerStep {
  return ['add-server', 'set-weight', 'set-addr', 'set-maxconn', 'remove-server', 'delete-server'].includes(step.kind)
}

/** Everything but the admin state is the very same value: the states came from one another by an admin change. */
export function onlyAdminDiffers (before: DesiredState, after: DesiredState): boolean {
  return before.properties === after.properties && before.services === after.services && before.limits === after.limits && before.paths === after.paths
}

/** Every server in HAProxy for `state`: its backend, name, serverKey and the admin level it should have. */
export function haproxyServers (state: DesiredState, only?: ReadonlySet<string>): Array<{ readonly backend: string, readonly server: string, readonly key: string, readonly admin: AdminLevel }> {
  const seedStick = state.properties.mode === 'tcp_source'
  // the services the keys name (`web/web1`): an admin change reads one service's servers, not 1,000
  const named = only === undefined ? undefined : new Set([...only].map(serviceOfKey))
  return [
    ...(seedInConfig(state) ? state.properties.outputs.filter((output) => only === undefined || only.has(output.name)).map((output) => ({ backend: OUTPUTS_BACKEND, server: output.name, key: output.name, admin: adminLevel(state, output.name, seedStick) })) : []),
    ...state.services.filter((service) => !isUdpMode(service.mode) && (named === undefined || named.has(service.name)))
      .flatMap((service) => service.servers.flatMap((server) => {
        const key = serverKey(service.name, server.name)
        return only !== undefined && !only.has(key) ? [] : [{ backend: service.name, server: server.name, key, admin: adminLevel(state, key, service.mode === 'tcp_source') }]
      }))
  ]
}

/** The admin level a server (its serverKey) has in HAProxy for `state`; `stick`: its backend has a stick table. */
function adminLevel (state: DesiredState, key: string, stick: boolean): AdminLevel {
  if (state.disabled.has(key)) return 'maint'
  // HAProxy's drain still lets in the clients a stick table holds to it; maintenance does not (SPEC §11)
  return state.draining.has(key) ? (stick ? 'maint' : 'drain') : 'ready'
}

// servers in HAProxy in both states whose admin level differs; from null: those the file alone does not set (draining)
function adminSteps (before: DesiredState | null, after: DesiredState): HaproxyStep[] {
  const only = before === null ? undefined : serversThatMayChangeLevel(before, after)
  const was = new Map((before === null ? [] : haproxyServers(before, only)).map((server) => [`${server.backend}/${server.server}`, server.admin]))
  return haproxyServers(after, only).flatMap((server): HaproxyStep[] => {
    const fromFile: AdminLevel = after.disabled.has(server.key) ? 'maint' : 'ready'
    const previous = before === null ? fromFile : was.get(`${server.backend}/${server.server}`)
    if (previous === undefined || previous === server.admin) return []
    return [{ kind: 'set-admin', backend: server.backend, server: server.server, state: server.admin, previous }]
  })
}

/**
 * The servers whose admin level can differ between two states, undefined for all: the same
 * servers (an admin change), those in or out of an admin set; the same admin sets (a change of
 * servers), those of the services that changed and the seed's outputs when its properties did.
 * Not all 1,000 (the ctl latency and PUT aims, SPEC §13).
 */
function serversThatMayChangeLevel (before: DesiredState, after: DesiredState): ReadonlySet<string> | undefined {
  if (before.properties === after.properties && before.services === after.services) return adminChanges(before, after)
  if (!sameSet(before.disabled, after.disabled) || !sameSet(before.draining, after.draining)) return undefined
  const [was, now] = [new Set(before.services), new Set(after.services)]
  const changed = [...before.services.filter((service) => !now.has(service)), ...after.services.filter((service) => !was.has(service))]
  const keys = new Set(changed.flatMap((service) => service.servers.map((server) => serverKey(service.name, server.name))))
  if (before.properties !== after.properties) for (const output of [...before.properties.outputs, ...after.properties.outputs]) keys.add(output.name)
  return keys
}

function sameSet (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((key) => b.has(key))
}

// the keys in one state's disabled or draining set and not in the other's
function adminChanges (before: DesiredState, after: DesiredState): Set<string> {
  const changes = new Set<string>()
  for (const [one, other] of [[before.disabled, after.disabled], [after.disabled, before.disabled], [before.draining, after.draining], [after.draining, before.draining]] as const) {
    for (const key of one) if (!other.has(key)) changes.add(key)
  }
  return changes
}

// a worker younger than its peers resync timeouts would hand an empty table on
function hasStickTable (state: DesiredState): boolean {
  return (seedInConfig(state) && state.properties.mode === 'tcp_source') || state.services.some((service) => service.mode === 'tcp_source')
}
