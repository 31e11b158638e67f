/**
 * Pure: the one rule for "the same server" across two states (a reload, a SIGHUP, the pair's
 * settings): the same server key sending to the same address and port. A server given
 * another address is another machine: its health, its counters and HAProxy's saved state of
 * it start again.
 */
import type { Properties, Service } from '../properties/model.js'
import { serverKey } from './server-key.js'

/** What a state says about its servers: the env file's outputs and the service files' servers. */
export interface ServerSet {
  readonly properties: Pick<Properties, 'outputs'>
  readonly services: readonly Pick<Service, 'name' | 'servers'>[]
}

// by the services' list, which an admin change or a health verdict hands on as it is: asked every second and on every change
const CACHE = new WeakMap<readonly object[], { readonly outputs: readonly object[], readonly targets: ReadonlyMap<string, string> }>()

/** Every server by key, to where it sends: `address` (the client's port) or `address port`. */
export function serverTargets (state: ServerSet): ReadonlyMap<string, string> {
  const cached = CACHE.get(state.services)
  if (cached !== undefined && cached.outputs === state.properties.outputs) return cached.targets
  const targets = new Map<string, string>()
  for (const output of state.properties.outputs) targets.set(output.name, output.address)
  for (const service of state.services) {
    for (const server of service.servers) {
      targets.set(serverKey(service.name, server.name), server.port === null ? server.address : `${server.address} ${String(server.port)}`)
    }
  }
  CACHE.set(state.services, { outputs: state.properties.outputs, targets })
  return targets
}

// every key of a targets map, for the states whose servers are the very same value
const KEYS = new WeakMap<ReadonlyMap<string, string>, ReadonlySet<string>>()

/** The keys of the servers that are the same in both: in `after`, with the target they had in `before`. */
export function sameServers (before: ServerSet, after: ServerSet): ReadonlySet<string> {
  const targets = serverTargets(after)
  if (before.services === after.services && before.properties.outputs === after.properties.outputs) {
    // an admin change or a health verdict hands the servers on as they are: at 1,000 servers, on every change
    let keys = KEYS.get(targets)
    if (keys === undefined) KEYS.set(targets, keys = new Set(targets.keys()))
    return keys
  }
  const was = serverTargets(before)
  return new Set([...targets].filter(([key, target]) => was.get(key) === target).map(([key]) => key))
}
