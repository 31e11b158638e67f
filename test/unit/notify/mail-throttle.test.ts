import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MailThrottle } from '../../../src/notify/mail-throttle.js'

test('the first notice of a key goes at once; what follows within the hold waits and goes as one batch', () => {
  const throttle = new MailThrottle<string>(10_000)
  assert.equal(throttle.offer('out1', 'down', 0), 'send')
  assert.equal(throttle.offer('out1', 'up', 1000), 'hold')
  assert.equal(throttle.offer('out1', 'down', 2000), 'hold')
  assert.equal(throttle.nextDue(), 10_000)
  assert.deepEqual(throttle.due(9999), [])
  assert.deepEqual(throttle.due(10_000), [{ key: 'out1', items: ['up', 'down'] }])
  assert.equal(throttle.nextDue(), null)
  // the batch counted as a mail: the next notice within its hold waits too
  assert.equal(throttle.offer('out1', 'up', 15_000), 'hold')
  assert.equal(throttle.nextDue(), 20_000)
})

test('keys are held apart, and a key quiet for a whole hold sends at once again', () => {
  const throttle = new MailThrottle<string>(10_000)
  assert.equal(throttle.offer('out1', 'down', 0), 'send')
  assert.equal(throttle.offer('out2', 'down', 100), 'send')
  assert.equal(throttle.offer('role', 'MASTER', 200), 'send')
  assert.equal(throttle.offer('out1', 'up', 10_000), 'send')
})

test('a flapping key costs at most one mail per hold, and no notice is lost', () => {
  const hold = 8000
  const throttle = new MailThrottle<number>(hold)
  let mails = 0
  let delivered = 0
  // 20 changes 1.5 s apart, with due() polled every 100 ms as a timer would
  for (let now = 0, change = 0; now <= 60_000; now += 100) {
    for (const batch of throttle.due(now)) { mails += 1; delivered += batch.items.length }
    if (change < 20 && now === change * 1500) {
      if (throttle.offer('out2', change, now) === 'send') { mails += 1; delivered += 1 }
      change += 1
    }
  }
  assert.equal(delivered, 20)
  assert.ok(mails <= 1 + Math.ceil(30_000 / hold) + 1, `${mails} mails`)
})

test('drain gives back everything held, for the last mail on the way out', () => {
  const throttle = new MailThrottle<string>(10_000)
  throttle.offer('out1', 'down', 0)
  throttle.offer('out1', 'up', 1)
  throttle.offer('role', 'FAULT', 2)
  assert.deepEqual(throttle.drain(), [{ key: 'out1', items: ['up'] }])
  assert.equal(throttle.nextDue(), null)
  assert.equal(throttle.offer('out1', 'down', 3), 'send')
})
