import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  isHostName,
  listenAddressesOverlap,
  parseIpAddress,
  parseListenAddress,
  parseListenAddresses,
  parseOutputAddress
} from '../../../src/properties/addresses.js'

test('parseIpAddress takes IPv4 and IPv6, brackets optional around IPv6 only', () => {
  assert.equal(parseIpAddress('10.0.0.1'), '10.0.0.1')
  assert.equal(parseIpAddress('fd00:1b::1'), 'fd00:1b::1')
  assert.equal(parseIpAddress('[fd00:1b::1]'), 'fd00:1b::1')
  assert.equal(parseIpAddress('::ffff:10.0.0.1'), '::ffff:10.0.0.1')
  for (const text of ['[10.0.0.1]', '010.0.0.1', '10.0.0.256', '10.0.0', 'fe80::1%eth0', '[fd00::1', 'host', '']) {
    assert.equal(parseIpAddress(text), null, text)
  }
})

test('isHostName follows RFC 1123', () => {
  for (const name of ['backend', 'web-1.example.com', '1and1.com', 'a.b.c.', 'x'.repeat(63) + '.com']) assert.ok(isHostName(name), name)
  for (const name of ['-web', 'web-', 'we_b', 'a..b', '', '.', 'x'.repeat(64) + '.com', '10.0.0.256', '1.2.3', 'a b']) assert.ok(!isHostName(name), name)
})

test('an output address is an IP or a host name, without brackets in the result', () => {
  assert.deepEqual(parseOutputAddress('[fd00:1b::2]'), { ok: true, address: 'fd00:1b::2' })
  assert.deepEqual(parseOutputAddress('app1.example'), { ok: true, address: 'app1.example' })
  assert.deepEqual(parseOutputAddress('198.18.0.2'), { ok: true, address: '198.18.0.2' })
})

test('an output address with a port says that ports do not belong there', () => {
  for (const text of ['10.0.0.1:80', 'app:8080', '[::1]:80']) {
    assert.deepEqual(parseOutputAddress(text), {
      ok: false,
      reason: `"${text}" is not accepted: give an IPv4 address, an IPv6 address (brackets optional) or a host name, without a port; a back end receives traffic on the port the client used`
    })
  }
})

test('an unspecified or malformed output address is refused', () => {
  assert.deepEqual(parseOutputAddress('0.0.0.0'), {
    ok: false,
    reason: '"0.0.0.0" is not accepted: an unspecified address is not a back end; give an IPv4 address, an IPv6 address (brackets optional) or a host name, without a port'
  })
  assert.equal(parseOutputAddress('[::]').ok, false)
  assert.deepEqual(parseOutputAddress('web_1'), {
    ok: false,
    reason: '"web_1" is not accepted: give an IPv4 address, an IPv6 address (brackets optional) or a host name, without a port'
  })
})

test('a listen address is an IP, wildcards included, never a host name', () => {
  assert.deepEqual(parseListenAddress('0.0.0.0'), { ok: true, address: '0.0.0.0' })
  assert.deepEqual(parseListenAddress('[::]'), { ok: true, address: '::' })
  assert.deepEqual(parseListenAddress('localhost'), {
    ok: false,
    reason: '"localhost" is not accepted: give an IPv4 address or an IPv6 address (brackets optional); 0.0.0.0 or :: listens on every address'
  })
})

test('a list of listen addresses splits on spaces and commas and drops repeats', () => {
  assert.deepEqual(parseListenAddresses(' 198.18.0.1, [fd00:1b::1] fd00:1b:0::1,198.18.0.1 '), { ok: true, addresses: ['198.18.0.1', 'fd00:1b::1'] })
  assert.deepEqual(parseListenAddresses(''), { ok: true, addresses: [] })
  assert.deepEqual(parseListenAddresses('198.18.0.1 web 10.1'), {
    ok: false,
    reasons: [
      '"web" is not accepted: give IPv4 or IPv6 addresses (brackets optional) separated by spaces or commas; empty listens on every address',
      '"10.1" is not accepted: give IPv4 or IPv6 addresses (brackets optional) separated by spaces or commas; empty listens on every address'
    ]
  })
})

test('listen addresses overlap when equal or when one covers the other', () => {
  const overlapping: Array<[string | null, string | null]> = [
    [null, '10.0.0.1'], ['::1', null], ['10.0.0.1', '10.0.0.1'], ['::1', '0:0:0:0:0:0:0:1'],
    ['0.0.0.0', '10.0.0.1'], ['10.0.0.1', '::'], ['::', 'fd00::1'], ['0.0.0.0', '::'],
    ['::ffff:10.0.0.1', '10.0.0.1'], ['0.0.0.0', '::ffff:127.0.0.1']
  ]
  for (const [a, b] of overlapping) assert.ok(listenAddressesOverlap(a, b), `${a} ${b}`)
  const apart: Array<[string, string]> = [['10.0.0.1', '10.0.0.2'], ['0.0.0.0', '::1'], ['::1', 'fd00::1'], ['127.0.0.1', '::1']]
  for (const [a, b] of apart) assert.ok(!listenAddressesOverlap(a, b), `${a} ${b}`)
})
