import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  PAIR_PROPERTIES, describeDifferences, effectiveEntries, pairSettingsOf, parsePairSettings, settingsDifferences, settingsDigest, withPairSettings
} from '../../../src/properties/pair-settings.js'
import { PROPERTY_NAMES } from '../../../src/properties/schema.js'
import { loadPairSettings, modifiedAtMs, savePairSettings } from '../../../src/state/pair-settings-store.js'

const activeFile = new Map([['mode', 'tcp_source'], ['ports', '80,443'], ['out1', '198.18.1.2'], ['ha_vip', '198.18.0.100'], ['ctl_addr', '198.18.0.11'], ['ha_priority', '150']])
const standbyFile = new Map([['mode', 'tcp_source'], ['ports', '80'], ['ha_vip', '198.18.0.100'], ['ctl_addr', '198.18.0.12'], ['ha_priority', '100'], ['ha_peer', '198.18.0.11']])

test('the shared properties are the service\'s; the node\'s own addresses, priority, interface and ctl credentials are not', () => {
  for (const name of PAIR_PROPERTIES) assert.ok(PROPERTY_NAMES.includes(name), name)
  for (const own of ['ctl_addr', 'ctl_port', 'ctl_token', 'ui_addr', 'peer_addr', 'in_addr', 'ha_interface', 'ha_peer', 'ha_priority', 'ha_preempt', 'mail_from'] as const) {
    assert.equal(PAIR_PROPERTIES.includes(own), false, own)
  }
})

test('a node\'s shared settings: given values, defaults written out; the digest follows the values only', () => {
  const settings = pairSettingsOf(activeFile)
  assert.equal(settings.ports, '80,443')
  assert.equal(settings.healthcheck_interval, '20')
  assert.equal(settings.out2, '')
  assert.equal(settings.ctl_addr, undefined)
  assert.equal(settingsDigest(settings), settingsDigest(pairSettingsOf(new Map([...activeFile].reverse()))))
  assert.notEqual(settingsDigest(settings), settingsDigest(pairSettingsOf(standbyFile)))
  assert.match(settingsDigest(settings), /^[0-9a-f]{16}$/)
})

test('merged: the node keeps its own properties and takes every shared one from the pair', () => {
  const merged = withPairSettings(standbyFile, pairSettingsOf(activeFile))
  assert.equal(merged.get('ctl_addr'), '198.18.0.12')
  assert.equal(merged.get('ha_priority'), '100')
  assert.equal(merged.get('ha_peer'), '198.18.0.11')
  assert.equal(merged.get('ports'), '80,443')
  assert.equal(merged.get('out1'), '198.18.1.2')
  // a shared property at its default is left out, as a file that does not name it
  assert.equal(merged.has('healthcheck_interval'), false)
  assert.equal(withPairSettings(new Map([['healthcheck_interval', '5']]), pairSettingsOf(new Map())).has('healthcheck_interval'), false)
  assert.deepEqual(settingsDifferences(merged, pairSettingsOf(activeFile)), [])
})

test('differences name each shared property where the file says otherwise, shortened for the log', () => {
  const differences = settingsDifferences(standbyFile, pairSettingsOf(activeFile))
  assert.deepEqual(differences.map((difference) => difference.name), ['ports', 'out1'])
  assert.equal(describeDifferences(differences), 'ports "80" -> "80,443", out1 "" -> "198.18.1.2"')
  assert.match(describeDifferences([{ name: 'ports', own: '1'.repeat(100), pair: '2' }]), /^ports "1{60}\.\.\." -> "2"$/)
})

test('effective entries: the pair\'s when following and in a pair; the file\'s otherwise', () => {
  const pair = pairSettingsOf(activeFile)
  assert.equal(effectiveEntries(standbyFile, pair, true).get('ports'), '80,443')
  assert.equal(effectiveEntries(standbyFile, pair, false).get('ports'), '80')
  assert.equal(effectiveEntries(standbyFile, null, true).get('ports'), '80')
  // a file without ha_vip left the pair
  const alone = new Map(standbyFile)
  alone.delete('ha_vip')
  assert.equal(effectiveEntries(alone, pair, true).get('ports'), '80')
})

test('settings read from the peer or from disk: every shared name a string, nothing more', () => {
  const settings = pairSettingsOf(activeFile)
  assert.deepEqual(parsePairSettings(JSON.parse(JSON.stringify(settings))), settings)
  assert.equal(parsePairSettings(null), null)
  assert.equal(parsePairSettings([]), null)
  assert.equal(parsePairSettings({ ...settings, ports: 80 }), null)
  assert.equal(parsePairSettings({ ...settings, ctl_token: 'x' }), null)
  const { ports: _ports, ...missing } = settings
  assert.equal(parsePairSettings(missing), null)
})

test('the store: saved atomically, owner-only, read back with its time; a broken file is warned about and ignored', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-pair-'))
  try {
    const file = join(dir, 'pair-settings.json')
    const warnings: string[] = []
    assert.equal(await loadPairSettings(file, (message) => warnings.push(message)), null)
    assert.equal(warnings.length, 0)
    await savePairSettings(file, pairSettingsOf(activeFile))
    const loaded = await loadPairSettings(file, (message) => warnings.push(message))
    assert.deepEqual(loaded?.settings, pairSettingsOf(activeFile))
    assert.equal(loaded?.savedAtMs, await modifiedAtMs(file))
    const { statSync } = await import('node:fs')
    assert.equal(statSync(file).mode & 0o777, 0o600)
    writeFileSync(file, '{"settings": {"ports": "80"}}')
    assert.equal(await loadPairSettings(file, (message) => warnings.push(message)), null)
    assert.match(warnings[0] ?? '', /are not in the expected form/)
    utimesSync(file, 0, 0)
    assert.equal(await modifiedAtMs(file), 0)
    assert.equal(await modifiedAtMs(join(dir, 'missing')), 0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
