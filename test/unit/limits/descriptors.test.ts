import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isL3lbError } from '../../../src/errors.js'
import {
  connectionsForDescriptors, descriptorReserve, parseNofileHardLimit, ulimitFor,
  FIXED_DESCRIPTORS, INCLUDED_LISTENER_SOCKETS
} from '../../../src/limits/descriptors.js'
import { LIMITS } from './samples.js'

test('parseNofileHardLimit reads the hard column of Max open files', () => {
  assert.equal(parseNofileHardLimit(LIMITS), 20000)
  assert.equal(parseNofileHardLimit(LIMITS.replace('20000 ', 'unlimited')), 2 ** 30)
})

test('parseNofileHardLimit refuses a text without the line or with a bad value', () => {
  assert.throws(() => parseNofileHardLimit('Max processes 1 1 processes\n'),
    (error: unknown) => isL3lbError(error, 'L3LB_START_FAILED') && /Max open files/.test(error.message))
  assert.throws(() => parseNofileHardLimit(LIMITS.replace('20000 ', 'many ')),
    (error: unknown) => isL3lbError(error, 'L3LB_START_FAILED') && /"many"/.test(error.message))
})

test('descriptorReserve covers 100 listeners and adds any beyond', () => {
  assert.equal(FIXED_DESCRIPTORS + INCLUDED_LISTENER_SOCKETS, 400)
  assert.equal(descriptorReserve(10), 400)
  assert.equal(descriptorReserve(1000), 1300)
})

test('descriptorReserve covers the seed\'s 8 checked servers and adds one for each beyond', () => {
  assert.equal(descriptorReserve(10, 8), 400)
  assert.equal(descriptorReserve(10, 3), 400)
  assert.equal(descriptorReserve(10, 1000), 1392)
})

test('connectionsForDescriptors gives two descriptors a session after the reserve', () => {
  assert.equal(connectionsForDescriptors(20000, 400), 9800)
  assert.equal(connectionsForDescriptors(1024, 400), 312)
  assert.equal(connectionsForDescriptors(300, 400), 0)
})

test('ulimitFor gives two a session plus the reserve, capped by the hard limit', () => {
  assert.equal(ulimitFor(1000, 400, 20000), 2400)
  assert.equal(ulimitFor(9800, 400, 20000), 20000)
  assert.equal(ulimitFor(40000, 400, 20000), 20000)
})
