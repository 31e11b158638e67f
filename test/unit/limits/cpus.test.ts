import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isL3lbError } from '../../../src/errors.js'
import { countCpuList, parseAffinityCpus, parseV1CpuQuota, parseV2CpuMax, usableCpus } from '../../../src/limits/cpus.js'
import { STATUS } from './samples.js'

function cpusUnknown (pattern: RegExp) {
  return (error: unknown) => isL3lbError(error, 'L3LB_CPUS_UNKNOWN') &&
    error.message.startsWith('could not determine the number of available CPUs: ') && pattern.test(error.message)
}

test('countCpuList counts single CPUs and ranges', () => {
  assert.equal(countCpuList('0'), 1)
  assert.equal(countCpuList('0-1'), 2)
  assert.equal(countCpuList('0-3,8,10-11\n'), 7)
  assert.equal(countCpuList('2,2-3'), 2)
})

test('countCpuList refuses what is not a CPU list', () => {
  assert.throws(() => countCpuList(''), cpusUnknown(/CPU list "" is not like 0-3,8/))
  assert.throws(() => countCpuList('0-a'), cpusUnknown(/"0-a"/))
  assert.throws(() => countCpuList('5-2'), cpusUnknown(/"5-2".*backwards/))
})

test('parseAffinityCpus reads Cpus_allowed_list and gives null without it', () => {
  assert.equal(parseAffinityCpus(STATUS), 2)
  assert.equal(parseAffinityCpus(STATUS.replace('0-1', '3')), 1)
  assert.equal(parseAffinityCpus('Name:\tcat\n'), null)
})

test('parseV1CpuQuota divides quota by period and takes -1 for none', () => {
  assert.equal(parseV1CpuQuota('-1\n', '100000\n'), null)
  assert.equal(parseV1CpuQuota('150000\n', '100000\n'), 1.5)
  assert.throws(() => parseV1CpuQuota('150000', '0'), cpusUnknown(/cpu\.cfs_period_us holds "0"/))
  assert.throws(() => parseV1CpuQuota('x', '100000'), cpusUnknown(/cpu\.cfs_quota_us holds "x"/))
})

test('parseV2CpuMax reads quota and period and takes max for none', () => {
  assert.equal(parseV2CpuMax('max 100000\n'), null)
  assert.equal(parseV2CpuMax('250000 100000\n'), 2.5)
  assert.throws(() => parseV2CpuMax('lots'), cpusUnknown(/cpu\.max holds "lots"/))
})

test('usableCpus rounds a quota up, caps it by the affinity and never goes below 1', () => {
  assert.equal(usableCpus(8, 1.5), 2)
  assert.equal(usableCpus(8, null), 8)
  assert.equal(usableCpus(1, 4), 1)
  assert.equal(usableCpus(4, 0.2), 1)
})
