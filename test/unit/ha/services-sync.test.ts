/**
 * The pair's service files, drain and a large admin state: two nodes in memory, each with its
 * PairSync and its real ctl app (through inject), the push by POST with a JSON body.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildCtlApp } from '../../../src/ctl/app.js'
import type { CtlController } from '../../../src/ctl/controller.js'
import { L3lbError } from '../../../src/errors.js'
import { PairSync, selectorQuery, type PeerCall, type PeerPost } from '../../../src/ha/sync.js'
import { MAX_URL_LENGTH } from '../../../src/ctl/app.js'
import { describeServiceFileChanges, pairServicesOf, pairSettingsOf, parsePairSettings, servicesOf, settingsDigest, type PairServices, type PairSettings } from '../../../src/properties/pair-settings.js'
import { envFileText } from '../../../src/properties/envfile-text.js'
import { parseEnvFile } from '../../../src/properties/envfile.js'
import { entryValues } from '../../../src/properties/load.js'
import { parseSyncBody } from '../../../src/ctl/query.js'
import { writeServiceFiles } from '../../../src/state/service-files-store.js'
import type { AdminChangeResult, OutputSelector } from '../../../src/model/admin.js'
import type { NodeRole } from '../../../src/model/pair.js'

const TOKEN = 's3cret'
const WEB: PairServices = { web: { mode: 'tcp_roundrobin', ports: '8080', server_web1: '198.18.1.11', server_web2: '198.18.1.12 weight=2' } }

/** The key a selector means here: `service/server`, or the channel alone for default. */
function keyOf (selector: OutputSelector): string {
  if (!('channel' in selector)) throw new Error('by channel only')
  return selector.service === undefined || selector.service === 'default' ? selector.channel : `${selector.service}/${selector.channel}`
}

class Node {
  disabled = new Set<string>()
  draining = new Set<string>()
  readonly lines: string[] = []
  readonly posts: Array<{ path: string, bytes: number }> = []
  role: NodeRole
  settings: PairSettings = pairSettingsOf(new Map([['ports', '80']]))
  readonly sync: PairSync
  readonly app: FastifyInstance
  peer: Node | undefined

  constructor (readonly name: string, role: NodeRole) {
    this.role = role
    const change = (key: string, to: 'enabled' | 'disabled' | 'draining'): AdminChangeResult => {
      const now = this.disabled.has(key) ? 'disabled' : this.draining.has(key) ? 'draining' : 'enabled'
      if (now === to) return { code: 10, message: `nothing changed: ${key} already ${to}`, outputs: [key] }
      this.disabled.delete(key)
      this.draining.delete(key)
      if (to === 'disabled') this.disabled.add(key)
      if (to === 'draining') this.draining.add(key)
      return { code: 0, message: `${key} ${to}`, outputs: [key] }
    }
    const peer: PeerCall = async (pathAndQuery, _timeoutMs, headers = {}) => {
      const reply = await this.other().app.inject({ method: 'GET', url: pathAndQuery, headers: { ...headers, authorization: `Bearer ${TOKEN}` } })
      return { httpStatus: reply.statusCode, status: reply.json<{ status: { code: number, message: string } }>().status }
    }
    const post: PeerPost = async (path, body, _timeoutMs) => {
      const payload = JSON.stringify(body)
      this.posts.push({ path, bytes: Buffer.byteLength(payload) })
      const reply = await this.other().app.inject({ method: 'POST', url: path, payload, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } })
      return { httpStatus: reply.statusCode, status: reply.json<{ status: { code: number, message: string } }>().status }
    }
    this.sync = new PairSync({
      role: () => this.role,
      inPair: () => true,
      peerUrl: () => `http://${this.peer?.name ?? ''}:8080`,
      local: {
        disabled: () => [...this.disabled].sort(),
        draining: () => [...this.draining].sort(),
        setEnabled: async (selector, enabled) => change(keyOf(selector), enabled ? 'enabled' : 'disabled'),
        setDraining: async (selector) => change(keyOf(selector), 'draining'),
        replaceDisabled: async (disabled, draining) => {
          this.disabled = new Set(disabled)
          if (draining !== undefined) this.draining = new Set(draining)
          return { code: 0, message: '', outputs: [...disabled] }
        },
        settings: () => this.settings,
        replaceSettings: async (settings) => { this.settings = settings }
      },
      peer,
      post,
      log: { info: (line) => this.lines.push(`info: ${line}`), warn: (line) => this.lines.push(`warn: ${line}`), error: (line) => this.lines.push(`error: ${line}`) }
    })
    const controller: CtlController = {
      setEnabled: (selector, enabled, origin) => this.sync.setEnabled(selector, enabled, origin ?? 'client'),
      setDraining: (selector, origin) => this.sync.setDraining(selector, origin ?? 'client'),
      status: async () => new Map(),
      outputs: async () => [],
      services: async () => [],
      counters: async () => { throw new Error('not used') }
    }
    this.app = buildCtlApp({ controller, token: TOKEN, ha: this.sync })
  }

  other (): Node {
    if (this.peer === undefined) throw new L3lbError('L3LB_HA_SYNC', 'no peer')
    return this.peer
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

test('the service files are in the shared settings and their digest: a new, changed or removed file changes it', () => {
  const env = new Map([['ports', '80']])
  const none = pairSettingsOf(env)
  const web = pairSettingsOf(env, WEB)
  assert.deepEqual(servicesOf(none), {})
  assert.deepEqual(servicesOf(web), WEB)
  assert.notEqual(settingsDigest(none), settingsDigest(web))
  const changed = pairSettingsOf(env, { web: { ...WEB.web, server_web2: '198.18.1.13' } })
  assert.notEqual(settingsDigest(changed), settingsDigest(web))
  // the order of the entries and of the files does not count
  const reordered = pairSettingsOf(env, { api: { ports: '81' }, web: Object.fromEntries(Object.entries(WEB.web ?? {}).reverse()) })
  assert.equal(settingsDigest(reordered), settingsDigest(pairSettingsOf(env, { web: WEB.web ?? {}, api: { ports: '81' } })))
  assert.equal(describeServiceFileChanges(servicesOf(web), servicesOf(reordered)), 'service files: api added')
  assert.equal(describeServiceFileChanges(servicesOf(reordered), servicesOf(changed)), 'service files: web changed, api removed')
  assert.equal(describeServiceFileChanges(WEB, WEB), '')
  // as read from a folder: the entries as the file gives them
  assert.deepEqual(pairServicesOf([{ name: 'web', file: '/x/web.env', entries: new Map(Object.entries(WEB.web ?? {})), lineProblems: [] }]), WEB)
})

test('shared settings from the peer or from disk: service names and entries that could be written back as files only', () => {
  const web = pairSettingsOf(new Map(), WEB)
  assert.deepEqual(parsePairSettings(JSON.parse(JSON.stringify(web))), web)
  const { services: _services, ...older } = web
  assert.deepEqual(servicesOf(parsePairSettings(older) ?? {}), {}, 'a file an older version saved has none')
  for (const services of [{ '../etc': { ports: '80' } }, { default: { ports: '80' } }, { web: { ports: '80\nctl_token=x' } }, { web: { 'bad name': '1' } }, { web: { ports: 80 } }, { web: [] }, []]) {
    assert.equal(parsePairSettings({ ...web, services }), null, JSON.stringify(services))
  }
})

test('a service file written as text reads back as the same entries', () => {
  const entries = { mode: 'tcp_roundrobin', server_a: '198.18.1.1:80 weight=2 backup', server_b: 'host-name.example', odd: 'say "hi" \\ # not a comment', in_addr: '' }
  const parsed = parseEnvFile(envFileText(entries, 'a header'))
  assert.deepEqual(parsed.problems, [])
  assert.deepEqual(Object.fromEntries(entryValues(parsed)), entries)
})

test('the standby writes the service files into its folder: new and changed ones atomically, removed ones gone, other files left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-services-'))
  try {
    writeFileSync(join(dir, 'old.env'), 'ports=90\n')
    writeFileSync(join(dir, 'notes.txt'), 'kept\n')
    writeFileSync(join(dir, 'web.env~'), 'kept too\n')
    assert.deepEqual(await writeServiceFiles(dir, WEB), { written: ['web'], removed: ['old'] })
    assert.deepEqual(readdirSync(dir).sort(), ['notes.txt', 'web.env', 'web.env~'])
    const parsed = parseEnvFile(readFileSync(join(dir, 'web.env'), 'utf8'))
    assert.deepEqual(Object.fromEntries(entryValues(parsed)), WEB.web)
    assert.deepEqual(await writeServiceFiles(dir, WEB), { written: [], removed: [] }, 'a file as it should be is left alone')
    assert.deepEqual(await writeServiceFiles(dir, {}), { written: [], removed: ['web'] })
    const missing = join(dir, 'made', 'services.d')
    assert.deepEqual(await writeServiceFiles(missing, WEB), { written: ['web'], removed: [] })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a push with the active node\'s service files in its digest makes the standby run them; /api/admin shows them', async () => {
  const { active, standby } = pair()
  active.settings = pairSettingsOf(new Map([['ports', '80']]), WEB)
  await active.sync.push()
  await standby.sync.stop()
  assert.deepEqual(servicesOf(standby.settings), WEB)
  const admin = (await standby.get('/api/admin')).status
  assert.deepEqual((admin.settings as PairSettings).services, WEB)
  assert.equal(admin.digest, settingsDigest(active.settings))
  // a removed file goes too
  active.settings = pairSettingsOf(new Map([['ports', '80']]))
  await active.sync.push()
  await standby.sync.stop()
  assert.deepEqual(servicesOf(standby.settings), {})
})

test('1,000 server keys of long names are pushed by POST in one body and taken whole, with the drain', async () => {
  const { active, standby } = pair()
  const keys = Array.from({ length: 1000 }, (_, index) => `service-name-${String(index % 200).padStart(3, '0')}/server_with_a_long_name_${String(index).padStart(4, '0')}`)
  active.disabled = new Set(keys.slice(0, 900))
  active.draining = new Set(keys.slice(900))
  const url = `/api/sync?disabled=${keys.slice(0, 900).join(',')}`
  assert.ok(url.length > MAX_URL_LENGTH, 'the GET form could not carry them')
  await active.sync.push()
  assert.equal(active.posts.length, 1)
  assert.ok((active.posts[0]?.bytes ?? 0) > 20 * MAX_URL_LENGTH, `a body of ${active.posts[0]?.bytes ?? 0} bytes`)
  assert.deepEqual([...standby.disabled].sort(), keys.slice(0, 900).sort())
  assert.deepEqual([...standby.draining].sort(), keys.slice(900).sort())
  const admin = (await standby.get('/api/admin')).status
  assert.equal((admin.disabled as string[]).length, 900)
  assert.equal((admin.draining as string[]).length, 100)
})

test('POST /api/sync: the standby takes a good body; a bad one is code 100, HTTP 400; the active node and a GET-only path refuse it', async () => {
  const { active, standby } = pair()
  const post = async (node: Node, payload: string, url = '/api/sync'): Promise<{ httpStatus: number, status: Record<string, unknown> }> => {
    const reply = await node.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } })
    return { httpStatus: reply.statusCode, status: reply.json<{ status: Record<string, unknown> }>().status }
  }
  const digest = settingsDigest(standby.settings)
  assert.equal((await post(standby, JSON.stringify({ disabled: ['out1', 'web/a'], draining: ['web/b'], digest }))).status.code, 0)
  assert.deepEqual([...standby.disabled].sort(), ['out1', 'web/a'])
  assert.deepEqual([...standby.draining], ['web/b'])
  for (const bad of ['[]', '{"disabled":[],"draining":[]}', `{"disabled":["out9"],"draining":[],"digest":"${digest}"}`, `{"disabled":"out1","draining":[],"digest":"${digest}"}`, `{"disabled":[],"draining":[],"digest":"${digest}","x":1}`, '{nope']) {
    const answer = await post(standby, bad)
    assert.equal(answer.httpStatus, 400, bad)
    assert.equal(answer.status.code, 100, bad)
  }
  assert.deepEqual([...standby.disabled].sort(), ['out1', 'web/a'], 'a refused body changes nothing')
  assert.match(String((await post(active, JSON.stringify({ disabled: [], draining: [], digest }))).status.message), /this node is the active one/)
  const elsewhere = await post(standby, '{}', '/api/disable?channel=out1')
  assert.equal(elsewhere.httpStatus, 405)
  // 1 MB is read; more is refused
  const big = await post(standby, JSON.stringify({ disabled: [], draining: [], digest, pad: 'x'.repeat(1_100_000) }))
  assert.equal(big.httpStatus, 413)
  assert.equal(big.status.code, 100)
  assert.throws(() => parseSyncBody({ disabled: [], draining: [], digest: 'xyz' }), /digest "xyz" is not 16 hex digits/)
})

test('a drain on the active node is pushed; the standby keeps it, and takes it when it pulls', async () => {
  const { active, standby } = pair()
  assert.equal((await active.get('/api/drain?service=web&channel=web1')).status.code, 0)
  await active.sync.push()
  assert.deepEqual([...standby.draining], ['web/web1'])
  assert.deepEqual((await standby.get('/api/admin')).status.draining, ['web/web1'])
  // a standby that starts pulls the drain with the rest
  const fresh = new Node('lb3', 'standby')
  fresh.peer = active
  await fresh.sync.tick()
  assert.deepEqual([...fresh.draining], ['web/web1'])
})

test('a change sent to the standby with service= is forwarded with it and lands on that service\'s server; a drain too', async () => {
  const { active, standby } = pair()
  const disabled = await standby.get('/api/disable?service=app&channel=web1')
  assert.deepEqual(disabled, { httpStatus: 200, status: { code: 0, message: 'on the active node http://lb1:8080: app/web1 disabled' } })
  assert.deepEqual([...active.disabled], ['app/web1'], 'not default\'s web1')
  assert.deepEqual([...standby.disabled], ['app/web1'])
  const drained = await standby.get('/api/drain?service=app&channel=web2')
  assert.deepEqual(drained.status, { code: 0, message: 'on the active node http://lb1:8080: app/web2 draining' })
  assert.deepEqual([...active.draining, ...standby.draining], ['app/web2', 'app/web2'])
  // the active node's code comes back as it is
  assert.equal((await standby.get('/api/drain?service=app&channel=web2')).status.code, 10)
  assert.equal(selectorQuery({ address: 'fd00:1b::5', service: 'web' }), 'service=web&address=fd00%3A1b%3A%3A5')
  // a drain forwarded to a node that is standby too is refused
  active.role = 'standby'
  const refused = await standby.get('/api/drain?service=app&channel=web3')
  assert.equal(refused.status.code, 100)
  assert.match(String(refused.status.message), /forwarded this drain as to the active node, but this node is standby too/)
})

test('the standby leaves a service file alone that already gives the active node\'s entries, its comments and order included; one that differs, or does not parse, is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-services-kept-'))
  try {
    // as the operator wrote it on this node while it was active: comments, another order, quotes
    const byHand = '# the web tier: two servers on rack 4\nserver_web2="198.18.1.12 weight=2"\nmode=tcp_roundrobin\n\n# the old port\nports=8080\n# rack 4, slot 1\nserver_web1=198.18.1.11\n'
    writeFileSync(join(dir, 'web.env'), byHand)
    assert.deepEqual(await writeServiceFiles(dir, WEB), { written: [], removed: [] })
    assert.equal(readFileSync(join(dir, 'web.env'), 'utf8'), byHand)
    const changed = { web: { ...WEB.web, ports: '8081' } }
    assert.deepEqual(await writeServiceFiles(dir, changed), { written: ['web'], removed: [] })
    assert.deepEqual(Object.fromEntries(entryValues(parseEnvFile(readFileSync(join(dir, 'web.env'), 'utf8')))), changed.web)
    writeFileSync(join(dir, 'web.env'), `${envFileText(changed.web)}a line that is not name=value\n`)
    assert.deepEqual(await writeServiceFiles(dir, changed), { written: ['web'], removed: [] })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
