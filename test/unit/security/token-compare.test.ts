/**
 * The ctl_token check compares in constant time: timingSafeEqual over SHA-256 digests,
 * which have one length whatever was sent. Shown by behaviour (tokens of every length
 * are compared without a throw: timingSafeEqual throws on buffers of unequal length) and
 * by the source (no plain comparison of the token). Not a timing measurement.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { bearerTokenCheck } from '../../../src/ctl/auth.js'

const AUTH_SOURCE = fileURLToPath(new URL('../../../../src/ctl/auth.ts', import.meta.url))

test('tokens of every length, shorter, equal and longer than the one set, are compared without a throw', () => {
  const tokens = ['a', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(33), 'k'.repeat(64), 's3cr3t-' + 'q'.repeat(200), 'ctl:token!~']
  for (const token of tokens) {
    const check = bearerTokenCheck(token)
    for (let length = 0; length <= 300; length++) {
      const given = token.repeat(Math.ceil((length + 1) / token.length)).slice(0, length)
      const expected = given === token
      assert.equal(check(`Bearer ${given}`), expected && length > 0, `token of ${token.length}, given ${length}`)
    }
    // same length, one character different, anywhere
    for (let at = 0; at < token.length; at++) {
      const changed = token.slice(0, at) + (token[at] === '0' ? '1' : '0') + token.slice(at + 1)
      assert.equal(check(`Bearer ${changed}`), false)
    }
    // characters whose UTF-8 is longer than their UTF-16
    assert.equal(check(`Bearer ${'é'.repeat(token.length)}`), false)
    assert.equal(check(`Bearer ${'🙂'.repeat(token.length)}`), false)
    assert.equal(check(`Bearer ${token}`), true)
  }
})

test('auth.ts compares equal-length digests with timingSafeEqual and never the token itself', () => {
  const source = readFileSync(AUTH_SOURCE, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '')
  assert.match(source, /import\s*\{[^}]*\btimingSafeEqual\b[^}]*\}\s*from\s*'node:crypto'/)
  assert.match(source, /createHash\('sha256'\)/)
  // both sides of the comparison are digests of one fixed length
  assert.match(source, /timingSafeEqual\(\s*digestOf\(given\)\s*,\s*expected\s*\)/)
  assert.match(source, /const expected = digestOf\(token\)/)
  // no early-out comparison that would leak by timing
  assert.doesNotMatch(source, /\bgiven\s*(?:[!=]==|[!=]=(?!=))(?!\s*undefined\b)|[!=]=\s*(?:given|token)\b|\btoken\s*(?:[!=]==|[!=]=(?!=))(?!\s*'')|\.length\s*[!=]==?\s*(?:token|given)/)
})
