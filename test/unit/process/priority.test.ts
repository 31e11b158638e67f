import { test } from 'node:test'
import assert from 'node:assert/strict'
import { atNiceness } from '../../../src/process/priority.js'

test('a program started from a reniced agent runs at the niceness asked, through nice -n the difference', () => {
  assert.deepEqual(atNiceness('haproxy', ['-W', '-f', 'x.cfg'], 0, -10), { file: 'nice', args: ['-n', '10', 'haproxy', '-W', '-f', 'x.cfg'] })
  assert.deepEqual(atNiceness('haproxy', ['-W'], 0, 5), { file: 'nice', args: ['-n', '-5', 'haproxy', '-W'] })
})

test('at the same niceness the program runs as it is', () => {
  assert.deepEqual(atNiceness('haproxy', ['-W'], 0, 0), { file: 'haproxy', args: ['-W'] })
})
