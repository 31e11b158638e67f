import { after, before, it } from 'node:test'
import assert from 'node:assert/strict'
import { isL3lbError } from '../../../src/errors.js'
import { forgetFlowsTo } from '../../../src/netfilter/conntrack.js'
import { listRules } from '../../../src/netfilter/rules.js'
import { createTopology, type Topology } from '../../support/topology.js'

let topology: Topology
let emptyPath: string[]

before(async () => {
  topology = await createTopology({ backends: 1 })
  // Inside lb, with a PATH where no program is found.
  emptyPath = ['ip', 'netns', 'exec', topology.names.lb, 'env', 'PATH=/nonexistent']
})

after(async () => {
  await topology?.destroy()
})

it('names the Debian package when conntrack is not installed', async () => {
  await assert.rejects(forgetFlowsTo(topology.addresses.backends[0] ?? '', { command: emptyPath }), (error: unknown) => {
    assert.ok(isL3lbError(error, 'L3LB_PROGRAM_MISSING'), String(error))
    assert.match(error.message, /'conntrack' is not installed .*install the Debian package 'conntrack'/)
    return true
  })
})

it('names the Debian package when iptables-save is not installed', async () => {
  await assert.rejects(listRules(6, { command: emptyPath }), (error: unknown) => {
    assert.ok(isL3lbError(error, 'L3LB_PROGRAM_MISSING'), String(error))
    assert.match(error.message, /'ip6tables-save' is not installed .*Debian package 'iptables'/)
    return true
  })
})

it('says which namespace could not be entered, as a failed command, not a missing program', async () => {
  await assert.rejects(listRules(4, { command: ['ip', 'netns', 'exec', `${topology.names.lb}-absent`] }), (error: unknown) => {
    assert.ok(isL3lbError(error, 'L3LB_COMMAND_FAILED'), String(error))
    assert.match(error.message, /Cannot open network namespace/)
    return true
  })
})
