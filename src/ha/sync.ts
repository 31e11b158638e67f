/**
 * (HA) Keeps the ctl admin state (the servers disabled and draining through ctl) and the
 * shared settings (the env file's service properties and every service file,
 * src/properties/pair-settings.ts) the same on both nodes.
 * Invariants: the active node (VRRP MASTER) is the only source; it pushes its whole admin state
 * (POST, a JSON body: 1,000 server keys do not fit a URL) and its settings' digest to the peer
 * after each change and every interval. A standby pulls
 * both from an active peer once after it starts or becomes standby, and again whenever a push
 * carries a digest other than its own. A client's change on the standby is forwarded to the
 * active node and never made locally, so the pair cannot diverge silently: when the active
 * node cannot be reached the change fails with code 100. Settings the standby cannot run are
 * logged as an error once per digest.
 */
import { isL3lbError, L3lbError } from '../errors.js'
import type { Log } from '../model/log.js'
import { isServerKey, sortedKeys } from '../state/server-key.js'
import { parsePairSettings, settingsDigest, type PairSettings } from '../properties/pair-settings.js'
import type { AdminChangeResult, OutputSelector } from '../model/admin.js'
import type { ChangeOrigin, NodeRole } from '../model/pair.js'
import { FORWARDED_HEADER } from '../model/pair.js'

/** What the peer's ctl service answered: the HTTP status and the seed's `status` member. */
export interface PeerAnswer {
  readonly httpStatus: number
  readonly status: { readonly code: number, readonly message: string } & Readonly<Record<string, unknown>>
}

/** One GET on the peer's ctl service; throws L3LB_HA_SYNC when the peer does not answer in time. */
export type PeerCall = (pathAndQuery: string, timeoutMs: number, headers?: Readonly<Record<string, string>>) => Promise<PeerAnswer>

/** One POST of a JSON body to the peer's ctl service; throws L3LB_HA_SYNC when the peer does not answer in time. */
export type PeerPost = (path: string, body: unknown, timeoutMs: number) => Promise<PeerAnswer>

/** The whole admin state one node sends the other (`POST /api/sync`). */
export interface SyncPush {
  readonly disabled: readonly string[]
  readonly draining: readonly string[]
  /** The digest of the sender's shared settings. */
  readonly digest: string
}

/** This node's admin state and shared settings, as the agent keeps them. */
export interface LocalNode {
  disabled (): readonly string[]
  /** The servers draining through ctl; absent on a node that keeps no drain. */
  draining?: () => readonly string[]
  setEnabled (selector: OutputSelector, enabled: boolean): Promise<AdminChangeResult>
  /** Drains the selected servers here; absent on a node that keeps no drain. */
  setDraining?: (selector: OutputSelector) => Promise<AdminChangeResult>
  /** Makes exactly these servers disabled and, when given, exactly these draining. */
  replaceDisabled (disabled: readonly string[], draining?: readonly string[]): Promise<AdminChangeResult>
  /** The shared settings this node runs now. */
  settings (): PairSettings
  /** Runs the active node's shared settings here (with this node's own properties); throws why it cannot. */
  replaceSettings (settings: PairSettings): Promise<void>
}

export interface PairSyncOptions {
  readonly role: () => NodeRole
  /** False while ha_vip is empty: then the sync does nothing. */
  readonly inPair: () => boolean
  /** The peer's ctl service, for messages: `http://198.18.0.12:8080`. */
  readonly peerUrl: () => string
  readonly local: LocalNode
  readonly peer: PeerCall
  /** POST to the peer, for the push; without it (a GET-only transport) the push takes the GET form. */
  readonly post?: PeerPost
  readonly log: Log
  /** Between two pushes (active) or pull attempts (standby); 2000 ms by default. */
  readonly intervalMs?: number
}

/** Push and pull wait this long for the peer: a sync round never outlasts the interval. */
export const SYNC_TIMEOUT_MS = 1000
/** A forwarded change waits this long: the active node applies it before answering. */
export const FORWARD_TIMEOUT_MS = 5000
const INTERVAL_MS = 2000

export class PairSync {
  readonly #options: PairSyncOptions
  #timer: NodeJS.Timeout | null = null
  // a standby takes the active node's set once per time it is standby; a push counts too
  #synced = false
  // null = not tried yet; false = the peer failed, logged once until it answers again
  #reachable: boolean | null = null
  #pushing: Promise<void> | null = null
  #pushAgain = false
  // the active node's settings that could not run here: tried once, logged once
  #refusedDigest = ''
  #pulling: Promise<void> | null = null

  constructor (options: PairSyncOptions) {
    this.#options = options
  }

  role (): NodeRole {
    return this.#options.role()
  }

  disabled (): readonly string[] {
    return this.#options.local.disabled()
  }

  /** The servers draining here; undefined on a node that keeps no drain. */
  draining (): readonly string[] | undefined {
    return this.#options.local.draining?.()
  }

  settings (): PairSettings {
    return this.#options.local.settings()
  }

  /** Starts the rounds: one at once, then one per interval. */
  start (): void {
    if (this.#timer !== null) return
    this.#timer = setInterval(() => { this.tick().catch(() => undefined) }, this.#options.intervalMs ?? INTERVAL_MS)
    this.#timer.unref()
    this.tick().catch(() => undefined)
  }

  /** Stops the rounds and waits for a push or pull under way. */
  async stop (): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    this.#pushAgain = false
    await this.#pushing
    await this.#pulling
  }

  /** One round: the active node pushes its set; a standby not yet in step pulls it. */
  async tick (): Promise<void> {
    if (!this.#options.inPair()) return
    if (this.role() === 'active') {
      this.#synced = false
      await this.push()
    } else if (!this.#synced) {
      await this.#pull()
    }
  }

  /** A change asked of this node: made here on the active node, forwarded from a standby. */
  async setEnabled (selector: OutputSelector, enabled: boolean, origin: ChangeOrigin): Promise<AdminChangeResult> {
    if (this.role() === 'active') {
      const result = await this.#options.local.setEnabled(selector, enabled)
      // the answer does not wait for the peer: a standby that is down catches up later
      if (result.code === 0) this.push().catch(() => undefined)
      return result
    }
    if (origin === 'forwarded') {
      throw new L3lbError('L3LB_HA_SYNC', 'nothing changed: the peer forwarded this change as to the active node, but this node is standby too (VRRP has not chosen an active node yet); try again in a few seconds')
    }
    return await this.#forward(enabled ? 'enable' : 'disable', selector)
  }

  /** A drain asked of this node: made here on the active node, forwarded from a standby. */
  async setDraining (selector: OutputSelector, origin: ChangeOrigin): Promise<AdminChangeResult> {
    const { setDraining } = this.#options.local
    if (setDraining === undefined) throw new L3lbError('L3LB_HA_SYNC', 'nothing changed: this node keeps no drain')
    if (this.role() === 'active') {
      const result = await setDraining(selector)
      if (result.code === 0) this.push().catch(() => undefined)
      return result
    }
    if (origin === 'forwarded') {
      throw new L3lbError('L3LB_HA_SYNC', 'nothing changed: the peer forwarded this drain as to the active node, but this node is standby too (VRRP has not chosen an active node yet); try again in a few seconds')
    }
    return await this.#forward('drain', selector)
  }

  /**
   * `/api/sync`: the active peer's whole set replaces this node's (its drain too, when it sends
   * one); a digest unlike ours fetches its settings.
   */
  async replaceDisabled (disabled: readonly string[], digest?: string, draining?: readonly string[]): Promise<AdminChangeResult> {
    if (this.role() === 'active') {
      throw new L3lbError('L3LB_HA_SYNC', 'refused: this node is the active one; it keeps its own admin state and sends it to the peer')
    }
    const result = await this.#options.local.replaceDisabled(disabled, draining)
    this.#synced = true
    // the push is answered at once; the settings follow in a pull of their own
    if (digest !== undefined && digest !== settingsDigest(this.settings()) && digest !== this.#refusedDigest) this.#pullSoon()
    return result
  }

  /** Sends the whole set to the peer; pushes asked for while one runs become one more push. */
  async push (): Promise<void> {
    if (this.#pushing !== null) {
      this.#pushAgain = true
      return await this.#pushing
    }
    this.#pushing = (async () => {
      do {
        this.#pushAgain = false
        await this.#pushOnce()
      } while (this.#pushAgain)
    })().finally(() => { this.#pushing = null })
    await this.#pushing
  }

  async #pushOnce (): Promise<void> {
    const push: SyncPush = { disabled: this.#options.local.disabled(), draining: this.draining() ?? [], digest: settingsDigest(this.settings()) }
    const { post } = this.#options
    try {
      const answer = post === undefined
        ? await this.#options.peer(syncQuery(push, this.draining() !== undefined), SYNC_TIMEOUT_MS)
        : await post('/api/sync', push, SYNC_TIMEOUT_MS)
      if (answer.status.code === 100) throw new L3lbError('L3LB_HA_SYNC', `it refused the admin state: ${answer.status.message}`)
      this.#answered()
      if (answer.status.code === 0) this.#options.log.info(`HA sync: the peer now has disabled: ${listed(push.disabled)}${this.draining() === undefined ? '' : `; draining: ${listed(push.draining)}`}`)
    } catch (error) {
      this.#failed('the admin state was not sent to the peer', error)
    }
  }

  async #pull (): Promise<void> {
    try {
      const answer = await this.#options.peer('/api/admin', SYNC_TIMEOUT_MS)
      const { role, disabled, draining } = answer.status
      if (answer.status.code !== 0 || !Array.isArray(disabled)) throw new L3lbError('L3LB_HA_SYNC', `it answered without an admin state: ${answer.status.message}`)
      this.#answered()
      // a peer that is standby too is no source: wait for the one VRRP makes active
      if (role !== 'active' || this.role() === 'active') return
      const names = serverKeysIn(disabled)
      const drained = Array.isArray(draining) ? serverKeysIn(draining) : undefined
      const result = await this.#options.local.replaceDisabled(names, drained)
      this.#synced = true
      if (result.code === 0) this.#options.log.info(`HA sync: took the active node's admin state, disabled: ${listed(names)}${drained === undefined ? '' : `; draining: ${listed(drained)}`}`)
      await this.#takeSettings(answer.status.settings)
    } catch (error) {
      this.#failed('the admin state could not be read from the peer', error)
    }
  }

  // one pull at a time; a push that asks for one while it runs finds it under way
  #pullSoon (): void {
    if (this.#pulling !== null) return
    this.#pulling = this.#pull().finally(() => { this.#pulling = null })
  }

  async #takeSettings (value: unknown): Promise<void> {
    const settings = parsePairSettings(value)
    if (settings === null) throw new L3lbError('L3LB_HA_SYNC', 'it answered without its shared settings (an older l3lb?)')
    const digest = settingsDigest(settings)
    if (digest === settingsDigest(this.settings()) || digest === this.#refusedDigest) return
    try {
      await this.#options.local.replaceSettings(settings)
      this.#refusedDigest = ''
    } catch (error) {
      this.#refusedDigest = digest
      // one refused part-way says itself what was put back and what runs
      const keeps = isL3lbError(error, 'L3LB_RELOAD_MIXED') ? 'tried again when they change' : 'which keeps its own until they change'
      this.#options.log.error(`HA sync: the active node's settings cannot run on this node, ${keeps}: ${(error as Error).message}`)
    }
  }

  async #forward (verb: 'enable' | 'disable' | 'drain', selector: OutputSelector): Promise<AdminChangeResult> {
    let answer: PeerAnswer
    try {
      answer = await this.#options.peer(`/api/${verb}?${selectorQuery(selector)}`, FORWARD_TIMEOUT_MS, { [FORWARDED_HEADER]: '1' })
    } catch (cause) {
      throw new L3lbError('L3LB_HA_SYNC', `nothing changed: this node is the standby and forwards changes to the active node at ${this.#options.peerUrl()}, which cannot be reached (${(cause as Error).message})`, { cause })
    }
    const { code, message } = answer.status
    if (code !== 0 && code !== 10) throw new L3lbError('L3LB_HA_SYNC', `the active node at ${this.#options.peerUrl()} refused the change: ${message}`)
    // the active node pushes too, but the client should see its change here when answered
    if (code === 0) await this.#pull()
    return { code, message: `on the active node ${this.#options.peerUrl()}: ${message}`, outputs: [] }
  }

  #answered (): void {
    if (this.#reachable === false) this.#options.log.info(`HA sync: the peer at ${this.#options.peerUrl()} answers again`)
    this.#reachable = true
  }

  #failed (what: string, error: unknown): void {
    if (this.#reachable !== false) this.#options.log.warn(`HA sync: ${what} at ${this.#options.peerUrl()}: ${(error as Error).message}; retrying every ${this.#options.intervalMs ?? INTERVAL_MS} ms, logged again once it answers`)
    this.#reachable = false
  }
}

/** The query that means `selector` to the peer's ctl service: its service too, so a server of a service file stays one. */
export function selectorQuery (selector: OutputSelector): string {
  const service = selector.service === undefined ? '' : `service=${encodeURIComponent(selector.service)}&`
  return service + ('channel' in selector ? `channel=${encodeURIComponent(selector.channel)}` : `address=${encodeURIComponent(selector.address)}`)
}

// The GET form of a push, for a transport that cannot POST: a URL holds about 100 server keys.
function syncQuery (push: SyncPush, withDraining: boolean): string {
  return `/api/sync?disabled=${push.disabled.join(',')}${withDraining ? `&draining=${push.draining.join(',')}` : ''}&settings=${push.digest}`
}

function serverKeysIn (names: readonly unknown[]): string[] {
  return sortedKeys(names.filter((name): name is string => typeof name === 'string' && isServerKey(name)))
}

function listed (names: readonly string[]): string {
  return names.length === 0 ? 'none' : names.join(', ')
}

/** The peer's ctl base URL: both nodes use the same ctl_port. */
export function peerCtlUrl (peer: string, ctlPort: number): string {
  return `http://${peer.includes(':') ? `[${peer}]` : peer}:${ctlPort}`
}

type PeerEndpoint = () => { readonly baseUrl: string, readonly token: string }

/** A PeerCall over HTTP, with the ctl_token both nodes share. */
export function httpPeer (endpoint: PeerEndpoint): PeerCall {
  return async (pathAndQuery, timeoutMs, headers = {}) => await httpCall(endpoint, pathAndQuery, timeoutMs, headers)
}

/** A PeerPost over HTTP: the body as JSON, with the ctl_token both nodes share. */
export function httpPeerPost (endpoint: PeerEndpoint): PeerPost {
  return async (path, body, timeoutMs) => await httpCall(endpoint, path, timeoutMs, { 'content-type': 'application/json' }, JSON.stringify(body))
}

async function httpCall (endpoint: PeerEndpoint, pathAndQuery: string, timeoutMs: number, headers: Readonly<Record<string, string>>, body?: string): Promise<PeerAnswer> {
  const { baseUrl, token } = endpoint()
  let response: Response
  try {
    response = await fetch(`${baseUrl}${pathAndQuery}`, {
      ...(body === undefined ? {} : { method: 'POST', body }),
      headers: { ...headers, ...(token === '' ? {} : { authorization: `Bearer ${token}` }) },
      signal: AbortSignal.timeout(timeoutMs)
    })
  } catch (cause) {
    throw new L3lbError('L3LB_HA_SYNC', `no answer within ${timeoutMs} ms (${causeOf(cause)})`, { cause })
  }
  const answer = await response.json().catch(() => null) as { status?: PeerAnswer['status'] } | null
  if (typeof answer?.status?.code !== 'number' || typeof answer.status.message !== 'string') {
    throw new L3lbError('L3LB_HA_SYNC', `${baseUrl}${pathAndQuery.split('?')[0] ?? ''} did not answer with the ctl service's JSON (HTTP ${response.status})`)
  }
  return { httpStatus: response.status, status: answer.status }
}

// fetch's own message is only "fetch failed": the reason is in its cause
function causeOf (error: unknown): string {
  const inner = (error as { cause?: { message?: string } }).cause?.message
  return inner ?? (error as Error).message
}
