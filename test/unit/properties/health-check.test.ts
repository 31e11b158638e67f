/** (SPEC §14) The check properties: each value's message, the rules across them, the env file and service files alike. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeEscapes, parseExpect, parseHttp, parseKind, parseSend } from '../../../src/properties/health-check.js'
import { accept, validate } from '../../support/property-entries.js'
import { validateConfiguration } from '../../../src/properties/configuration.js'
import { parseEnvFile } from '../../../src/properties/envfile.js'
import { entryValues } from '../../../src/properties/load.js'

function problemsOf (entries: Record<string, string>): Array<[string, string, string]> {
  const result = validate(entries)
  assert.ok(!result.ok, `expected ${JSON.stringify(entries)} to be refused`)
  return result.problems.map((problem) => [problem.property, problem.value, problem.message])
}

function serviceResult (text: string): ReturnType<typeof validateConfiguration> {
  const parsed = parseEnvFile(text)
  return validateConfiguration({ file: '/etc/l3lb/l3lb.env', entries: new Map(), lineProblems: [] }, [{ name: 'voice', file: '/etc/l3lb/services.d/voice.env', entries: entryValues(parsed), lineProblems: parsed.problems }])
}

test('no check property: the seed\'s properties, with no healthcheck key at all', () => {
  assert.equal('healthcheck' in accept({}), false)
  assert.equal('healthcheck' in accept({ healthcheck_kind: 'tcp' }), false)
  assert.equal('healthcheck' in accept({ mode: 'udp_roundrobin', healthcheck_kind: 'icmp' }), false)
})

test('each kind with its properties becomes the check', () => {
  assert.deepEqual(accept({ healthcheck_kind: 'http', healthcheck_http: 'HEAD /health?full=1 204' }).healthcheck, { kind: 'http', method: 'HEAD', path: '/health?full=1', status: 204 })
  assert.deepEqual(accept({ healthcheck_kind: 'http' }).healthcheck, { kind: 'http', method: 'GET', path: '/', status: 200 })
  assert.deepEqual(accept({ healthcheck_kind: 'send_expect', healthcheck_send: 'PING\\r\\n', healthcheck_expect: '^\\+PONG' }).healthcheck, { kind: 'send_expect', send: '50494e470d0a', expect: '^\\+PONG' })
  assert.deepEqual(accept({ healthcheck_kind: 'send_expect', healthcheck_expect: '^220 ' }).healthcheck, { kind: 'send_expect', send: '', expect: '^220 ' })
  assert.deepEqual(accept({ mode: 'udp_roundrobin', healthcheck_kind: 'udp', healthcheck_send: '\\x00\\x01hi' }).healthcheck, { kind: 'udp', send: '00016869', expect: null })
  assert.deepEqual(accept({ mode: 'udp_roundrobin', healthcheck_kind: 'sip', healthcheck_expect: '^SIP/2\\.0 200' }).healthcheck, { kind: 'sip', expect: '^SIP/2\\.0 200' })
  assert.deepEqual(accept({ mode: 'udp_roundrobin', healthcheck_kind: 'sip' }).healthcheck, { kind: 'sip', expect: null })
})

test('healthcheck_port moves the checks; empty keeps the first port of ports', () => {
  assert.equal(accept({ ports: '443,80' }).healthcheckPort, 443)
  assert.equal(accept({ ports: '443,80', healthcheck_port: '8081' }).healthcheckPort, 8081)
  assert.deepEqual(problemsOf({ healthcheck_port: '0' }), [['healthcheck_port', '0', '"0" is not accepted: healthcheck_port value must be between 1 and 65535, or empty for the first port of ports']])
})

test('a bad kind lists the kinds of both protocols', () => {
  assert.deepEqual(problemsOf({ healthcheck_kind: 'HTTP' }), [['healthcheck_kind', 'HTTP', '"HTTP" is not accepted: healthcheck_kind takes tcp, http, send_expect (TCP modes, tcp the default) or icmp, udp, sip (UDP modes, icmp the default); empty = the mode\'s default']])
})

test('a kind of the other protocol is refused, naming the mode and its kinds', () => {
  assert.deepEqual(problemsOf({ mode: 'udp_roundrobin', healthcheck_kind: 'http' }), [['healthcheck_kind', 'http', '"http" is not accepted: http checks TCP services, and mode udp_roundrobin is UDP: its kinds are icmp, udp, sip']])
  assert.deepEqual(problemsOf({ healthcheck_kind: 'sip' }), [['healthcheck_kind', 'sip', '"sip" is not accepted: sip checks UDP services, and mode tcp_roundrobin is TCP: its kinds are tcp, http, send_expect']])
})

test('udp needs healthcheck_send; send_expect needs healthcheck_expect', () => {
  assert.deepEqual(problemsOf({ mode: 'udp_roundrobin', healthcheck_kind: 'udp' }), [['healthcheck_send', '', '"" is not accepted: healthcheck_kind=udp needs healthcheck_send, the bytes of the datagram sent (an empty datagram gets silence from most services)']])
  assert.deepEqual(problemsOf({ healthcheck_kind: 'send_expect', healthcheck_send: 'x' }), [['healthcheck_expect', '', '"" is not accepted: healthcheck_kind=send_expect needs healthcheck_expect, the regular expression the answer must match']])
})

test('healthcheck_http: METHOD PATH STATUS, each part checked', () => {
  const accepted = 'give METHOD PATH STATUS, e.g. "GET /health 200": an upper-case method, a path starting with / of URI characters (no spaces, quotes, # or backslash), and the status from 100 to 599 that means up'
  for (const text of ['GET /health', 'get /health 200', 'GET health 200', 'GET /a#b 200', 'GET /a\'b 200', 'GET /health 600', 'GET /health 20x', 'GET /a b 200', '']) {
    assert.deepEqual(parseHttp(text), { ok: false, reasons: [`${JSON.stringify(text)} is not accepted: ${accepted}`] }, text)
  }
  assert.deepEqual(problemsOf({ healthcheck_http: 'GET /x' }), [['healthcheck_http', 'GET /x', `"GET /x" is not accepted: ${accepted}`]])
})

test('healthcheck_send: escapes decoded, unknown ones and too many bytes refused', () => {
  const bytes = (text: string): string => { const decoded = decodeEscapes(text); assert.ok('bytes' in decoded, text); return decoded.bytes.toString('hex') }
  assert.equal(bytes('a\\r\\n\\t\\\\b'), '610d0a095c62')
  assert.equal(bytes('\\x00\\xFF\\x7f'), '00ff7f')
  assert.equal(bytes('é'), 'c3a9')
  assert.equal(bytes(''), '')
  assert.deepEqual(parseSend('ab\\q'), { ok: false, reasons: ['"ab\\\\q" is not accepted: the escape "\\\\q" at character 3 is not one l3lb decodes: give \\r, \\n, \\t, \\\\ or \\xHH (two hex digits)'] })
  assert.deepEqual(parseSend('\\x4'), { ok: false, reasons: ['"\\\\x4" is not accepted: the escape "\\\\x4" at character 1 is not one l3lb decodes: give \\r, \\n, \\t, \\\\ or \\xHH (two hex digits)'] })
  assert.deepEqual(parseSend('x'.repeat(1025)), { ok: false, reasons: [`${JSON.stringify('x'.repeat(1025))} is not accepted: at most 1024 bytes once decoded; this is 1025`] })
  assert.deepEqual(parseSend('\\x41'.repeat(1024)), { ok: true, value: '41'.repeat(1024) })
})

test('healthcheck_expect: a regular expression that haproxy.cfg can carry between single quotes', () => {
  assert.deepEqual(parseExpect('^HTTP/1\\.[01] 200 $'), { ok: true, value: '^HTTP/1\\.[01] 200 $' })
  assert.deepEqual(parseExpect(''), { ok: true, value: null })
  assert.deepEqual(parseExpect('it\'s'), { ok: false, reasons: ['"it\'s" is not accepted: healthcheck_expect is written into haproxy.cfg between single quotes, so it takes printable ASCII without \' (write \\x27 for it, \\xHH for other bytes, \\r and \\n for line ends); found a single quote at character 3'] })
  assert.deepEqual(parseExpect('a\tb'), { ok: false, reasons: ['"a\\tb" is not accepted: healthcheck_expect is written into haproxy.cfg between single quotes, so it takes printable ASCII without \' (write \\x27 for it, \\xHH for other bytes, \\r and \\n for line ends); found the character U+0009 at character 2'] })
  assert.deepEqual(parseExpect('été'), { ok: false, reasons: ['"été" is not accepted: healthcheck_expect is written into haproxy.cfg between single quotes, so it takes printable ASCII without \' (write \\x27 for it, \\xHH for other bytes, \\r and \\n for line ends); found the character U+00E9 at character 1'] })
  const broken = parseExpect('(unclosed')
  assert.ok(!broken.ok)
  assert.match(broken.reasons[0] ?? '', /^"\(unclosed" is not accepted: healthcheck_expect must be a regular expression \(Invalid regular expression: .*\)$/)
})

test('healthcheck_kind alone: empty is the mode\'s default', () => {
  assert.deepEqual(parseKind(''), { ok: true, value: null })
  assert.deepEqual(parseKind('send_expect'), { ok: true, value: 'send_expect' })
})

test('a property the kind does not read is a warning', () => {
  const result = validate({ healthcheck_kind: 'http', healthcheck_expect: 'x' })
  assert.ok(result.ok)
  assert.ok(result.warnings.includes('healthcheck_expect: has no effect with healthcheck_kind http; it applies to send_expect, udp, sip only'), result.warnings.join('\n'))
  const none = validate({ healthcheck_http: 'GET /x 200' })
  assert.ok(none.ok)
  assert.ok(none.warnings.includes('healthcheck_http: has no effect with healthcheck_kind tcp or icmp (the mode\'s default); it applies to http only'), none.warnings.join('\n'))
})

test('service files take the check properties, with the same messages naming the file', () => {
  const good = serviceResult('mode=udp_roundrobin\nports=5060\nserver_a=198.18.5.1\nhealthcheck_kind=sip\nhealthcheck_port=5070\n')
  assert.ok(good.ok, JSON.stringify(good))
  const voice = good.configuration.services.find((service) => service.name === 'voice')
  assert.deepEqual([voice?.healthcheck, voice?.healthcheckPort], [{ kind: 'sip', expect: null }, 5070])
  const bad = serviceResult('mode=udp_roundrobin\nports=5060\nserver_a=198.18.5.1\nhealthcheck_kind=udp\n')
  assert.ok(!bad.ok)
  assert.deepEqual(bad.problems, [{ property: 'healthcheck_send', value: '', file: '/etc/l3lb/services.d/voice.env', message: '"" is not accepted: healthcheck_kind=udp needs healthcheck_send, the bytes of the datagram sent (an empty datagram gets silence from most services)' }])
  const tcp = serviceResult('mode=tcp_leastconn\nports=80\nserver_a=198.18.5.1\nhealthcheck_kind=icmp\n')
  assert.ok(!tcp.ok)
  assert.deepEqual(tcp.problems.map(({ property, message }) => [property, message]), [['healthcheck_kind', '"icmp" is not accepted: icmp checks UDP services, and mode tcp_leastconn is TCP: its kinds are tcp, http, send_expect']])
})
