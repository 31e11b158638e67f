import { test } from 'node:test'
import assert from 'node:assert/strict'
import { applyAllOrNothing, failureError, type Step } from '../../../src/agent/all-or-nothing.js'
import { L3lbError } from '../../../src/errors.js'

// A step that records what it did in `calls`; `fails` makes apply or undo throw.
function step (name: string, calls: string[], options: { changed?: boolean, fails?: 'apply' | 'undo' | 'both' } = {}): Step {
  return {
    name,
    apply: async () => {
      calls.push(`apply ${name}`)
      if (options.fails === 'apply' || options.fails === 'both') throw new L3lbError('L3LB_START_FAILED', `${name} refused its new configuration`)
      return options.changed ?? true
    },
    undo: async () => {
      calls.push(`undo ${name}`)
      if (options.fails === 'undo' || options.fails === 'both') throw new Error(`${name} did not take the old one back`)
    }
  }
}

test('every step applies in order and none is undone when all take', async () => {
  const calls: string[] = []
  await applyAllOrNothing([step('the ctl service', calls), step('HAProxy', calls), step('keepalived', calls)])
  assert.deepEqual(calls, ['apply the ctl service', 'apply HAProxy', 'apply keepalived'])
})

test('a failing step is undone, then every earlier one in reverse; the later ones never run', async () => {
  const calls: string[] = []
  await assert.rejects(applyAllOrNothing([
    step('the ctl service', calls), step('HAProxy', calls), step('conntrackd', calls, { changed: false }),
    step('keepalived', calls, { fails: 'apply' }), step('never', calls)
  ]), (error: unknown) => {
    assert.ok(error instanceof L3lbError)
    assert.equal(error.code, 'L3LB_RELOAD_UNDONE')
    // conntrackd changed nothing: undone all the same, but not named
    assert.equal(error.message, 'keepalived failed; the ctl service and HAProxy were put back: the previous configuration runs. keepalived: keepalived refused its new configuration')
    assert.match(String((error.cause as Error).message), /^keepalived refused/)
    return true
  })
  assert.deepEqual(calls, [
    'apply the ctl service', 'apply HAProxy', 'apply conntrackd', 'apply keepalived',
    'undo keepalived', 'undo conntrackd', 'undo HAProxy', 'undo the ctl service'
  ])
})

test('nothing else changed and all went back: the step\'s own error, as is', async () => {
  const calls: string[] = []
  const own = new L3lbError('L3LB_CONFIG_INVALID', 'HAProxy rejected the configuration')
  await assert.rejects(applyAllOrNothing([
    step('the ctl service', calls, { changed: false }),
    { name: 'HAProxy', apply: async () => { throw own }, undo: async () => { calls.push('undo HAProxy') } }
  ]), (error: unknown) => error === own)
  assert.deepEqual(calls, ['apply the ctl service', 'undo HAProxy', 'undo the ctl service'])
})

test('an undo that fails does not stop the others, and the message says which part runs what', async () => {
  const calls: string[] = []
  await assert.rejects(applyAllOrNothing([
    step('the ctl service', calls), step('HAProxy', calls, { fails: 'undo' }), step('keepalived', calls, { fails: 'both' })
  ]), (error: unknown) => {
    assert.ok(error instanceof L3lbError)
    assert.equal(error.code, 'L3LB_RELOAD_MIXED')
    assert.equal(error.message, 'keepalived failed, and not every part could be put back: ' +
      'keepalived is as its failure left it (putting it back failed: keepalived did not take the old one back); ' +
      'HAProxy runs the new configuration (putting it back failed: HAProxy did not take the old one back); ' +
      'every other part runs the previous configuration. keepalived: keepalived refused its new configuration')
    return true
  })
  assert.deepEqual(calls, ['apply the ctl service', 'apply HAProxy', 'apply keepalived', 'undo keepalived', 'undo HAProxy', 'undo the ctl service'])
})

test('the message names one part put back, three, and a failure that is not an Error', () => {
  const one = failureError({ failed: 'conntrackd', error: new Error('no address'), changed: ['HAProxy'], notUndone: [] }) as Error
  assert.equal(one.message, 'conntrackd failed; HAProxy was put back: the previous configuration runs. conntrackd: no address')
  const three = failureError({ failed: 'keepalived', error: 'exit 1', changed: ['the ctl service', 'HAProxy', 'conntrackd'], notUndone: [] }) as Error
  assert.equal(three.message, 'keepalived failed; the ctl service, HAProxy and conntrackd were put back: the previous configuration runs. keepalived: exit 1')
})
