/**
 * Pure: the settings both nodes of a pair share, and how a node's own env file and the
 * active node's shared settings combine. The shared ones describe the service (mode, ports,
 * outputs, checks, timeouts, the virtual addresses, where notices go) and every service file
 * of services_dir (SPEC §11, §12: the files are the configuration); the others describe
 * the node (its addresses, the VRRP interface and priority, the ctl token and port, which
 * must match for the nodes to talk at all).
 */
import { createHash } from 'node:crypto'
import { OUTPUT_NAMES } from './model.js'
import { PROPERTY_DEFAULTS, type PropertyName } from './schema.js'
import { RESERVED_SERVICE_NAMES, SERVICE_NAME, type ServiceFileEntries } from './service-file.js'
import { MAX_SERVICES } from './configuration.js'

/** The properties the active node's env file decides for both nodes, in a fixed order. */
export const PAIR_PROPERTIES: readonly PropertyName[] = [
  'mode', 'ports', 'max_connections', 'backup_outputs',
  'healthcheck_interval', 'healthcheck_rise', 'healthcheck_fall',
  'client_timeout', 'server_timeout', 'conn_timeout', 'tcp_splice', 'udp_snat', 'peer_port',
  'ha_vip', 'ha_out_vip', 'ha_router_id', 'mon_url', 'mon_interval', 'mail_to', 'mail_server', 'mail_hold',
  ...OUTPUT_NAMES
]

/** One service file's entries as the file gives them: name -> value (properties and server_<name> lines). */
export type ServiceFileSettings = Readonly<Record<string, string>>

/** Every service file of the pair, by service name (the file's name without `.env`). */
export type PairServices = Readonly<Record<string, ServiceFileSettings>>

/**
 * Every PAIR_PROPERTIES name with its value as text (defaults written out), and `services`:
 * every service file's entries.
 */
export interface PairSettings {
  readonly [name: string]: string | PairServices | undefined
  readonly services?: PairServices
}

/** One shared property where a node's own file says something else than the pair. */
export interface SettingDifference {
  readonly name: PropertyName
  readonly own: string
  readonly pair: string
}

/** The shared settings an env file's entries and its service files give (a name not given takes its default). */
export function pairSettingsOf (entries: ReadonlyMap<string, string>, services: PairServices = {}): PairSettings {
  return { ...Object.fromEntries(PAIR_PROPERTIES.map((name) => [name, entries.get(name) ?? PROPERTY_DEFAULTS[name]])), services: sortedServices(services) }
}

/** The service files as read (readServiceFiles), as shared settings. */
export function pairServicesOf (files: readonly ServiceFileEntries[]): PairServices {
  return sortedServices(Object.fromEntries(files.map((file) => [file.name, Object.fromEntries(file.entries)])))
}

/** One shared property's value as text ('' when absent). */
export function settingOf (settings: PairSettings, name: PropertyName): string {
  const value = settings[name]
  return typeof value === 'string' ? value : ''
}

/** The service files of shared settings (none when they carry none). */
export function servicesOf (settings: PairSettings): PairServices {
  return settings.services ?? {}
}

/** A short fingerprint of shared settings, the service files' entries included: equal settings, equal digest. */
export function settingsDigest (settings: PairSettings): string {
  const services = Object.entries(sortedServices(servicesOf(settings))).map(([name, entries]) => [name, Object.entries(entries).sort(byName)])
  const text = JSON.stringify([PAIR_PROPERTIES.map((name) => [name, settingOf(settings, name)]), services])
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/** What changed from one set of service files to another, by service name: for the log. */
export function serviceFileChanges (before: PairServices, after: PairServices): { added: string[], changed: string[], removed: string[] } {
  const same = (a: ServiceFileSettings, b: ServiceFileSettings): boolean => JSON.stringify(Object.entries(a).sort(byName)) === JSON.stringify(Object.entries(b).sort(byName))
  const names = (services: PairServices): string[] => Object.keys(services).sort()
  return {
    added: names(after).filter((name) => before[name] === undefined),
    changed: names(after).filter((name) => before[name] !== undefined && !same(before[name], after[name] ?? {})),
    removed: names(before).filter((name) => after[name] === undefined)
  }
}

/** `service files: web added, api changed`; '' when none changed. */
export function describeServiceFileChanges (before: PairServices, after: PairServices): string {
  const { added, changed, removed } = serviceFileChanges(before, after)
  const parts = [...added.map((name) => `${name} added`), ...changed.map((name) => `${name} changed`), ...removed.map((name) => `${name} removed`)]
  return parts.length === 0 ? '' : `service files: ${parts.join(', ')}`
}

/** A node's own entries with every shared property taken from `pair` (a default one left out, as a file would). */
export function withPairSettings (own: ReadonlyMap<string, string>, pair: PairSettings): Map<string, string> {
  const merged = new Map(own)
  for (const name of PAIR_PROPERTIES) {
    const value = typeof pair[name] === 'string' ? settingOf(pair, name) : PROPERTY_DEFAULTS[name]
    if (value === PROPERTY_DEFAULTS[name]) merged.delete(name)
    else merged.set(name, value)
  }
  return merged
}

/** The shared properties where `own` differs from `pair`, in PAIR_PROPERTIES order. */
export function settingsDifferences (own: ReadonlyMap<string, string>, pair: PairSettings): SettingDifference[] {
  const mine = pairSettingsOf(own)
  return PAIR_PROPERTIES.filter((name) => settingOf(mine, name) !== settingOf(pair, name)).map((name) => ({ name, own: settingOf(mine, name), pair: settingOf(pair, name) }))
}

/** One line naming the differences, values shortened: for the log. */
export function describeDifferences (differences: readonly SettingDifference[]): string {
  const short = (text: string): string => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text)
  return differences.map((difference) => `${difference.name} ${short(difference.own)} -> ${short(difference.pair)}`).join(', ')
}

/**
 * Shared settings read from the peer or from disk: every name a string, and `services` (absent
 * in a file an older version saved: none) with names a service file may have, entry names an
 * env file may have and values of one line, so that each can be written back as a file; null
 * otherwise.
 */
export function parsePairSettings (value: unknown): PairSettings | null {
  if (!isRecord(value)) return null
  const names = Object.keys(value).filter((name) => name !== 'services')
  if (names.length !== PAIR_PROPERTIES.length || !PAIR_PROPERTIES.every((name) => typeof value[name] === 'string')) return null
  const services = value.services === undefined ? {} : parseServices(value.services)
  if (services === null) return null
  return { ...Object.fromEntries(PAIR_PROPERTIES.map((name) => [name, value[name] as string])), services }
}

const ENTRY_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function parseServices (value: unknown): PairServices | null {
  if (!isRecord(value) || Object.keys(value).length > MAX_SERVICES) return null
  const services: Record<string, ServiceFileSettings> = {}
  for (const [name, entries] of Object.entries(value)) {
    if (!SERVICE_NAME.test(name) || RESERVED_SERVICE_NAMES.has(name) || !isRecord(entries)) return null
    const lines = Object.entries(entries)
    if (!lines.every(([entry, text]) => ENTRY_NAME.test(entry) && typeof text === 'string' && !/[\r\n\0]/.test(text))) return null
    services[name] = Object.fromEntries(lines) as ServiceFileSettings
  }
  return sortedServices(services)
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// by name, so that equal files compare and print alike
function sortedServices (services: PairServices): PairServices {
  return Object.fromEntries(Object.entries(services).sort(byName))
}

function byName (a: readonly [string, unknown], b: readonly [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
}

/**
 * Which entries a node runs: its own file, with the pair's shared settings when it is in a
 * pair and should follow them (a standby; a node booting with pair settings newer than its
 * file). A file without ha_vip is not in a pair, whatever the pair said before.
 */
export function effectiveEntries (own: ReadonlyMap<string, string>, pair: PairSettings | null, followPair: boolean): Map<string, string> {
  const inPair = (own.get('ha_vip') ?? '').trim() !== ''
  return pair === null || !inPair || !followPair ? new Map(own) : withPairSettings(own, pair)
}
