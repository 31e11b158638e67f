/**
 * Pure: the settings both nodes of a pair share, and how a node's own env file and the
 * active node's shared settings combine. The shared ones describe the service (mode, ports,
 * outputs, checks, timeouts, the virtual addresses, where notices go); the others describe
 * the node (its addresses, the VRRP interface and priority, the ctl token and port, which
 * must match for the nodes to talk at all).
 */
import { createHash } from 'node:crypto'
import { OUTPUT_NAMES } from './model.js'
import { PROPERTY_DEFAULTS, type PropertyName } from './schema.js'

/** The properties the active node's env file decides for both nodes, in a fixed order. */
export const PAIR_PROPERTIES: readonly PropertyName[] = [
  'mode', 'ports', 'max_connections', 'backup_outputs',
  'healthcheck_interval', 'healthcheck_rise', 'healthcheck_fall',
  'client_timeout', 'server_timeout', 'conn_timeout', 'tcp_splice', 'udp_snat', 'peer_port',
  'ha_vip', 'ha_out_vip', 'ha_router_id', 'mon_url', 'mon_interval', 'mail_to', 'mail_server', 'mail_hold',
  ...OUTPUT_NAMES
]

/** Every PAIR_PROPERTIES name with its value as text (defaults written out). */
export type PairSettings = Readonly<Record<string, string>>

/** One shared property where a node's own file says something else than the pair. */
export interface SettingDifference {
  readonly name: PropertyName
  readonly own: string
  readonly pair: string
}

/** The shared settings an env file's entries give (a name not given takes its default). */
export function pairSettingsOf (entries: ReadonlyMap<string, string>): PairSettings {
  return Object.fromEntries(PAIR_PROPERTIES.map((name) => [name, entries.get(name) ?? PROPERTY_DEFAULTS[name]]))
}

/** A short fingerprint of shared settings: equal settings, equal digest. */
export function settingsDigest (settings: PairSettings): string {
  const text = JSON.stringify(PAIR_PROPERTIES.map((name) => [name, settings[name] ?? '']))
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/** A node's own entries with every shared property taken from `pair` (a default one left out, as a file would). */
export function withPairSettings (own: ReadonlyMap<string, string>, pair: PairSettings): Map<string, string> {
  const merged = new Map(own)
  for (const name of PAIR_PROPERTIES) {
    const value = pair[name] ?? PROPERTY_DEFAULTS[name]
    if (value === PROPERTY_DEFAULTS[name]) merged.delete(name)
    else merged.set(name, value)
  }
  return merged
}

/** The shared properties where `own` differs from `pair`, in PAIR_PROPERTIES order. */
export function settingsDifferences (own: ReadonlyMap<string, string>, pair: PairSettings): SettingDifference[] {
  const mine = pairSettingsOf(own)
  return PAIR_PROPERTIES.filter((name) => mine[name] !== pair[name]).map((name) => ({ name, own: mine[name] ?? '', pair: pair[name] ?? '' }))
}

/** One line naming the differences, values shortened: for the log. */
export function describeDifferences (differences: readonly SettingDifference[]): string {
  const short = (text: string): string => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text)
  return differences.map((difference) => `${difference.name} ${short(difference.own)} -> ${short(difference.pair)}`).join(', ')
}

/** Shared settings read from the peer or from disk: every name a string, nothing else; null otherwise. */
export function parsePairSettings (value: unknown): PairSettings | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const record = value as Record<string, unknown>
  const names = Object.keys(record)
  if (names.length !== PAIR_PROPERTIES.length || !PAIR_PROPERTIES.every((name) => typeof record[name] === 'string')) return null
  return Object.fromEntries(PAIR_PROPERTIES.map((name) => [name, record[name] as string]))
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
