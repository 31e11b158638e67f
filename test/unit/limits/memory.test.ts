import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isL3lbError } from '../../../src/errors.js'
import {
  connectionsForMemory, parseMemTotal, parseV1MemoryLimit, parseV2MemoryMax,
  MINIMUM_MEMORY_BYTES, RESERVED_MEMORY_BYTES, SESSION_MEMORY_BYTES
} from '../../../src/limits/memory.js'
import { MEMINFO, V1_NO_LIMIT } from './samples.js'

function memoryUnknown (pattern: RegExp) {
  return (error: unknown) => isL3lbError(error, 'L3LB_MEMORY_UNKNOWN') &&
    error.message.startsWith('could not determine appliance memory settings: ') && pattern.test(error.message)
}

test('parseMemTotal reads MemTotal in bytes', () => {
  assert.equal(parseMemTotal(MEMINFO), 24684084 * 1024)
})

test('parseMemTotal refuses a text without MemTotal', () => {
  assert.throws(() => parseMemTotal('MemFree: 10 kB\n'), memoryUnknown(/MemTotal/))
})

test('parseV1MemoryLimit reads bytes and takes the huge value for no limit', () => {
  assert.equal(parseV1MemoryLimit('536870912\n'), 536870912)
  assert.equal(parseV1MemoryLimit(V1_NO_LIMIT), null)
})

test('parseV1MemoryLimit names the file and the value it refuses', () => {
  assert.throws(() => parseV1MemoryLimit('lots\n'), memoryUnknown(/memory\.limit_in_bytes holds "lots", expected a byte count/))
})

test('parseV2MemoryMax reads bytes and max', () => {
  assert.equal(parseV2MemoryMax('1073741824\n'), 1073741824)
  assert.equal(parseV2MemoryMax('max\n'), null)
  assert.throws(() => parseV2MemoryMax('-1\n'), memoryUnknown(/memory\.max.*"-1"/))
})

test('connectionsForMemory keeps 64 MiB and gives 25,000 bytes a session', () => {
  assert.equal(RESERVED_MEMORY_BYTES, 64 * 1024 * 1024)
  assert.equal(SESSION_MEMORY_BYTES, 25_000)
  assert.equal(connectionsForMemory(1024 ** 3), 40265)
  assert.equal(connectionsForMemory(MINIMUM_MEMORY_BYTES), 1342)
  assert.equal(connectionsForMemory(RESERVED_MEMORY_BYTES - 1), 0)
})
