import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { countFlowsTo, forgetFlowsTo, parseFlowCount } from '../../../src/netfilter/conntrack.js'

// A prefix that cannot start: should the address check ever be skipped, nothing runs on the host.
const NOTHING = ['/nonexistent/l3lb-test-prefix']

describe('parseFlowCount', () => {
  it('reads conntrack\'s summary line', () => {
    assert.equal(parseFlowCount('conntrack v1.4.7 (conntrack-tools): 3 flow entries have been deleted.\n', 'deleted'), 3)
    assert.equal(parseFlowCount('conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n', 'shown'), 0)
    assert.equal(parseFlowCount('conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n', 'deleted'), undefined)
    assert.equal(parseFlowCount('conntrack v1.4.7 (conntrack-tools): Invalid IP address `1.2.3.999\'\n', 'deleted'), undefined)
  })
})

describe('conntrack selection', () => {
  it('refuses a host name before running anything', async () => {
    await assert.rejects(forgetFlowsTo('be1.example', { command: NOTHING }), /an IPv4 or IPv6 address is needed, got 'be1.example'/)
    await assert.rejects(countFlowsTo('', { command: NOTHING }), TypeError)
  })
})
