import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isL3lbError } from '../../../src/errors.js'
import { computeLimits } from '../../../src/limits/compute.js'
import type { HostFacts } from '../../../src/limits/model.js'

const MIB = 1024 * 1024
const GIB = 1024 * MIB

// A host with plenty of descriptors, so memory alone decides unless a test says otherwise.
function facts (overrides: Partial<HostFacts> = {}): HostFacts {
  return {
    physicalMemoryBytes: 1 * GIB,
    cgroupMemoryBytes: null,
    affinityCpus: 2,
    cgroupCpuQuota: null,
    fileDescriptorHardLimit: 1_048_576,
    ...overrides
  }
}

test('1 GiB gives about 40,000 sessions before the descriptor cap', () => {
  const limits = computeLimits(facts(), 0)
  assert.equal(limits.memoryBytes, GIB)
  assert.equal(limits.memoryMaxConnections, 40265)
  assert.equal(limits.descriptorMaxConnections, 524063)
  assert.equal(limits.maxConnections, 40265)
  // a pipe for a quarter of the sessions: 2 descriptors each beyond the 25 the reserve holds
  assert.equal(limits.maxPipes, 10066)
  assert.equal(limits.ulimitN, 2 * 40265 + 450 + 2 * (10066 - 25))
})

test('96 MB, the minimum, is accepted', () => {
  const limits = computeLimits(facts({ physicalMemoryBytes: 96 * MIB }), 0)
  assert.equal(limits.memoryBytes, 96 * MIB)
  assert.equal(limits.maxConnections, 1342)
})

test('95 MB is refused with the amount found and the minimum', () => {
  assert.throws(() => computeLimits(facts({ physicalMemoryBytes: 95 * MIB }), 0), (error: unknown) =>
    isL3lbError(error, 'L3LB_MEMORY_TOO_SMALL') &&
    error.message.includes('95.0 MiB (99614720 bytes)') &&
    error.message.includes('minimum of 96 MB (100663296 bytes)'))
})

test('a cgroup limit below physical memory is the memory limit, and can refuse', () => {
  const limits = computeLimits(facts({ physicalMemoryBytes: 24 * GIB, cgroupMemoryBytes: 512 * MIB }), 0)
  assert.equal(limits.memoryBytes, 512 * MIB)
  assert.equal(limits.maxConnections, 18790)
  assert.throws(() => computeLimits(facts({ physicalMemoryBytes: 24 * GIB, cgroupMemoryBytes: 64 * MIB }), 0),
    (error: unknown) => isL3lbError(error, 'L3LB_MEMORY_TOO_SMALL') && error.message.includes('64.0 MiB'))
})

test('a cgroup limit above physical memory changes nothing', () => {
  assert.equal(computeLimits(facts({ cgroupMemoryBytes: 8 * GIB }), 0).memoryBytes, GIB)
})

test('a quota of 1.5 CPUs gives 2 threads', () => {
  const limits = computeLimits(facts({ affinityCpus: 8, cgroupCpuQuota: 1.5 }), 0)
  assert.equal(limits.cpus, 2)
  assert.equal(limits.nbthread, 2)
})

test('an affinity of 1 CPU gives 1 thread whatever the quota', () => {
  const limits = computeLimits(facts({ affinityCpus: 1, cgroupCpuQuota: 4 }), 0)
  assert.equal(limits.cpus, 1)
  assert.equal(limits.nbthread, 1)
})

test('nbthread stops at HAProxy\'s 64 threads', () => {
  const limits = computeLimits(facts({ affinityCpus: 96 }), 0)
  assert.equal(limits.cpus, 96)
  assert.equal(limits.nbthread, 64)
})

test('a 20,000 descriptor hard limit caps 24 GiB at 9,775 sessions, 25 pipes and ulimit-n at 20,000', () => {
  const limits = computeLimits(facts({ physicalMemoryBytes: 24 * GIB, fileDescriptorHardLimit: 20000 }), 0)
  assert.equal(limits.memoryMaxConnections, 1028107)
  assert.equal(limits.descriptorMaxConnections, 9775)
  assert.equal(limits.maxConnections, 9775)
  assert.equal(limits.maxPipes, 25)
  assert.equal(limits.ulimitN, 20000)
})

test('listening sockets beyond the 100 covered enlarge the reserve', () => {
  const limits = computeLimits(facts({ physicalMemoryBytes: 24 * GIB, fileDescriptorHardLimit: 20000 }), 0, { listenerSockets: 1000 })
  assert.equal(limits.descriptorMaxConnections, 9325)
  assert.equal(limits.ulimitN, 20000)
  assert.throws(() => computeLimits(facts({ fileDescriptorHardLimit: 20000 }), 0, { listenerSockets: 20000 }),
    (error: unknown) => isL3lbError(error, 'L3LB_START_FAILED') && error.message.includes('hard limit 20000'))
})

test('a configured max_connections lowers the limit and never raises it', () => {
  const lowered = computeLimits(facts(), 5000)
  assert.equal(lowered.maxConnections, 5000)
  assert.equal(lowered.memoryMaxConnections, 40265)
  assert.equal(lowered.maxPipes, 1250)
  assert.equal(lowered.ulimitN, 2 * 5000 + 450 + 2 * (1250 - 25))
  assert.equal(computeLimits(facts(), 100_000).maxConnections, 40265)
  assert.equal(computeLimits(facts({ fileDescriptorHardLimit: 20000 }), 100_000).maxConnections, 9775)
})

test('pipes take only the descriptors the sessions leave', () => {
  // 9,000 sessions under 20,000: 18,000 + 450 reserved leave 1,550 descriptors, 775 pipes more
  const limits = computeLimits(facts({ fileDescriptorHardLimit: 20000 }), 9000)
  assert.equal(limits.maxConnections, 9000)
  assert.equal(limits.maxPipes, 25 + 775)
  assert.equal(limits.ulimitN, 20000)
})

test('a max_connections that is not a whole number 0 or more is refused', () => {
  assert.throws(() => computeLimits(facts(), -1), (error: unknown) =>
    isL3lbError(error, 'L3LB_PROPERTIES_INVALID') && error.message.includes('max_connections "-1"'))
  assert.throws(() => computeLimits(facts(), 1.5), (error: unknown) => isL3lbError(error, 'L3LB_PROPERTIES_INVALID'))
})

test('the limits are frozen', () => {
  assert.ok(Object.isFrozen(computeLimits(facts(), 0)))
})
