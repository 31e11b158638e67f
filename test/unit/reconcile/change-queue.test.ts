import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ChangeQueue } from '../../../src/reconcile/change-queue.js'

const tick = async (ms = 5): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

test('jobs run one at a time, in the order asked, whatever the one before did', async () => {
  const queue = new ChangeQueue()
  const events: string[] = []
  const job = (name: string, fail = false) => async (): Promise<string> => {
    events.push(`${name} start`)
    await tick()
    events.push(`${name} end`)
    if (fail) throw new Error(name)
    return name
  }
  const results = await Promise.allSettled([queue.run(job('a')), queue.run(job('b', true)), queue.run(job('c'))])
  assert.deepEqual(events, ['a start', 'a end', 'b start', 'b end', 'c start', 'c end'])
  assert.deepEqual(results.map((result) => result.status === 'fulfilled' ? result.value : (result.reason as Error).message), ['a', 'b', 'c'])
})

test('a job asked while one runs waits for it, even when the running one was asked later than it started', async () => {
  const queue = new ChangeQueue()
  const events: string[] = []
  const first = queue.run(async () => { events.push('first start'); await tick(20); events.push('first end') })
  await tick(5)
  await Promise.all([first, queue.run(async () => { events.push('second') })])
  assert.deepEqual(events, ['first start', 'first end', 'second'])
})
