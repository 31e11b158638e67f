import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bearerTokenCheck } from '../../../src/ctl/auth.js'

test('with an empty token every request passes', () => {
  const check = bearerTokenCheck('')
  assert.equal(check(undefined), true)
  assert.equal(check('Bearer anything'), true)
})

test('with a token only Bearer and that exact token pass', () => {
  const check = bearerTokenCheck('s3cret')
  assert.equal(check('Bearer s3cret'), true)
  assert.equal(check('bearer s3cret'), true)
  assert.equal(check(undefined), false)
  assert.equal(check(''), false)
  assert.equal(check('Bearer'), false)
  assert.equal(check('Bearer '), false)
  assert.equal(check('Bearer s3cre'), false)
  assert.equal(check('Bearer s3cret2'), false)
  assert.equal(check('Bearer S3CRET'), false)
  assert.equal(check('Basic s3cret'), false)
  assert.equal(check('s3cret'), false)
})

test('a token with inner spaces is compared whole', () => {
  const check = bearerTokenCheck('two words')
  assert.equal(check('Bearer two words'), true)
  assert.equal(check('Bearer two'), false)
})
