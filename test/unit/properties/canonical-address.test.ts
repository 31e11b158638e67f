import { test } from 'node:test'
import assert from 'node:assert/strict'
import { canonicalAddress, canonicalIPv6 } from '../../../src/properties/canonical-address.js'

test('IPv4 addresses stay as they are', () => {
  assert.equal(canonicalAddress('198.18.0.11'), '198.18.0.11')
  assert.equal(canonicalAddress('0.0.0.0'), '0.0.0.0')
})

test('IPv6 spellings of one address share one canonical form', () => {
  for (const spelling of ['fd00:1b::5', 'fd00:1b:0::5', 'FD00:1B:0:0:0:0:0:5', 'fd00:001b::0005', '[fd00:1b::5]']) {
    assert.equal(canonicalAddress(spelling), 'fd00:1b::5', spelling)
  }
})

test('IPv6 compresses the longest run of zeros, the first on a tie, and never a single zero', () => {
  assert.equal(canonicalIPv6('1:0:0:2:0:0:0:3'), '1:0:0:2::3')
  assert.equal(canonicalIPv6('1:0:0:2:0:0:3:4'), '1::2:0:0:3:4')
  assert.equal(canonicalIPv6('1:0:2:3:4:5:6:7'), '1:0:2:3:4:5:6:7')
  assert.equal(canonicalIPv6('0:0:0:0:0:0:0:0'), '::')
  assert.equal(canonicalIPv6('0:0:0:0:0:0:0:1'), '::1')
  assert.equal(canonicalIPv6('1:0:0:0:0:0:0:0'), '1::')
})

test('IPv6 with an IPv4 tail: mapped addresses keep dotted form, others become hex', () => {
  assert.equal(canonicalAddress('::FFFF:198.18.0.11'), '::ffff:198.18.0.11')
  assert.equal(canonicalAddress('0:0:0:0:0:ffff:c612:b'), '::ffff:198.18.0.11')
  assert.equal(canonicalAddress('64:ff9b::198.18.0.11'), '64:ff9b::c612:b')
})

test('an IPv6 zone id is kept as given', () => {
  assert.equal(canonicalAddress('FE80:0::1%eth0'), 'fe80::1%eth0')
})

test('host names are lower-cased without a trailing dot', () => {
  assert.equal(canonicalAddress('Backend-1.Example.'), 'backend-1.example')
  assert.equal(canonicalAddress('localhost'), 'localhost')
})

test('what is no address is refused', () => {
  for (const text of ['', '10.11.12.256', '10.11.12', '1::2::3', '[198.18.0.11]', '[fd00::5', 'a_b.example',
    '-a.example', 'a-.example', 'a..example', 'a b', `${'a'.repeat(64)}.example`, `${'a.'.repeat(127)}ab`, '.']) {
    assert.equal(canonicalAddress(text), undefined, JSON.stringify(text))
  }
})
