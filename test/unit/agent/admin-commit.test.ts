/**
 * An admin change (enable, disable, drain) is saved and applied together, and the answer waits
 * for both (appliance.ts): whichever fails, the other is put back and the desired state stays.
 * A fake reconciler stands in for HAProxy; the saved file is real.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { Appliance } from '../../../src/agent/appliance.js'
import type { RuntimeApi } from '../../../src/haproxy/runtime-api.js'
import { ChangeQueue } from '../../../src/reconcile/change-queue.js'
import type { Reconciler } from '../../../src/reconcile/reconciler.js'
import type { DesiredState } from '../../../src/state/desired.js'
import { stateFrom } from '../../support/fixtures.js'

const roots: string[] = []
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

/** An appliance on the seed's two outputs; `applied` lists the disabled set of each state applied. */
function applianceWith (applyFails: (state: DesiredState) => boolean): { appliance: Appliance, applied: string[][], state: DesiredState } {
  const state = stateFrom('out1=198.18.1.2\nout2=198.18.2.2\n')
  mkdirSync(dirname(state.paths.adminStateFile), { recursive: true })
  roots.push(dirname(dirname(state.paths.adminStateFile)))
  const applied: string[][] = []
  const reconciler = {
    apply: async (next: DesiredState) => {
      applied.push([...next.disabled].sort())
      if (applyFails(next)) throw new Error('HAProxy refused (test)')
      return 'runtime'
    }
  }
  const appliance = new Appliance(state, reconciler as unknown as Reconciler, {} as unknown as RuntimeApi, new ChangeQueue())
  return { appliance, applied, state }
}

test('a disable is saved and applied, and only then the desired state has it', async () => {
  const { appliance, applied, state } = applianceWith(() => false)
  const result = await appliance.setEnabled({ channel: 'out2' }, false)
  assert.equal(result.code, 0)
  assert.deepEqual(applied, [['out2']])
  assert.deepEqual(JSON.parse(readFileSync(state.paths.adminStateFile, 'utf8')).disabled, ['out2'])
  assert.deepEqual([...appliance.desired.disabled], ['out2'])
})

test('a disable HAProxy refuses leaves the saved file as it was and the desired state unchanged', async () => {
  const { appliance, state } = applianceWith((next) => next.disabled.size > 0)
  writeFileSync(state.paths.adminStateFile, '{"version":1,"disabled":[]}\n')
  await assert.rejects(appliance.setEnabled({ channel: 'out2' }, false), /HAProxy refused \(test\)/)
  assert.deepEqual(JSON.parse(readFileSync(state.paths.adminStateFile, 'utf8')).disabled, [])
  assert.deepEqual([...appliance.desired.disabled], [])
})

test('a disable that cannot be saved is taken back out of HAProxy and refused with the file named', async () => {
  const { appliance, applied, state } = applianceWith(() => false)
  // a folder where the file's candidate goes: the save fails, HAProxy had the change
  mkdirSync(`${state.paths.adminStateFile}.new`)
  await assert.rejects(appliance.setEnabled({ channel: 'out2' }, false), (error: Error) => error.message.includes(`could not save the output states to ${state.paths.adminStateFile}`))
  assert.deepEqual(applied, [['out2'], []])
  assert.deepEqual([...appliance.desired.disabled], [])
})
