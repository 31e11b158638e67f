/**
 * Memory: pure parsers of /proc/meminfo and the cgroup memory files, and the
 * memory side of the connection formula (docs/limits.md explains the numbers).
 */
import { L3lbError } from '../errors.js'

/** The seed's floor: below 96 MB the appliance refuses to start. */
export const MINIMUM_MEMORY_BYTES = 96 * 1024 * 1024
/** Kept for the agent (Node) and HAProxy's own process before any session is counted. */
export const RESERVED_MEMORY_BYTES = 64 * 1024 * 1024
/** The seed's budget for one session (about 25 KB). */
export const SESSION_MEMORY_BYTES = 25_000
// cgroup v1 writes PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages) for "no limit"
const UNLIMITED_FROM_BYTES = 2 ** 60

const WHAT = 'could not determine appliance memory settings'

function unknown (detail: string): L3lbError {
  return new L3lbError('L3LB_MEMORY_UNKNOWN', `${WHAT}: ${detail}`)
}

/** MemTotal of a /proc/meminfo text, in bytes. */
export function parseMemTotal (meminfo: string): number {
  const match = /^MemTotal:\s*(\d+)\s*kB\s*$/m.exec(meminfo)
  if (match?.[1] === undefined) throw unknown('/proc/meminfo has no "MemTotal: <n> kB" line')
  const bytes = Number(match[1]) * 1024
  if (bytes <= 0) throw unknown(`/proc/meminfo MemTotal "${match[1]}" kB is not a positive size`)
  return bytes
}

function parseByteCount (text: string, file: string): number {
  const value = text.trim()
  if (!/^\d+$/.test(value)) throw unknown(`${file} holds "${value}", expected a byte count`)
  return Number(value)
}

/** A cgroup v1 memory.limit_in_bytes text: bytes, or null for the huge "no limit" value. */
export function parseV1MemoryLimit (text: string): number | null {
  const bytes = parseByteCount(text, 'memory.limit_in_bytes')
  return bytes >= UNLIMITED_FROM_BYTES ? null : bytes
}

/** A cgroup v2 memory.max text: bytes, or null for `max`. */
export function parseV2MemoryMax (text: string): number | null {
  if (text.trim() === 'max') return null
  return parseByteCount(text, 'memory.max (or "max")')
}

/** Sessions that fit in `memoryBytes` after the reserve, at the seed's 25 KB a session. */
export function connectionsForMemory (memoryBytes: number): number {
  return Math.max(0, Math.floor((memoryBytes - RESERVED_MEMORY_BYTES) / SESSION_MEMORY_BYTES))
}
