/** The keepalived supervisor's checks before it starts anything. */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isL3lbError } from '../../../src/errors.js'
import { Keepalived } from '../../../src/ha/keepalived.js'
import { propertiesFrom } from '../../support/fixtures.js'

const dir = mkdtempSync(join(tmpdir(), 'l3lb-keepalived-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const PAIR = 'ctl_addr=0.0.0.0\nctl_token=t0ken\nha_vip=198.18.0.100\nha_interface=to-lan\nha_peer=198.18.0.12\n'
const silent = { info: () => undefined, error: () => undefined }

function keepalived (name: string): Keepalived {
  return new Keepalived({ runtimeDir: dir, statsSocket: join(dir, 'haproxy.sock'), log: silent, binary: join(dir, `absent-keepalived-${name}`), socat: join(dir, 'absent-socat') })
}

test('socat not installed: a TCP-mode pair is refused with L3LB_PROGRAM_MISSING before keepalived starts', async () => {
  const supervisor = keepalived('tcp')
  const { ha } = propertiesFrom(`mode=tcp_roundrobin\n${PAIR}`)
  await assert.rejects(supervisor.apply(ha, { mode: 'tcp_roundrobin', notifyCommand: null }), (error: unknown) => {
    assert.ok(isL3lbError(error, 'L3LB_PROGRAM_MISSING'), String(error))
    assert.match(error.message, /^socat is not installed \(ha_vip in a TCP mode checks HAProxy with it every second\): install Debian's socat package \(looked for .*absent-socat\)$/)
    return true
  })
  assert.equal(supervisor.running, false)
  assert.equal(existsSync(supervisor.configFile), false)
})

test('udp_roundrobin tracks no HAProxy and needs no socat', async () => {
  const supervisor = keepalived('udp')
  const { ha } = propertiesFrom(`mode=udp_roundrobin\n${PAIR}`)
  // it gets as far as starting keepalived, which is missing here
  await assert.rejects(supervisor.apply(ha, { mode: 'udp_roundrobin', notifyCommand: null }), /keepalived is not installed/)
})

test('udp_roundrobin beside a TCP service file: HAProxy runs for it, so keepalived tracks it (and needs socat)', async () => {
  const { ha } = propertiesFrom(`mode=udp_roundrobin\n${PAIR}`)
  await assert.rejects(keepalived('udp-with-tcp-service').apply(ha, { mode: 'udp_roundrobin', notifyCommand: null, services: [{ mode: 'udp_source' }, { mode: 'tcp_leastconn' }] }), (error: unknown) => {
    assert.ok(isL3lbError(error, 'L3LB_PROGRAM_MISSING'), String(error))
    assert.match(error.message, /^socat is not installed/)
    return true
  })
  // with socat there, the file keepalived is asked to check tracks HAProxy; UDP service files alone run none to track
  const rendered = async (services: ReadonlyArray<{ mode: 'udp_source' | 'tcp_leastconn' }>): Promise<string> => {
    const supervisor = new Keepalived({ runtimeDir: dir, statsSocket: join(dir, 'haproxy.sock'), log: silent, binary: join(dir, 'absent-keepalived'), socat: '/bin/sh' })
    await assert.rejects(supervisor.apply(ha, { mode: 'udp_roundrobin', notifyCommand: null, services }), /keepalived is not installed/)
    return readFileSync(`${supervisor.configFile}.new`, 'utf8')
  }
  assert.match(await rendered([{ mode: 'udp_source' }, { mode: 'tcp_leastconn' }]), /track_script \{\s+l3lb_haproxy/)
  assert.doesNotMatch(await rendered([{ mode: 'udp_source' }]), /track_script/)
})
