/** The HAProxy half's plan, as data: what each kind of change will do, without a HAProxy. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { onlyBackendOf, planAction, planHaproxy, undoAdmin } from '../../../src/reconcile/haproxy-plan.js'
import { renderHaproxyConfig } from '../../../src/render/haproxy-config.js'
import { desiredState, withDraining, withEnabled, type DesiredState } from '../../../src/state/desired.js'
import { stateFrom, stateWithServices } from '../../support/fixtures.js'

const OUTPUTS = 'out1=198.18.1.2\nout2=198.18.2.2\n'

function inForceOf (state: DesiredState): { state: DesiredState, text: string } {
  return { state, text: renderHaproxyConfig(state) }
}

test('nothing in force: check and install, a clean server state, start', () => {
  const state = stateFrom(OUTPUTS)
  const steps = planHaproxy(null, state, renderHaproxyConfig(state))
  assert.deepEqual(steps, [{ kind: 'check-and-install' }, { kind: 'clear-server-state' }, { kind: 'start' }])
  assert.equal(planAction(steps), 'start')
})

test('the same text: no step', () => {
  const state = stateFrom(OUTPUTS)
  assert.deepEqual(planHaproxy(inForceOf(state), state, renderHaproxyConfig(state)), [])
})

test('only admin state: the file unchecked, then one runtime round trip that also saves the server state; no process at all', () => {
  const before = stateFrom(OUTPUTS)
  const after = withEnabled(before, ['out2'], false)
  const steps = planHaproxy(inForceOf(before), after, renderHaproxyConfig(after))
  assert.deepEqual(steps, [
    { kind: 'install-unchecked' },
    { kind: 'set-admin-and-save', backend: 'outputs', server: 'out2', state: 'maint', previous: 'ready' }
  ])
  assert.equal(planAction(steps), 'runtime')
  assert.deepEqual(undoAdmin(steps), [{ kind: 'set-admin', backend: 'outputs', server: 'out2', state: 'ready', previous: 'maint' }])
})

test('several servers\' admin state at once: a runtime step each, then the server state saved once', () => {
  const before = stateFrom(OUTPUTS)
  const after = withEnabled(before, ['out1', 'out2'], false)
  const steps = planHaproxy(inForceOf(before), after, renderHaproxyConfig(after))
  assert.deepEqual(steps, [
    { kind: 'install-unchecked' },
    { kind: 'set-admin', backend: 'outputs', server: 'out1', state: 'maint', previous: 'ready' },
    { kind: 'set-admin', backend: 'outputs', server: 'out2', state: 'maint', previous: 'ready' },
    { kind: 'save-server-state' }
  ])
  assert.deepEqual(undoAdmin(steps).map((step) => step.kind === 'set-admin' && step.server), ['out2', 'out1'])
})

test('new properties: a checked file, admin changes first, the state saved, then a reload', () => {
  const before = stateFrom(OUTPUTS)
  const changed = stateFrom(`${OUTPUTS}out3=198.18.3.2\n`, ['out1'])
  const steps = planHaproxy(inForceOf(before), changed, renderHaproxyConfig(changed))
  assert.deepEqual(steps, [
    { kind: 'check-and-install' },
    { kind: 'set-admin', backend: 'outputs', server: 'out1', state: 'maint', previous: 'ready' },
    { kind: 'save-server-state' },
    { kind: 'reload' }
  ])
  assert.equal(planAction(steps), 'reload')
})

test('equal properties read again (a SIGHUP) with an admin change: a reload, since only the very same values prove nothing else changed', () => {
  const before = stateFrom(OUTPUTS)
  const again = desiredState(stateFrom(OUTPUTS).properties, before.limits, ['out1'], before.paths)
  assert.equal(planAction(planHaproxy(inForceOf(before), again, renderHaproxyConfig(again))), 'reload')
})

test('a stick table in force (the env file\'s or a service file\'s): the reload waits for the table to be handed on', () => {
  const sticky = stateWithServices(OUTPUTS, { app: 'mode=tcp_source\nports=9000\nserver_a=198.18.5.1\n' })
  const next = stateWithServices(OUTPUTS, { app: 'mode=tcp_source\nports=9000\nserver_a=198.18.5.2\n' })
  assert.deepEqual(planHaproxy(inForceOf(sticky), next, renderHaproxyConfig(next)).map((step) => step.kind), ['check-and-install', 'save-server-state', 'wait-peers-sync', 'reload'])
})

test('a drain is no text: the runtime (drain, or maintenance where a stick table would let stuck clients in) and the saved server state', () => {
  const before = stateWithServices(OUTPUTS, { app: 'mode=tcp_source\nports=9000\nserver_a=198.18.5.1\nserver_b=198.18.5.2\n' })
  const after = withDraining(before, ['out2', 'app/a'])
  assert.equal(renderHaproxyConfig(after), renderHaproxyConfig(before))
  assert.deepEqual(planHaproxy(inForceOf(before), after, renderHaproxyConfig(after)), [
    { kind: 'set-admin', backend: 'outputs', server: 'out2', state: 'drain', previous: 'ready' },
    { kind: 'set-admin', backend: 'app', server: 'a', state: 'maint', previous: 'ready' },
    { kind: 'save-server-state' }
  ])
  // a fresh start runs the file, which knows nothing of drains: they follow it
  assert.deepEqual(planHaproxy(null, after, renderHaproxyConfig(after)).slice(3), [
    { kind: 'set-admin', backend: 'outputs', server: 'out2', state: 'drain', previous: 'ready' },
    { kind: 'set-admin', backend: 'app', server: 'a', state: 'maint', previous: 'ready' }
  ])
  // an enable ends the drain
  assert.deepEqual(planHaproxy(inForceOf(after), withEnabled(after, ['out2'], true), renderHaproxyConfig(after)), [
    { kind: 'set-admin-and-save', backend: 'outputs', server: 'out2', state: 'ready', previous: 'drain' }
  ])
})

test('the one backend a runtime plan changes; none when it names several, none, or starts or reloads HAProxy', () => {
  const admin = (backend: string, server: string) => ({ kind: 'set-admin', backend, server, state: 'maint', previous: 'ready' }) as const
  assert.equal(onlyBackendOf([{ kind: 'install-unchecked' }, admin('web', 'a'), admin('web', 'b'), { kind: 'save-server-state' }]), 'web')
  assert.equal(onlyBackendOf([{ kind: 'install-unchecked' }, admin('web', 'a'), admin('api', 'x'), { kind: 'save-server-state' }]), null)
  assert.equal(onlyBackendOf([{ kind: 'save-server-state' }]), null)
  assert.equal(onlyBackendOf([{ kind: 'check-and-install' }, admin('web', 'a'), { kind: 'save-server-state' }, { kind: 'reload' }]), null)
  assert.equal(onlyBackendOf([{ kind: 'check-and-install' }, { kind: 'clear-server-state' }, { kind: 'start' }, admin('web', 'a')]), null)
})
