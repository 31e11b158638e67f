import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MIN_PIPES, pipesFor } from '../../../src/limits/pipes.js'

test('a quarter of the sessions get a pipe when descriptors are plenty', () => {
  assert.equal(pipesFor(40_000, 1_000_000), 10_000)
  assert.equal(pipesFor(1001, 1_000_000), 250)
})

test('pipes beyond the 25 the reserve holds take 2 spare descriptors each', () => {
  assert.equal(pipesFor(40_000, 0), MIN_PIPES)
  assert.equal(pipesFor(40_000, 1), MIN_PIPES)
  assert.equal(pipesFor(40_000, 2), MIN_PIPES + 1)
  assert.equal(pipesFor(40_000, 1550), MIN_PIPES + 775)
})

test('never fewer than the 25 the reserve holds', () => {
  assert.equal(pipesFor(1, 1_000_000), MIN_PIPES)
  assert.equal(pipesFor(100, 1_000_000), MIN_PIPES)
  assert.equal(pipesFor(40_000, -10), MIN_PIPES)
})
