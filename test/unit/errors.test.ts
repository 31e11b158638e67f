import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ERROR_CODES, L3lbError, isL3lbError } from '../../src/errors.js'

test('an L3lbError keeps its code and cause', () => {
  const cause = new Error('root')
  const error = new L3lbError('L3LB_CONFIG_WRITE', 'could not create HAProxy configuration file', { cause })
  assert.equal(error.code, 'L3LB_CONFIG_WRITE')
  assert.equal(error.cause, cause)
  assert.ok(isL3lbError(error, 'L3LB_CONFIG_WRITE'))
  assert.ok(!isL3lbError(error, 'L3LB_CTL_LISTEN'))
  assert.ok(!isL3lbError(cause))
})

test('every error code is documented in docs/errors.md, and nothing else is', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
  const documented = [...doc.matchAll(/^\| `(L3LB_[A-Z_]+)` \|/gm)].map((match) => match[1])
  assert.deepEqual([...documented].sort(), Object.keys(ERROR_CODES).sort())
})
