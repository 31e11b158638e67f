/** (SPEC §14) The TCP kinds rendered as HAProxy checks, for the env file's backend and service files', and accepted by haproxy -c. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkLines, renderHaproxyConfig } from '../../../src/render/haproxy-config.js'
import { stateFrom, stateWithServices } from '../../support/fixtures.js'
import { assertHaproxyAccepts } from '../../support/haproxy-accepts.js'

// The lines of one section: from its header to the next unindented line.
function section (text: string, header: string): string[] {
  const all = text.split('\n')
  const from = all.indexOf(header)
  assert.notEqual(from, -1, `no section '${header}' in:\n${text}`)
  const to = all.findIndex((line, i) => i > from && /^\S/.test(line))
  return all.slice(from + 1, to < 0 ? undefined : to).map((line) => line.trim())
}

test('the lines of each kind', () => {
  assert.deepEqual(checkLines(undefined), [])
  assert.deepEqual(checkLines({ kind: 'http', method: 'GET', path: '/health', status: 200 }), ['option httpchk GET /health', 'http-check expect status 200'])
  assert.deepEqual(checkLines({ kind: 'send_expect', send: '50494e470d0a', expect: '^\\+PONG' }), ['option tcp-check', 'tcp-check send-binary 50494e470d0a', 'tcp-check expect rstring \'^\\+PONG\''])
  assert.deepEqual(checkLines({ kind: 'send_expect', send: '', expect: '^220 ' }), ['option tcp-check', 'tcp-check expect rstring \'^220 \''])
  assert.deepEqual(checkLines({ kind: 'sip', expect: null }), [])
})

test('the env file\'s backend outputs gets its check lines before the default-server line; none without checks', async () => {
  const text = renderHaproxyConfig(stateFrom('out1=198.18.1.2\nhealthcheck_kind=http\nhealthcheck_http=GET /health?x=1&y=$z 204\n'))
  const outputs = section(text, 'backend outputs')
  const at = outputs.indexOf('option httpchk GET /health?x=1&y=$z')
  assert.ok(at >= 0 && outputs[at + 1] === 'http-check expect status 204', outputs.join('\n'))
  assert.ok(outputs.findIndex((line) => line.startsWith('default-server')) > at)
  await assertHaproxyAccepts(text)
  const off = renderHaproxyConfig(stateFrom('out1=198.18.1.2\nhealthcheck_kind=http\nhealthcheck_interval=0\n'))
  assert.deepEqual(section(off, 'backend outputs').filter((line) => /httpchk|http-check/.test(line)), [])
})

test('a service file\'s backend gets its own; others keep the connect; haproxy -c accepts the quoted pattern', async () => {
  const state = stateWithServices('out1=198.18.1.2\n', {
    banner: 'ports=25\nserver_a=198.18.5.1\nhealthcheck_kind=send_expect\nhealthcheck_send=\'EHLO l3lb\\r\\n\'\nhealthcheck_expect=\'^220 .* \\$x #y\\x27\'\nhealthcheck_port=2525\n',
    plain: 'ports=26\nserver_a=198.18.5.1\n'
  })
  const text = renderHaproxyConfig(state)
  const banner = section(text, 'backend banner')
  assert.deepEqual(banner.filter((line) => line.startsWith('option tcp-check') || line.startsWith('tcp-check')), [
    'option tcp-check',
    `tcp-check send-binary ${Buffer.from('EHLO l3lb\r\n').toString('hex')}`,
    'tcp-check expect rstring \'^220 .* \\$x #y\\x27\''
  ])
  assert.ok(banner.includes('server a 198.18.5.1 port 2525 weight 1'), banner.join('\n'))
  assert.deepEqual(section(text, 'backend plain').filter((line) => /tcp-check|httpchk/.test(line)), [])
  await assertHaproxyAccepts(text)
})
