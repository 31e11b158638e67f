import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseServiceQuery, parseSelector, rawQuery } from '../../../src/ctl/query.js'
import { CtlRequestError } from '../../../src/ctl/request-error.js'

function refusal (url: string): string {
  try {
    parseSelector(url)
  } catch (error) {
    assert.ok(error instanceof CtlRequestError, `${url}: ${String(error)}`)
    assert.equal(error.code, 'L3LB_CTL_REQUEST')
    assert.equal(error.statusCode, 400)
    return error.message
  }
  assert.fail(`${url} was accepted`)
}

test('the raw query is everything after the first ?', () => {
  assert.equal(rawQuery('/api/status'), '')
  assert.equal(rawQuery('/api/disable?channel=out3'), 'channel=out3')
  assert.equal(rawQuery('/api/disable?a?b'), 'a?b')
})

test('channel=outN selects one output', () => {
  assert.deepEqual(parseSelector('/api/disable?channel=out3'), { channel: 'out3' })
  assert.deepEqual(parseSelector('/api/disable?channel=out8'), { channel: 'out8' })
  assert.deepEqual(parseSelector('/api/disable?%63hannel=%6Fut1'), { channel: 'out1' })
})

test('an address is the only key, or the value of address=', () => {
  assert.deepEqual(parseSelector('/api/disable?10.11.12.13'), { address: '10.11.12.13' })
  assert.deepEqual(parseSelector('/api/disable?address=10.11.12.13'), { address: '10.11.12.13' })
  assert.deepEqual(parseSelector('/api/disable?Backend.Example'), { address: 'backend.example' })
})

test('IPv6 works bare, bracketed, %-encoded, and in any spelling', () => {
  for (const query of ['fd00:1b::5', '%5Bfd00%3A1b%3A%3A5%5D', 'fd00%3A1b%3A%3A5', '[fd00:1b:0::5]', 'address=fd00:1b:0::5', 'FD00:1B::5']) {
    assert.deepEqual(parseSelector(`/api/enable?${query}`), { address: 'fd00:1b::5' }, query)
  }
})

test('empty pieces of the query are skipped', () => {
  assert.deepEqual(parseSelector('/api/enable?&channel=out2&'), { channel: 'out2' })
})

test('a malformed %-sequence is refused, naming it', () => {
  assert.match(refusal('/api/disable?10.11.12.%zz'), /malformed %-encoding in "10\.11\.12\.%zz"/)
  assert.match(refusal('/api/disable?channel=out%'), /malformed %-encoding in "out%"/)
  assert.match(refusal('/api/disable?%E0%A4%A'), /malformed %-encoding/)
})

test('no selector, or two, is refused with the accepted forms', () => {
  assert.match(refusal('/api/disable'), /^no output given: expected \?channel=outN \(out1\.\.out8\), \?address=ADDRESS or \?ADDRESS$/)
  assert.match(refusal('/api/disable?'), /^no output given/)
  assert.match(refusal('/api/disable?channel=out1&channel=out2'), /^one output expected, got 2: "channel=out1", "channel=out2"; send one of/)
  assert.match(refusal('/api/disable?channel=out1&10.1.1.1'), /got 2/)
})

test('an unknown channel names the value and out1..out8', () => {
  assert.equal(refusal('/api/disable?channel=out9'), 'unknown channel "out9": expected one of out1..out8')
  assert.equal(refusal('/api/disable?channel=foo'), 'unknown channel "foo": expected one of out1..out8')
  assert.equal(refusal('/api/disable?channel='), 'unknown channel "": expected one of out1..out8')
  assert.equal(refusal('/api/disable?channel=OUT3'), 'unknown channel "OUT3": expected one of out1..out8')
})

test('empty and invalid addresses are refused, naming the value', () => {
  assert.match(refusal('/api/disable?address='), /^empty address: expected an IPv4 address, an IPv6 address/)
  assert.match(refusal('/api/disable?10.11.12.256'), /^invalid address "10\.11\.12\.256": expected an IPv4 address, an IPv6 address \(brackets optional\) or a host name$/)
  assert.match(refusal('/api/disable?%5B10.1.1.1%5D'), /^invalid address "\[10\.1\.1\.1\]"/)
  assert.match(refusal('/api/disable?a%20b'), /^invalid address "a b"/)
  // %-encoded '=' is data, not the separator.
  assert.match(refusal('/api/disable?channel%3Dout3'), /^invalid address "channel=out3"/)
})

test('a forgotten value and unknown parameters are refused', () => {
  assert.match(refusal('/api/disable?channel'), /^"channel" needs a value/)
  assert.match(refusal('/api/disable?address'), /^"address" needs a value/)
  assert.match(refusal('/api/disable?foo=bar'), /^unknown query parameter "foo": expected/)
  assert.match(refusal('/api/disable?=10.1.1.1'), /^unknown query parameter "":/)
})

test('a long value is cut in the message', () => {
  const message = refusal(`/api/disable?channel=${'x'.repeat(500)}`)
  assert.ok(message.length < 200, message)
  assert.match(message, /x\.\.\."/)
})

test('service=NAME narrows a selector to one service; a channel then names any of its servers', () => {
  assert.deepEqual(parseSelector('/api/disable?service=web&channel=web1'), { channel: 'web1', service: 'web' })
  assert.deepEqual(parseSelector('/api/disable?channel=out3&service=default'), { channel: 'out3', service: 'default' })
  assert.deepEqual(parseSelector('/api/disable?service=web&198.18.1.2'), { address: '198.18.1.2', service: 'web' })
  assert.throws(() => parseSelector('/api/disable?service=Web&channel=a'), /^CtlRequestError: invalid service name "Web": expected default or 1 to 32 lower-case letters, digits and -$/)
  assert.throws(() => parseSelector('/api/disable?service=web&channel=Web1'), /invalid server name "Web1": expected 1 to 32 lower-case letters, digits and _/)
  assert.throws(() => parseSelector('/api/disable?service=a&service=b&channel=x'), /one service expected, got 2/)
  assert.throws(() => parseSelector('/api/disable?channel=web1'), /unknown channel "web1": expected one of out1..out8/)
})

test('/api/status?service=NAME; another query is ignored as the seed did', () => {
  assert.equal(parseServiceQuery('/api/status?service=web'), 'web')
  assert.equal(parseServiceQuery('/api/status'), undefined)
  assert.equal(parseServiceQuery('/api/status?%zz&whatever'), undefined)
})
