import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Slots } from '../../../src/process/slots.js'

test('at most `size` jobs run at once; the others wait in the order they came and all finish', async () => {
  const slots = new Slots(3)
  let running = 0
  let most = 0
  const order: number[] = []
  const jobs = Array.from({ length: 20 }, (_, index) => slots.run(async () => {
    running++
    most = Math.max(most, running)
    order.push(index)
    await new Promise((resolve) => setTimeout(resolve, 2))
    running--
    return index
  }))
  assert.deepEqual(await Promise.all(jobs), Array.from({ length: 20 }, (_, index) => index))
  assert.equal(most, 3)
  assert.deepEqual(order, Array.from({ length: 20 }, (_, index) => index))
  assert.equal(slots.busy, 0)
})

test('a job that fails frees its slot', async () => {
  const slots = new Slots(1)
  await assert.rejects(slots.run(async () => { throw new Error('no') }), /no/)
  assert.equal(await slots.run(async () => 'next'), 'next')
  assert.equal(slots.busy, 0)
})
