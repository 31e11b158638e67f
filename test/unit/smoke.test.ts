import { test } from 'node:test'
import assert from 'node:assert/strict'
import { L3lbError, isL3lbError } from '../../src/errors.js'

test('an L3lbError keeps its code and cause', () => {
  const cause = new Error('root')
  const error = new L3lbError('L3LB_CONFIG_WRITE', 'could not create HAProxy configuration file', { cause })
  assert.equal(error.code, 'L3LB_CONFIG_WRITE')
  assert.equal(error.cause, cause)
  assert.ok(isL3lbError(error, 'L3LB_CONFIG_WRITE'))
  assert.ok(!isL3lbError(error, 'L3LB_CTL_LISTEN'))
})
