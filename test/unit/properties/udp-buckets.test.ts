import { test } from 'node:test'
import assert from 'node:assert/strict'
import { alignedBlocks, BUCKETS, bucketRanges, bucketTable, weightedShares, type BucketServer } from '../../../src/properties/udp-buckets.js'
import { int, seededRandom } from '../../support/seeded-random.js'

const servers = (weights: readonly number[], down: readonly number[] = []): BucketServer[] =>
  weights.map((weight, index) => ({ weight, available: !down.includes(index) }))

function counts (table: ReadonlyArray<number | null>, n: number): number[] {
  const result = new Array<number>(n).fill(0)
  for (const server of table) if (server !== null) result[server] = (result[server] ?? 0) + 1
  return result
}

// the buckets whose server differs between two tables
function moved (a: ReadonlyArray<number | null>, b: ReadonlyArray<number | null>): number[] {
  return a.flatMap((server, bucket) => server === b[bucket] ? [] : [bucket])
}

test('weightedShares: each share is the floor or the ceiling of its exact part, and they add up', () => {
  assert.deepEqual(weightedShares([1, 1, 2], 1024), [256, 256, 512])
  assert.deepEqual(weightedShares([1, 1, 1], 1024), [342, 341, 341])
  assert.deepEqual(weightedShares([0, 0], 10), [0, 0])
  assert.deepEqual(weightedShares([3, 0, 1], 5), [4, 0, 1])
})

test('every server gets its weight\'s share of the buckets within one, in runs; weight 0 gets none', () => {
  const random = seededRandom(16)
  for (let round = 0; round < 200; round++) {
    const weights = Array.from({ length: int(random, 1, 40) }, () => int(random, 0, 256))
    const total = weights.reduce((sum, weight) => sum + weight, 0)
    const table = bucketTable(servers(weights))
    const got = counts(table, weights.length)
    weights.forEach((weight, index) => {
      const exact = total === 0 ? 0 : weight * BUCKETS / total
      assert.ok(Math.abs((got[index] ?? 0) - exact) < 1, `weights ${weights.join(',')}: server ${index} has ${got[index]}, exact ${exact}`)
    })
    if (total > 0) assert.equal(table.filter((server) => server === null).length, 0)
    // one run per server with buckets: the full table is contiguous
    assert.equal(bucketRanges(table).length, got.filter((count) => count > 0).length)
  }
})

test('a server that leaves moves only its own buckets, spread by weight over the others; when it returns it gets exactly those back', () => {
  const random = seededRandom(1614)
  for (let round = 0; round < 300; round++) {
    const weights = Array.from({ length: int(random, 2, 30) }, () => int(random, 1, 256))
    const down = Array.from({ length: int(random, 0, weights.length - 2) }, () => int(random, 0, weights.length - 1))
    const leaver = weights.findIndex((_, index) => !down.includes(index))
    const before = bucketTable(servers(weights, down))
    const after = bucketTable(servers(weights, [...down, leaver]))
    const its = before.flatMap((server, bucket) => server === leaver ? [bucket] : [])
    assert.deepEqual(moved(before, after), its, `weights ${weights.join(',')}, down ${down.join(',')}: only ${leaver}'s buckets move`)
    assert.ok(after.every((server) => server !== leaver && (server === null || !down.includes(server))))
    // and back: the table is a function of the availability only, so exactly its buckets return
    assert.deepEqual(bucketTable(servers(weights, down)), before)
  }
})

test('a single leaver\'s buckets go to the others by weight, within one bucket of their share', () => {
  const weights = [1, 2, 3, 4]
  const before = bucketTable(servers(weights))
  const after = bucketTable(servers(weights, [3]))
  const given = counts(moved(before, after).map((bucket) => after[bucket] ?? null), 4)
  const lost = counts(before, 4)[3] ?? 0
  ;[1, 2, 3].forEach((weight, index) => assert.ok(Math.abs((given[index] ?? 0) - lost * weight / 6) < 1, `server ${index} got ${given[index]} of ${lost}`))
})

test('no available server of weight above 0: every bucket has no server', () => {
  assert.ok(bucketTable(servers([1, 2], [0, 1])).every((server) => server === null))
  assert.ok(bucketTable(servers([0, 0])).every((server) => server === null))
  assert.ok(bucketTable([]).every((server) => server === null))
  // the only one left weighs 0: its share of the leaver's buckets is nothing
  assert.ok(bucketTable(servers([1, 0], [0])).every((server) => server === null))
})

test('aligned blocks: each a power of two at a multiple of itself, covering the run exactly', () => {
  const random = seededRandom(7)
  for (let round = 0; round < 500; round++) {
    const first = int(random, 0, BUCKETS - 1)
    const last = int(random, first, BUCKETS - 1)
    const covered: number[] = []
    for (const { value, mask } of alignedBlocks(first, last)) {
      for (let bucket = 0; bucket < BUCKETS; bucket++) if ((bucket & mask) === value) covered.push(bucket)
    }
    assert.deepEqual(covered, Array.from({ length: last - first + 1 }, (_, i) => first + i))
    assert.ok(alignedBlocks(first, last).length <= 2 * Math.log2(BUCKETS))
  }
  assert.deepEqual(alignedBlocks(0, BUCKETS - 1), [{ value: 0, mask: 0 }])
  assert.deepEqual(alignedBlocks(256, 511), [{ value: 256, mask: 0x300 }])
})
