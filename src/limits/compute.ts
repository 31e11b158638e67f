/** The limits the appliance runs under, computed from host facts (pure; docs/limits.md). */
import { L3lbError } from '../errors.js'
import type { HostFacts, Limits } from './model.js'
import { MINIMUM_MEMORY_BYTES, connectionsForMemory } from './memory.js'
import { usableCpus } from './cpus.js'
import { connectionsForDescriptors, descriptorReserve, ulimitFor, DESCRIPTORS_PER_CONNECTION, INCLUDED_LISTENER_SOCKETS } from './descriptors.js'
import { DESCRIPTORS_PER_PIPE, MIN_PIPES, pipesFor } from './pipes.js'

/** HAProxy 2.6 is built with MAX_THREADS=64. */
export const MAX_NBTHREAD = 64

/** What HAProxy will open besides sessions, when the caller knows it. */
export interface LimitsOptions {
  /** Listening sockets HAProxy opens (ports x bind addresses, plus the stats UI); 100 are covered when not given. */
  readonly listenerSockets?: number
  /** Servers HAProxy checks (every TCP service's); 8 are covered when not given. */
  readonly checkedServers?: number
  /**
   * Descriptors HAProxy's configuration takes besides sessions, listeners and splice
   * pipes: the connections kept beyond `maxConnections` for the UI and sockets.
   */
  readonly extraDescriptors?: number
}

const MIB = 1024 * 1024

function mebibytes (bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB (${bytes} bytes)`
}

/**
 * The limits for `facts`: memory = the smaller of physical and cgroup memory; the
 * connection limit = the smallest of what memory allows, what the descriptor limit
 * allows and `configuredMaxConnections` (0 = not configured); splice pipes get the
 * descriptors the sessions leave, up to a quarter of the sessions (pipes.ts).
 */
export function computeLimits (facts: HostFacts, configuredMaxConnections: number, options: LimitsOptions = {}): Limits {
  if (!Number.isSafeInteger(configuredMaxConnections) || configuredMaxConnections < 0) {
    throw new L3lbError('L3LB_PROPERTIES_INVALID', `max_connections "${configuredMaxConnections}" is not accepted: expected a whole number, 0 or more (0 = computed)`)
  }
  const memoryBytes = facts.cgroupMemoryBytes === null
    ? facts.physicalMemoryBytes
    : Math.min(facts.physicalMemoryBytes, facts.cgroupMemoryBytes)
  if (memoryBytes < MINIMUM_MEMORY_BYTES) {
    throw new L3lbError('L3LB_MEMORY_TOO_SMALL', `memory available to the appliance is ${mebibytes(memoryBytes)}, less than the minimum of 96 MB (${MINIMUM_MEMORY_BYTES} bytes): give it more memory or raise its cgroup limit`)
  }

  const listenerSockets = options.listenerSockets ?? INCLUDED_LISTENER_SOCKETS
  const reserve = descriptorReserve(listenerSockets, options.checkedServers) + (options.extraDescriptors ?? 0) + DESCRIPTORS_PER_PIPE * MIN_PIPES
  const memoryMaxConnections = connectionsForMemory(memoryBytes)
  const descriptorMaxConnections = connectionsForDescriptors(facts.fileDescriptorHardLimit, reserve)
  if (descriptorMaxConnections < 1) {
    throw new L3lbError('L3LB_START_FAILED', `the file-descriptor hard limit ${facts.fileDescriptorHardLimit} leaves no descriptor for connections after ${reserve} reserved (${listenerSockets} listening sockets): raise LimitNOFILE or forward fewer ports`)
  }
  let maxConnections = Math.min(memoryMaxConnections, descriptorMaxConnections)
  if (configuredMaxConnections > 0) maxConnections = Math.min(maxConnections, configuredMaxConnections)

  const hardLimit = facts.fileDescriptorHardLimit
  const maxPipes = pipesFor(maxConnections, hardLimit - DESCRIPTORS_PER_CONNECTION * maxConnections - reserve)
  const pipesReserve = reserve + DESCRIPTORS_PER_PIPE * (maxPipes - MIN_PIPES)

  const cpus = usableCpus(facts.affinityCpus, facts.cgroupCpuQuota)
  return Object.freeze({
    memoryBytes,
    cpus,
    memoryMaxConnections,
    descriptorMaxConnections,
    maxConnections,
    nbthread: Math.min(cpus, MAX_NBTHREAD),
    maxPipes,
    ulimitN: ulimitFor(maxConnections, pipesReserve, hardLimit)
  })
}
