/** (SPEC §14) The sip and udp checks' pure parts: the OPTIONS request and the reading of answers. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BRANCH_COOKIE, freshSipIds, sipAnswerIsUp, sipOptionsRequest, sipResponse } from '../../../src/health/sip-message.js'
import { udpAnswerIsUp } from '../../../src/health/udp-probe.js'

const IDS = { callId: 'c0ffee@l3lb', branch: `${BRANCH_COOKIE}abc`, tag: 't1' }

test('the OPTIONS request has every header RFC 3261 §8.1.1 asks for, CRLF line ends and an empty body', () => {
  const request = sipOptionsRequest({ address: '198.18.2.2', port: 5060 }, { address: '198.18.2.1', port: 40000 }, IDS)
  assert.equal(request, [
    'OPTIONS sip:198.18.2.2:5060 SIP/2.0',
    'Via: SIP/2.0/UDP 198.18.2.1:40000;branch=z9hG4bKabc;rport',
    'Max-Forwards: 70',
    'To: <sip:198.18.2.2:5060>',
    'From: <sip:l3lb@198.18.2.1:40000>;tag=t1',
    'Call-ID: c0ffee@l3lb',
    'CSeq: 1 OPTIONS',
    'Contact: <sip:l3lb@198.18.2.1:40000>',
    'Accept: application/sdp',
    'User-Agent: l3lb health check',
    'Content-Length: 0',
    '',
    ''
  ].join('\r\n'))
})

test('IPv6 hosts are in brackets', () => {
  const request = sipOptionsRequest({ address: 'fd00:1b::2', port: 5060 }, { address: 'fd00:1b::1', port: 4000 }, IDS)
  assert.match(request, /^OPTIONS sip:\[fd00:1b::2\]:5060 SIP\/2\.0\r\nVia: SIP\/2\.0\/UDP \[fd00:1b::1\]:4000;/)
})

test('fresh identifiers each time, the branch with the magic cookie', () => {
  const a = freshSipIds()
  const b = freshSipIds()
  assert.ok(a.branch.startsWith(BRANCH_COOKIE) && b.branch.startsWith(BRANCH_COOKIE))
  assert.notEqual(a.callId, b.callId)
  assert.notEqual(a.branch, b.branch)
  assert.notEqual(a.tag, b.tag)
  let n = 0
  assert.deepEqual(freshSipIds((bytes) => `${bytes}-${n++}`), { callId: '12-0@l3lb', branch: 'z9hG4bK8-1', tag: '6-2' })
})

const answer = (status: string, callId = IDS.callId, header = 'Call-ID'): string => `${status}\r\nVia: x\r\n${header}: ${callId}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`

test('an answer: by default any status below 500 is up; 5xx and 6xx are down', () => {
  assert.equal(sipAnswerIsUp(answer('SIP/2.0 200 OK'), IDS.callId, null), true)
  assert.equal(sipAnswerIsUp(answer('SIP/2.0 404 Not Found'), IDS.callId, null), true)
  assert.equal(sipAnswerIsUp(answer('SIP/2.0 503 Service Unavailable'), IDS.callId, null), false)
  assert.equal(sipAnswerIsUp(answer('SIP/2.0 603 Decline'), IDS.callId, null), false)
})

test('healthcheck_expect is matched against the status line', () => {
  assert.equal(sipAnswerIsUp(answer('SIP/2.0 200 OK'), IDS.callId, /^SIP\/2\.0 200/), true)
  assert.equal(sipAnswerIsUp(answer('SIP/2.0 404 Not Found'), IDS.callId, /^SIP\/2\.0 200/), false)
  assert.equal(sipAnswerIsUp(answer('SIP/2.0 503 Busy'), IDS.callId, /5\d\d/), true)
})

test('an answer to another request, or not a SIP response, says nothing', () => {
  assert.equal(sipResponse(answer('SIP/2.0 200 OK', 'other@x'), IDS.callId), null)
  assert.equal(sipResponse('OPTIONS sip:x SIP/2.0\r\nCall-ID: c0ffee@l3lb\r\n\r\n', IDS.callId), null)
  assert.equal(sipResponse('HTTP/1.1 200 OK\r\n\r\n', IDS.callId), null)
  assert.equal(sipResponse('garbage', IDS.callId), null)
  assert.deepEqual(sipResponse(answer('SIP/2.0 180 Ringing', IDS.callId, 'i'), IDS.callId), { line: 'SIP/2.0 180 Ringing', code: 180 })
  assert.deepEqual(sipResponse(answer('SIP/2.0 200 OK', IDS.callId, 'call-id').replace(/\r\n/g, '\n'), IDS.callId), { line: 'SIP/2.0 200 OK', code: 200 })
})

test('a udp answer: any, or one matching, bytes read one character each', () => {
  assert.equal(udpAnswerIsUp(Buffer.from('whatever'), null), true)
  assert.equal(udpAnswerIsUp(Buffer.alloc(0), null), true)
  assert.equal(udpAnswerIsUp(Buffer.from('PONG 1'), /^PONG/), true)
  assert.equal(udpAnswerIsUp(Buffer.from('ERR'), /^PONG/), false)
  assert.equal(udpAnswerIsUp(Buffer.from([0x00, 0xff, 0x41]), /^.\xffA$/s), true)
})
