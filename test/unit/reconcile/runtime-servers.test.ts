/** (SPEC §12) Which server changes the plan makes through the runtime API, and which still reload: as data, without a HAProxy. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planAction, planHaproxy, undoAdmin, type HaproxyStep } from '../../../src/reconcile/haproxy-plan.js'
import { renderHaproxyConfig } from '../../../src/render/haproxy-config.js'
import { withDraining, withEnabled, type DesiredState } from '../../../src/state/desired.js'
import { stateWithServices } from '../../support/fixtures.js'

const ENV = 'mode=tcp_roundrobin\nports=80\n'
const WEB = 'ports=8081\nhealthcheck_interval=2\nhealthcheck_rise=2\nhealthcheck_fall=3\nserver_timeout=40\nserver_a=198.18.5.1:80\nserver_b=198.18.5.2:80 weight=2\n'

function inForceOf (state: DesiredState): { state: DesiredState, text: string } {
  return { state, text: renderHaproxyConfig(state) }
}

// the same node (paths, properties) with other service files, as a SIGHUP makes it
function withFiles (before: DesiredState, files: Readonly<Record<string, string>>): DesiredState {
  return Object.freeze({ ...before, services: stateWithServices(ENV, files).services })
}

function plan (before: DesiredState, after: DesiredState, removing: ReadonlySet<string> = new Set()): HaproxyStep[] {
  return planHaproxy(inForceOf(before), after, renderHaproxyConfig(after), removing)
}

test('a server added: the checked file first, then add server with every setting its line and default-server give, in traffic, the state saved', () => {
  const before = stateWithServices(ENV, { web: WEB })
  const after = withFiles(before, { web: `${WEB}server_c=198.18.5.3 weight=3 maxconn=50 backup\n` })
  const steps = plan(before, after)
  assert.deepEqual(steps, [
    { kind: 'install-unchecked' },
    {
      kind: 'add-server',
      backend: 'web',
      server: 'c',
      target: '198.18.5.3',
      // on the client's port: checked at the first port of ports, as the file's line says
      settings: ['port 8081', 'weight 3', 'maxconn 50', 'backup', 'check', 'inter 2s', 'rise 2', 'fall 3', 'observe layer4', 'error-limit 3', 'on-error mark-down'],
      health: true,
      state: 'ready'
    },
    { kind: 'save-server-state' }
  ])
  assert.equal(planAction(steps), 'runtime')
  assert.deepEqual(undoAdmin(steps), [{ kind: 'delete-server', backend: 'web', server: 'c' }])
})

test('add server gets every setting of the rendered server line and of its default-server line (2.6 inherits none)', () => {
  const before = stateWithServices(ENV, { web: WEB })
  const after = withFiles(before, { web: `${WEB}server_c=[fd00:1b::3]:8080 weight=3 maxconn=50\n` })
  const add = plan(before, after).find((step) => step.kind === 'add-server')
  assert.ok(add?.kind === 'add-server')
  const text = renderHaproxyConfig(after)
  const line = /^ {2}server c (\S+) (.*)$/m.exec(text)
  const defaults = text.slice(text.indexOf('backend web')).match(/^ {2}default-server init-addr \S+ (.*)$/m)
  assert.equal(add.target, line?.[1])
  const words = (settings: string): string[] => settings.split(' ')
  assert.deepEqual(add.settings.flatMap(words).sort(), [...words(line?.[2] ?? ''), ...words(defaults?.[1] ?? '')].sort())
})

test('a disabled server added comes in maintenance; without checks there is no enable health', () => {
  const plain = 'ports=8081\nhealthcheck_interval=0\nserver_a=198.18.5.1:80\n'
  const before = stateWithServices(ENV, { web: plain })
  const after = withEnabled(withFiles(before, { web: `${plain}server_c=198.18.5.3:80\n` }), ['web/c'], false)
  const add = plan(before, after).find((step) => step.kind === 'add-server')
  assert.deepEqual(add, { kind: 'add-server', backend: 'web', server: 'c', target: '198.18.5.3:80', settings: ['weight 1'], health: false, state: 'maint' })
})

test('weight, address, port and maxconn changed: set server weight, addr, set maxconn server; undone in reverse', () => {
  const before = stateWithServices(ENV, { web: `${WEB}server_c=198.18.5.3:80 maxconn=10\n` })
  const after = withFiles(before, { web: WEB.replace('server_b=198.18.5.2:80 weight=2', 'server_b=198.18.5.9:81 weight=5') + 'server_c=198.18.5.3:80\n' })
  const steps = plan(before, after)
  assert.deepEqual(steps, [
    { kind: 'install-unchecked' },
    { kind: 'set-addr', backend: 'web', server: 'b', address: '198.18.5.9', port: 81, previous: { address: '198.18.5.2', port: 80 } },
    { kind: 'set-weight', backend: 'web', server: 'b', weight: 5, previous: 2 },
    { kind: 'set-maxconn', backend: 'web', server: 'c', maxconn: 0, previous: 10 },
    { kind: 'save-server-state' }
  ])
  assert.deepEqual(undoAdmin(steps).map((step) => [step.kind, 'previous' in step ? step.previous : null]), [
    ['set-maxconn', 0], ['set-weight', 5], ['set-addr', { address: '198.18.5.9', port: 81 }]
  ])
})

test('a server removed: out of traffic at once (maint, tcp_source too), deleted by the removals within server_timeout; after the new ones', () => {
  const sticky = 'mode=tcp_source\nports=8083\nserver_timeout=40\nserver_a=198.18.5.1:80\nserver_b=198.18.5.2:80\n'
  const before = stateWithServices(ENV, { sticky })
  const after = withFiles(before, { sticky: 'mode=tcp_source\nports=8083\nserver_timeout=40\nserver_b=198.18.5.2:80\n' })
  assert.deepEqual(plan(before, after), [
    { kind: 'install-unchecked' },
    { kind: 'remove-server', backend: 'sticky', server: 'a', address: '198.18.5.1', port: 80, timeoutMs: 40_000, previous: 'ready' },
    { kind: 'save-server-state' }
  ])
  const web = stateWithServices(ENV, { web: WEB })
  const swapped = withFiles(web, { web: WEB.replace('server_a=198.18.5.1:80', 'server_z=198.18.5.7:80') })
  assert.deepEqual(plan(web, swapped).map((step) => step.kind), ['install-unchecked', 'add-server', 'remove-server', 'save-server-state'])
  assert.deepEqual(undoAdmin(plan(web, swapped)).map((step) => step.kind), ['set-admin', 'delete-server'])
})

test('tcp_source: a new server after the others gets the id the next reload gives it; anywhere else, a reload', () => {
  const sticky = 'mode=tcp_source\nports=8083\nhealthcheck_interval=0\nserver_a=198.18.5.1:80\nserver_b=198.18.5.2:80\n'
  const before = stateWithServices(ENV, { sticky })
  const added = plan(before, withFiles(before, { sticky: `${sticky}server_c=198.18.5.3:80\n` })).find((step) => step.kind === 'add-server')
  assert.ok(added?.kind === 'add-server')
  assert.deepEqual(added.settings, ['weight 1', 'id 3'])
  assert.equal(planAction(plan(before, withFiles(before, { sticky: 'mode=tcp_source\nports=8083\nhealthcheck_interval=0\nserver_c=198.18.5.3:80\nserver_a=198.18.5.1:80\nserver_b=198.18.5.2:80\n' }))), 'reload')
  assert.equal(planAction(plan(before, withFiles(before, { sticky: 'mode=tcp_source\nports=8083\nhealthcheck_interval=0\nserver_b=198.18.5.2:80\nserver_c=198.18.5.3:80\n' }))), 'reload')
})

test('what HAProxy 2.6 cannot change at run time reloads', () => {
  const before = stateWithServices(ENV, { web: WEB })
  const reloads = {
    'a service property': WEB.replace('server_timeout=40', 'server_timeout=41'),
    'backup on': WEB.replace('weight=2', 'weight=2 backup'),
    'a host name': `${WEB}server_c=db.example:80\n`,
    'the client\'s port instead of its own': WEB.replace('198.18.5.1:80', '198.18.5.1'),
    'an address that becomes a host name': WEB.replace('198.18.5.1:80', 'db.example:80')
  }
  for (const [what, text] of Object.entries(reloads)) assert.equal(planAction(plan(before, withFiles(before, { web: text }))), 'reload', what)
  assert.equal(planAction(plan(before, withFiles(before, { web: WEB, api: 'ports=8090\nserver_a=198.18.5.1:80\n' }))), 'reload', 'a service added')
  const other = stateWithServices('mode=tcp_roundrobin\nports=80\nclient_timeout=99\n', { web: `${WEB}server_c=198.18.5.3:80\n` })
  assert.equal(planAction(plan(before, Object.freeze({ ...other, paths: before.paths }))), 'reload', 'an env file property with a server')
})

test('a server added under a name still being removed reloads (the running one is deleted only once its sessions end)', () => {
  const before = stateWithServices(ENV, { web: WEB })
  const after = withFiles(before, { web: `${WEB}server_c=198.18.5.3:80\n` })
  assert.equal(planAction(plan(before, after, new Set(['web/c']))), 'reload')
  assert.equal(planAction(plan(before, after, new Set(['web/z']))), 'runtime')
})

const API = 'ports=8082\nhealthcheck_interval=2\nserver_x=198.18.6.1:80\nserver_y=198.18.6.2:80\n'

test('a server added to one of several services: the others, read again unchanged, are the very same and give no step, their drains kept', () => {
  const before = withDraining(stateWithServices(ENV, { web: WEB, api: API }), ['api/x'])
  const after = withFiles(before, { web: `${WEB}server_c=198.18.5.3:80\n`, api: API })
  // what the plan's short cuts rest on: an unchanged file gives the same Service object (properties/service-file.ts)
  const api = (state: DesiredState): unknown => state.services.find((service) => service.name === 'api')
  assert.equal(api(after), api(before))
  assert.deepEqual(plan(before, after).map((step) => step.kind === 'add-server' || step.kind === 'set-admin' ? `${step.kind} ${step.backend}/${step.server}` : step.kind), [
    'install-unchecked', 'add-server web/c', 'save-server-state'
  ])
})

test('servers and the admin state changed in one job: the unchanged services\' servers are compared too', () => {
  const before = stateWithServices(ENV, { web: WEB, api: API })
  const after = withEnabled(withFiles(before, { web: `${WEB}server_c=198.18.5.3:80\n`, api: API }), ['api/y'], false)
  const steps = plan(before, after)
  assert.deepEqual(steps.filter((step) => step.kind === 'set-admin'), [{ kind: 'set-admin', backend: 'api', server: 'y', state: 'maint', previous: 'ready' }])
  assert.ok(steps.some((step) => step.kind === 'add-server' && step.server === 'c'))
})
