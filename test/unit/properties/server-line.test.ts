import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseServerLine } from '../../../src/properties/server-line.js'

function server (text: string): unknown {
  const result = parseServerLine('web1', text)
  assert.ok(result.ok, result.ok ? '' : result.reasons.join('\n'))
  return result.server
}

function reasons (text: string): readonly string[] {
  const result = parseServerLine('web1', text)
  assert.ok(!result.ok, `expected ${JSON.stringify(text)} to be refused`)
  return result.reasons
}

test('an address alone: weight 1, no port (the client\'s), no maxconn, not a backup', () => {
  assert.deepEqual(server('198.18.5.1'), { name: 'web1', address: '198.18.5.1', port: null, weight: 1, maxconn: null, backup: false })
})

test('every form of address and port, and every option', () => {
  assert.deepEqual(server('198.18.5.1:8080 weight=3 maxconn=100 backup'), { name: 'web1', address: '198.18.5.1', port: 8080, weight: 3, maxconn: 100, backup: true })
  assert.deepEqual(server('[fd00:1b::5]:8080'), { name: 'web1', address: 'fd00:1b::5', port: 8080, weight: 1, maxconn: null, backup: false })
  assert.deepEqual(server('[fd00:1b::5]  weight=0'), { name: 'web1', address: 'fd00:1b::5', port: null, weight: 0, maxconn: null, backup: false })
  assert.deepEqual(server('fd00:1b::5'), { name: 'web1', address: 'fd00:1b::5', port: null, weight: 1, maxconn: null, backup: false })
  assert.deepEqual(server('app.example.test:9000'), { name: 'web1', address: 'app.example.test', port: 9000, weight: 1, maxconn: null, backup: false })
})

test('what is refused says what is accepted', () => {
  assert.deepEqual(reasons(''), ['"" is not accepted: give <address>[:<port>] [weight=<0..256>] [maxconn=<n>] [backup]'])
  assert.match(reasons('999.1.1.1')[0] ?? '', /^"999\.1\.1\.1" is not accepted: give an IPv4 address, an IPv6 address \(brackets optional\) or a host name/)
  assert.deepEqual(reasons('198.18.5.1:0'), ['"198.18.5.1:0" is not accepted: the port after the address is a whole number from 1 to 65535'])
  assert.deepEqual(reasons('198.18.5.1 weight=257'), ['"weight=257" is not accepted: weight is a whole number from 0 to 256 (0 takes no new sessions)'])
  assert.deepEqual(reasons('198.18.5.1 maxconn=0'), ['"maxconn=0" is not accepted: maxconn is a whole number from 1 to 1000000'])
  assert.deepEqual(reasons('198.18.5.1 weight=2 weight=3'), ['"weight=3" is not accepted: weight is given twice'])
  assert.deepEqual(reasons('198.18.5.1 primary'), ['"primary" is not accepted: after the address come only weight=<0..256>, maxconn=<n> and backup'])
  assert.match(reasons('0.0.0.0')[0] ?? '', /an unspecified address is not a back end/)
})
