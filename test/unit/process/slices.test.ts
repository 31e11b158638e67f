import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate } from 'node:timers/promises'
import { forEachInSlices, readInSlices, Slices, type PartReader } from '../../../src/process/slices.js'

// a reader of `total` numbers, `count` at a time
function numbers (total: number): PartReader<number> {
  const rows: number[] = []
  return { rows, next: (count) => { while (count-- > 0 && rows.length < total) rows.push(rows.length); return rows.length < total } }
}

test('work in slices lets the event loop run between slices, and only then', async () => {
  // a slice of no time is always used up: what waits on the event loop runs before the read ends
  let ran = false
  setImmediate().then(() => { ran = true }, () => undefined)
  assert.deepEqual((await readInSlices(numbers(1000), new Slices(0))).length, 1000)
  assert.equal(ran, true)

  // a slice longer than the work: it runs to its end in one go
  ran = false
  setImmediate().then(() => { ran = true }, () => undefined)
  const items: number[] = []
  await forEachInSlices(Array.from({ length: 1000 }, (_, k) => k), (k) => { items.push(k) }, new Slices(60_000))
  assert.equal(ran, false)
  assert.deepEqual(items, Array.from({ length: 1000 }, (_, k) => k), 'every item, in order')
})

test('a slice is due once its time is used up, and next() starts a new one', async () => {
  const slices = new Slices(5)
  assert.equal(slices.due, false)
  const until = performance.now() + 6
  while (performance.now() < until) { /* the slice's time, used up */ }
  assert.equal(slices.due, true)
  await slices.next()
  assert.equal(slices.due, false)
})
