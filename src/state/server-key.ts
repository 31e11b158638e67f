/**
 * Pure: the one name of a server in the admin state and in ctl's answers: `outN` for the env
 * file's own service (as the seed saved and named it), `service/server` for a service file's.
 */
import { DEFAULT_SERVICE, OUTPUT_NAMES } from '../properties/model.js'

const FILE_SERVER_KEY = /^([a-z0-9][a-z0-9-]{0,31})\/([a-z0-9_]{1,32})$/

/** A service file's server: `SERVICE/SERVER` (neither name holds a `/`, so it cannot be an output's). */
export type ServerKey = `${string}/${string}`

/** The key of `server` of `service`. */
export function serverKey (service: string, server: string): string {
  return service === DEFAULT_SERVICE ? server : fileServerKey(service, server)
}

/** The key of a service file's server. */
export function fileServerKey (service: string, server: string): ServerKey {
  return `${service}/${server}`
}

/** The service a service file's server key names (`web` of `web/web1`); null for an output's. */
export function serviceOfKey (key: string): string | null {
  const slash = key.indexOf('/')
  return slash === -1 ? null : key.slice(0, slash)
}

/** Whether `key` names a service file's server (`web/web1`). */
export function isFileServerKey (key: string): boolean {
  return FILE_SERVER_KEY.test(key)
}

/** Whether `key` is a server key at all: an output of the env file (out1..out8) or a service file's server. */
export function isServerKey (key: string): boolean {
  return (OUTPUT_NAMES as readonly string[]).includes(key) || isFileServerKey(key)
}

/** Keys in a stable order: the env file's outputs first (out1..out8), then the others by name. */
export function sortedKeys (keys: Iterable<string>): string[] {
  return [...keys].sort((a, b) => {
    const fileA = isFileServerKey(a)
    const fileB = isFileServerKey(b)
    if (fileA !== fileB) return fileA ? 1 : -1
    return a < b ? -1 : a > b ? 1 : 0
  })
}
