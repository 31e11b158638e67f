import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isMailbox, parseMailboxes, parseMailServer, parseSender } from '../../../src/properties/mail.js'
import { validateProperties } from '../../../src/properties/validate.js'

test('mailboxes: plain local@host only, nothing a header could be broken with', () => {
  for (const good of ['ops@example.com', 'first.last+lb@mail.example.org', 'root@localhost']) assert.ok(isMailbox(good), good)
  for (const bad of ['', 'ops', '@example.com', 'ops@', 'Ops <ops@example.com>', 'ops@example.com\r\nBcc: x@y.z', 'o"ps@example.com', 'ops@exa mple.com', 'ops@[198.18.0.2]', 'ops@-bad-.com']) {
    assert.equal(isMailbox(bad), false, JSON.stringify(bad))
  }
})

test('mail_to: several, separated by spaces or commas, duplicates once; each bad one named', () => {
  assert.deepEqual(parseMailboxes('a@x.org, b@x.org b@x.org'), { ok: true, value: ['a@x.org', 'b@x.org'] })
  assert.deepEqual(parseMailboxes(''), { ok: true, value: [] })
  const result = parseMailboxes('a@x.org nobody ops@')
  assert.equal(result.ok, false)
  if (!result.ok) {
    assert.equal(result.reasons.length, 2)
    assert.match(result.reasons[0]!, /^"nobody" is not accepted: give an e-mail address such as ops@example\.com/)
  }
})

test('mail_from: empty (l3lb@ the host) or one mailbox', () => {
  assert.deepEqual(parseSender(''), { ok: true, value: '' })
  assert.deepEqual(parseSender('lb@example.com'), { ok: true, value: 'lb@example.com' })
  assert.equal(parseSender('a@x.org b@x.org').ok, false)
})

test('mail_server: host, host:port, [v6]:port, bare v6; port 25 unless given', () => {
  assert.deepEqual(parseMailServer('smtp.example.com'), { ok: true, value: { host: 'smtp.example.com', port: 25 } })
  assert.deepEqual(parseMailServer('198.18.0.2:2525'), { ok: true, value: { host: '198.18.0.2', port: 2525 } })
  assert.deepEqual(parseMailServer('[fd00:1b::2]:587'), { ok: true, value: { host: 'fd00:1b::2', port: 587 } })
  assert.deepEqual(parseMailServer('fd00:1b::2'), { ok: true, value: { host: 'fd00:1b::2', port: 25 } })
  for (const bad of ['', 'smtp.example.com:0', 'smtp.example.com:65536', 'host:port', '[smtp.example.com]:25', 'smtp://relay:25', 'a b:25', '[fd00:1b::2']) {
    const result = parseMailServer(bad)
    assert.equal(result.ok, false, JSON.stringify(bad))
    if (!result.ok) assert.match(result.reasons[0]!, /is not accepted: give host, host:port, IPv4:port or \[IPv6\]:port/)
  }
})

test('the mail properties: null without mail_to; the others warn when mail_to is empty', () => {
  const without = validateProperties(new Map([['mail_hold', '60']]))
  assert.ok(without.ok)
  if (without.ok) {
    assert.equal(without.properties.mail, null)
    assert.ok(without.warnings.some((warning) => /^mail_hold: has no effect while mail_to is empty/.test(warning)))
  }
  const mailed = validateProperties(new Map([['mail_to', 'ops@example.com'], ['mail_server', 'relay.example.com:587'], ['mail_hold', '60']]))
  assert.ok(mailed.ok)
  if (mailed.ok) assert.deepEqual(mailed.properties.mail, { to: ['ops@example.com'], from: '', server: { host: 'relay.example.com', port: 587 }, holdSeconds: 60 })
  const bad = validateProperties(new Map([['mail_to', 'ops'], ['mail_hold', '0']]))
  assert.equal(bad.ok, false)
  if (!bad.ok) assert.deepEqual(bad.problems.map((problem) => problem.property), ['mail_to', 'mail_hold'])
})
