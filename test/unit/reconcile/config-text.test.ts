/** The text in force kept as bytes (the HAProxy path does): it plans as its string would. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planHaproxy, sameConfigText } from '../../../src/reconcile/haproxy-plan.js'
import { renderHaproxyConfig } from '../../../src/render/haproxy-config.js'
import { withDraining, withEnabled } from '../../../src/state/desired.js'
import { stateFrom } from '../../support/fixtures.js'

const OUTPUTS = 'out1=198.18.1.2\nout2=198.18.2.2\n'

test('bytes or string, the same text gives the same steps', () => {
  const before = stateFrom(OUTPUTS)
  const after = withEnabled(before, ['out2'], false)
  const text = renderHaproxyConfig(after)
  const asString = planHaproxy({ state: before, text: renderHaproxyConfig(before) }, after, text)
  assert.deepEqual(planHaproxy({ state: before, text: Buffer.from(renderHaproxyConfig(before)) }, after, Buffer.from(text)), asString)
  assert.deepEqual(asString.map((step) => step.kind), ['install-unchecked', 'set-admin-and-save'])
  // nothing changed: no step, whichever form the text in force is in
  assert.deepEqual(planHaproxy({ state: after, text: Buffer.from(text) }, after, text), [])
  // a drain changes no text: the runtime alone
  assert.deepEqual(planHaproxy({ state: before, text: Buffer.from(renderHaproxyConfig(before)) }, withDraining(before, ['out1']), renderHaproxyConfig(before)).map((step) => step.kind), ['set-admin-and-save'])
})

test('texts compared byte for byte, whichever form each is in', () => {
  const text = renderHaproxyConfig(stateFrom(OUTPUTS))
  assert.equal(sameConfigText(text, Buffer.from(text)), true)
  assert.equal(sameConfigText(Buffer.from(text), text), true)
  assert.equal(sameConfigText(Buffer.from(text), Buffer.from(`${text} `)), false)
  assert.equal(sameConfigText(Buffer.from('ä'), 'a'), false)
  assert.equal(sameConfigText('a', 'a'), true)
  // in pieces: the same pieces, or other pieces of the same bytes, are the same text
  const pieces = [Buffer.from(text.slice(0, 10)), Buffer.from(text.slice(10))]
  assert.equal(sameConfigText(pieces, pieces.slice()), true)
  assert.equal(sameConfigText(pieces, text), true)
  assert.equal(sameConfigText([Buffer.from(text)], pieces), true)
  assert.equal(sameConfigText(pieces, [pieces[0]!, Buffer.from(`${text.slice(10)} `)]), false)
  assert.equal(sameConfigText([Buffer.from('ab'), Buffer.from('c')], [Buffer.from('a'), Buffer.from('bd')]), false)
})
