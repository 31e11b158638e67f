import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildCtlApp } from '../../../src/ctl/app.js'
import type { CtlController } from '../../../src/ctl/controller.js'
import { L3lbError } from '../../../src/errors.js'
import { PairSync, type PeerCall } from '../../../src/ha/sync.js'
import { OUTPUT_NAMES, type OutputName } from '../../../src/properties/model.js'
import { pairSettingsOf, settingsDigest, type PairSettings } from '../../../src/properties/pair-settings.js'
import type { AdminChangeResult, OutputSelector } from '../../../src/model/admin.js'
import type { NodeRole } from '../../../src/model/pair.js'

const TOKEN = 's3cret'

/** One node: an admin state in memory, its PairSync, and its ctl app (HA on). */
class Node {
  readonly disabled = new Set<string>()
  readonly lines: string[] = []
  role: NodeRole
  reachable = true
  localChanges = 0
  settings: PairSettings = pairSettingsOf(new Map([['ports', '80']]))
  /** Set: settings from the peer cannot run here, for this reason (or with this error). */
  refuseSettings: string | Error = ''
  readonly sync: PairSync
  readonly app: FastifyInstance
  peer: Node | undefined

  constructor (readonly name: string, role: NodeRole) {
    this.role = role
    const local = {
      disabled: () => OUTPUT_NAMES.filter((output) => this.disabled.has(output)),
      setEnabled: async (selector: OutputSelector, enabled: boolean): Promise<AdminChangeResult> => {
        if (!('channel' in selector)) return { code: 10, message: 'no address here', outputs: [] }
        if (this.disabled.has(selector.channel) === enabled) {
          this.localChanges += 1
          if (enabled) this.disabled.delete(selector.channel)
          else this.disabled.add(selector.channel)
          return { code: 0, message: `${selector.channel} ${enabled ? 'enabled' : 'disabled'}`, outputs: [selector.channel] }
        }
        return { code: 10, message: 'nothing changed', outputs: [selector.channel] }
      },
      replaceDisabled: async (names: readonly OutputName[]): Promise<AdminChangeResult> => {
        this.disabled.clear()
        for (const output of names) this.disabled.add(output)
        return { code: 0, message: '', outputs: names }
      },
      settings: () => this.settings,
      replaceSettings: async (settings: PairSettings): Promise<void> => {
        if (this.refuseSettings instanceof Error) throw this.refuseSettings
        if (this.refuseSettings !== '') throw new Error(this.refuseSettings)
        this.settings = settings
      }
    }
    // the peer's ctl app, through inject: the real routes, auth and error handler on both sides
    const peer: PeerCall = async (pathAndQuery, _timeoutMs, headers = {}) => {
      const other = this.peer
      if (other === undefined || !other.reachable) throw new L3lbError('L3LB_HA_SYNC', 'no answer within 1000 ms (connect ECONNREFUSED)')
      const reply = await other.app.inject({ method: 'GET', url: pathAndQuery, headers: { ...headers, authorization: `Bearer ${TOKEN}` } })
      return { httpStatus: reply.statusCode, status: reply.json<{ status: { code: number, message: string } }>().status }
    }
    this.sync = new PairSync({
      role: () => this.role,
      inPair: () => true,
      peerUrl: () => `http://${this.peer?.name ?? ''}:8080`,
      local,
      peer,
      log: { info: (line) => this.lines.push(`info: ${line}`), warn: (line) => this.lines.push(`warn: ${line}`), error: (line) => this.lines.push(`error: ${line}`) }
    })
    const controller: CtlController = {
      setEnabled: (selector, enabled, origin) => this.sync.setEnabled(selector, enabled, origin ?? 'client'),
      setDraining: async () => ({ code: 10, message: 'not used', outputs: [] }),
      status: async () => new Map(OUTPUT_NAMES.slice(0, 3).filter((output) => !this.disabled.has(output)).map((output) => [output, 'up'])),
      outputs: async () => OUTPUT_NAMES.slice(0, 3).map((name) => ({ name, address: '198.18.1.1', backup: false, state: this.disabled.has(name) ? 'disabled' : 'up', reason: '', forSeconds: null })),
      services: async () => [],
      counters: async () => { throw new Error('not used') }
    }
    this.app = buildCtlApp({ controller, token: TOKEN, ha: this.sync })
  }

  async get (url: string): Promise<{ httpStatus: number, status: Record<string, unknown> }> {
    const reply = await this.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } })
    return { httpStatus: reply.statusCode, status: reply.json<{ status: Record<string, unknown> }>().status }
  }
}

function pair (): { active: Node, standby: Node } {
  const active = new Node('lb1', 'active')
  const standby = new Node('lb2', 'standby')
  active.peer = standby
  standby.peer = active
  return { active, standby }
}

test('a change on the active node is pushed to the standby, without waiting for it in the answer', async () => {
  const { active, standby } = pair()
  assert.deepEqual(await active.get('/api/disable?channel=out1'), { httpStatus: 200, status: { code: 0, message: 'out1 disabled' } })
  await active.sync.push()
  assert.deepEqual([...standby.disabled], ['out1'])
  const { settings: _standbySettings, digest: _standbyDigest, ...standbyAdmin } = (await standby.get('/api/admin')).status
  const { settings: _activeSettings, digest: _activeDigest, ...activeAdmin } = (await active.get('/api/admin')).status
  assert.deepEqual(standbyAdmin, { code: 0, message: '', disabled: ['out1'], role: 'standby' })
  assert.deepEqual(activeAdmin, { code: 0, message: '', disabled: ['out1'], role: 'active' })
  // nothing changed: no push needed, and the standby keeps the set
  assert.equal((await active.get('/api/disable?channel=out1')).status.code, 10)
  assert.deepEqual([...standby.disabled], ['out1'])
})

test('a change sent to the standby is forwarded to the active node, and the standby shows it when it answers', async () => {
  const { active, standby } = pair()
  const answer = await standby.get('/api/disable?channel=out2')
  assert.deepEqual(answer, { httpStatus: 200, status: { code: 0, message: 'on the active node http://lb1:8080: out2 disabled' } })
  assert.deepEqual([...active.disabled], ['out2'])
  assert.deepEqual([...standby.disabled], ['out2'])
  assert.equal(standby.localChanges, 0, 'the standby never changes its state on its own')
  assert.deepEqual((await standby.get('/api/enable?channel=out2')).status.code, 0)
  assert.deepEqual([...active.disabled, ...standby.disabled], [])
  assert.equal((await standby.get('/api/enable?channel=out2')).status.message, 'on the active node http://lb1:8080: nothing changed')
})

test('the standby refuses a change with code 100 when the active node cannot be reached: nothing changes', async () => {
  const { active, standby } = pair()
  active.reachable = false
  const answer = await standby.get('/api/disable?channel=out3')
  assert.equal(answer.httpStatus, 500)
  assert.equal(answer.status.code, 100)
  assert.match(String(answer.status.message), /^nothing changed: this node is the standby and forwards changes to the active node at http:\/\/lb1:8080, which cannot be reached \(no answer within 1000 ms/)
  assert.deepEqual([...standby.disabled, ...active.disabled], [])
})

test('two standby nodes do not forward to each other: the forwarded change is refused', async () => {
  const { active, standby } = pair()
  active.role = 'standby'
  const answer = await standby.get('/api/disable?channel=out1')
  assert.equal(answer.status.code, 100)
  assert.match(String(answer.status.message), /refused the change: nothing changed: the peer forwarded this change as to the active node, but this node is standby too/)
  assert.deepEqual([...standby.disabled, ...active.disabled], [])
})

test('the active node refuses the peer\'s admin state; a standby takes it whole', async () => {
  const { active, standby } = pair()
  active.disabled.add('out4')
  const refused = await active.get('/api/sync?disabled=out1')
  assert.equal(refused.status.code, 100)
  assert.match(String(refused.status.message), /this node is the active one/)
  assert.deepEqual([...active.disabled], ['out4'])
  standby.disabled.add('out7')
  assert.equal((await standby.get('/api/sync?disabled=out3,out1')).status.code, 0)
  assert.deepEqual([...standby.disabled], ['out1', 'out3'])
  assert.equal((await standby.get('/api/sync?disabled=')).status.code, 0)
  assert.deepEqual([...standby.disabled], [])
  for (const bad of ['/api/sync', '/api/sync?disabled=out9', '/api/sync?disabled=out1&x=1', '/api/sync?out1']) {
    const answer = await standby.get(bad)
    assert.equal(answer.httpStatus, 400, bad)
    assert.equal(answer.status.code, 100, bad)
  }
})

test('a standby that returns pulls the active node\'s set on its first round, and only from an active peer', async () => {
  const { active, standby } = pair()
  active.disabled.add('out5')
  active.role = 'standby'
  await standby.sync.tick()
  assert.deepEqual([...standby.disabled], [], 'a standby peer is no source')
  active.role = 'active'
  await standby.sync.tick()
  assert.deepEqual([...standby.disabled], ['out5'])
  // once in step, a standby waits for pushes instead of asking again
  active.disabled.add('out6')
  await standby.sync.tick()
  assert.deepEqual([...standby.disabled], ['out5'])
  await active.sync.tick()
  assert.deepEqual([...standby.disabled], ['out5', 'out6'])
})

test('a peer that is down is logged once per outage, and once when it answers again', async () => {
  const { active, standby } = pair()
  standby.reachable = false
  for (let round = 0; round < 3; round++) await active.sync.tick()
  assert.equal(active.lines.length, 1)
  assert.match(active.lines[0] ?? '', /^warn: HA sync: the admin state was not sent to the peer at http:\/\/lb2:8080: no answer within 1000 ms/)
  active.disabled.add('out8')
  standby.reachable = true
  await active.sync.tick()
  assert.deepEqual([...standby.disabled], ['out8'])
  assert.equal(active.lines.length, 3)
  assert.equal(active.lines[1], 'info: HA sync: the peer at http://lb2:8080 answers again')
  assert.equal(active.lines[2], 'info: HA sync: the peer now has disabled: out8')
})

test('/api/status names the role with HA; without HA the app answers exactly as before', async () => {
  const { active, standby } = pair()
  assert.deepEqual((await active.get('/api/status')).status, { code: 0, message: '', role: 'active', out1: 'up', out2: 'up', out3: 'up' })
  assert.equal((await standby.get('/api/status')).status.role, 'standby')
  // l3lb status reads the role from /api/outputs
  assert.deepEqual((await active.get('/api/outputs')).status, { code: 0, message: '', role: 'active' })
  assert.equal((await standby.get('/api/outputs')).status.role, 'standby')
  const plain = buildCtlApp({ controller: { setEnabled: async () => ({ code: 10, message: '', outputs: [] }), setDraining: async () => ({ code: 10, message: '', outputs: [] }), status: async () => new Map(), outputs: async () => [], services: async () => [], counters: async () => { throw new Error('not used') } }, token: '' })
  assert.deepEqual((await plain.inject({ method: 'GET', url: '/api/status' })).json(), { status: { code: 0, message: '' } })
  for (const path of ['/api/sync?disabled=', '/api/admin']) {
    const reply = await plain.inject({ method: 'GET', url: path })
    assert.equal(reply.statusCode, 404)
    assert.equal(reply.json<{ status: { message: string } }>().status.message, `unknown path "${path.split('?')[0] ?? ''}": expected /api/enable, /api/disable, /api/drain, /api/status, /api/outputs, /api/services, /api/counters, /metrics`)
  }
  const unknown = await active.get('/api/nope')
  assert.match(String(unknown.status.message), /expected \/api\/enable, \/api\/disable, \/api\/drain, \/api\/status, \/api\/outputs, \/api\/services, \/api\/counters, \/metrics, \/api\/admin, \/api\/sync$/)
  // the token guards the HA paths like every other
  assert.equal((await standby.app.inject({ method: 'GET', url: '/api/sync?disabled=out1' })).statusCode, 401)
  assert.deepEqual([...standby.disabled], [])
})

test('settings: a push with another digest makes the standby fetch and run the active node\'s settings', async () => {
  const { active, standby } = pair()
  active.settings = pairSettingsOf(new Map([['ports', '80,443'], ['out1', '198.18.1.2']]))
  await active.sync.push()
  await standby.sync.stop()
  assert.deepEqual(standby.settings, active.settings)
  const admin = (await standby.get('/api/admin')).status
  assert.deepEqual(admin.settings, active.settings)
  assert.equal(admin.digest, settingsDigest(active.settings))
})

test('settings: a standby that starts pulls them with the admin state', async () => {
  const { active, standby } = pair()
  active.settings = pairSettingsOf(new Map([['mode', 'tcp_source']]))
  await standby.sync.tick()
  assert.deepEqual(standby.settings, active.settings)
})

test('settings the standby cannot run: logged once as an error, not tried again until they change', async () => {
  const { active, standby } = pair()
  standby.refuseSettings = 'the local peer name would change: restart the agent'
  active.settings = pairSettingsOf(new Map([['mode', 'tcp_source']]))
  for (let i = 0; i < 3; i++) {
    await active.sync.push()
    await standby.sync.stop()
  }
  assert.equal(standby.lines.filter((line) => line.startsWith('error: HA sync: the active node\'s settings cannot run on this node')).length, 1, standby.lines.join('\n'))
  standby.refuseSettings = ''
  active.settings = pairSettingsOf(new Map([['mode', 'tcp_roundrobin'], ['ports', '81']]))
  await active.sync.push()
  await standby.sync.stop()
  assert.deepEqual(standby.settings, active.settings)
})

test('settings that ran part-way: the line does not claim the standby keeps its own, the error says what runs', async () => {
  const { active, standby } = pair()
  standby.refuseSettings = new L3lbError('L3LB_RELOAD_MIXED', 'keepalived failed, and not every part could be put back: HAProxy runs the new configuration (…)')
  active.settings = pairSettingsOf(new Map([['ports', '81']]))
  await active.sync.push()
  await standby.sync.stop()
  assert.deepEqual(standby.lines.filter((line) => line.startsWith('error: HA sync:')), [
    'error: HA sync: the active node\'s settings cannot run on this node, tried again when they change: keepalived failed, and not every part could be put back: HAProxy runs the new configuration (…)'
  ])
  standby.refuseSettings = new L3lbError('L3LB_RELOAD_UNDONE', 'keepalived failed; HAProxy was put back: the previous configuration runs. keepalived: …')
  active.settings = pairSettingsOf(new Map([['ports', '82']]))
  await active.sync.push()
  await standby.sync.stop()
  assert.match(standby.lines.filter((line) => line.startsWith('error: HA sync:'))[1] ?? '', /cannot run on this node, which keeps its own until they change: keepalived failed; HAProxy was put back/)
})

test('/api/sync takes an optional settings digest of 16 hex digits and nothing else', async () => {
  const { standby } = pair()
  assert.equal((await standby.get(`/api/sync?disabled=out1&settings=${settingsDigest(standby.settings)}`)).status.code, 0)
  for (const bad of ['/api/sync?disabled=&settings=xyz', '/api/sync?disabled=&settings=', '/api/sync?settings=0123456789abcdef', '/api/sync?disabled=&settings=0123456789abcdef&x=1']) {
    const answer = await standby.get(bad)
    assert.equal(answer.status.code, 100, bad)
    assert.equal(answer.httpStatus, 400, bad)
  }
})
