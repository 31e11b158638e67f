/** conntrackd's supervisor and keepalived's notify program, against a stand-in conntrackd that records its arguments. */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { NetworkInterfaceInfo } from 'node:os'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { isL3lbError } from '../../../src/errors.js'
import { CONNTRACKD_NOTIFY_PROGRAM, Conntrackd, conntrackdWanted } from '../../../src/ha/conntrackd.js'
import { propertiesFrom, stateWithServices } from '../../support/fixtures.js'

const dir = mkdtempSync(join(tmpdir(), 'l3lb-conntrackd-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const PAIR = 'ctl_addr=0.0.0.0\nctl_token=t0ken\nha_vip=198.18.0.100\nha_interface=to-lan\nha_peer=198.18.0.12\n'
const silent = { info: () => undefined, error: () => undefined }
const toLan = (): NodeJS.Dict<NetworkInterfaceInfo[]> => ({
  'to-lan': [{ address: '198.18.0.11', family: 'IPv4', internal: false, netmask: '255.255.255.0', mac: '02:00:00:00:00:01', cidr: '198.18.0.11/24' }]
})

// a conntrackd that appends its arguments to `log` and exits with `status` when its last argument is `failing`
function standIn (name: string, failing = ''): { program: string, log: string } {
  const program = join(dir, name)
  const log = join(dir, `${name}.log`)
  writeFileSync(program, `#!/bin/sh\necho "$*" >> ${log}\n[ "$3" = "${failing}" ] && exit 1\nexit 0\n`)
  chmodSync(program, 0o755)
  return { program, log }
}

async function notify (program: string, role: string): Promise<number | undefined> {
  return (await execa(process.execPath, [CONNTRACKD_NOTIFY_PROGRAM, program, '/run/l3lb/conntrackd.conf', role], { reject: false, timeout: 30_000 })).exitCode
}

test('primary: commit, flush, resync, bulk send, in that order (Debian\'s primary-backup.sh); backup: ask for a resync', async () => {
  const { program, log } = standIn('conntrackd-ok')
  assert.equal(await notify(program, 'primary'), 0)
  assert.equal(await notify(program, 'backup'), 0)
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['-C', '-f', '-R', '-B', '-n'].map((flag) => flag === '-C' ? '-C /run/l3lb/conntrackd.conf -c' : `-C /run/l3lb/conntrackd.conf ${flag}`))
})

test('a command that fails does not stop the next ones, and the program exits 1; a wrong role exits 2', async () => {
  const { program, log } = standIn('conntrackd-failing', '-f')
  assert.equal(await notify(program, 'primary'), 1)
  assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 4)
  assert.equal(await notify(program, 'fault'), 2)
  assert.equal(await notify(join(dir, 'absent'), 'backup'), 1)
})

test('only udp_roundrobin with ha_vip wants conntrackd, and only then does keepalived get a notify command', () => {
  const conntrackd = new Conntrackd({ runtimeDir: dir, log: silent })
  for (const mode of ['tcp_roundrobin', 'tcp_source']) {
    const properties = propertiesFrom(`mode=${mode}\npeer_addr=198.18.0.11\n${PAIR}`)
    assert.equal(conntrackdWanted(properties), null)
    assert.equal(conntrackd.notifyCommand(properties), null)
  }
  assert.equal(conntrackdWanted(propertiesFrom('mode=udp_roundrobin\n')), null)
  const udp = propertiesFrom(`mode=udp_roundrobin\n${PAIR}`)
  assert.deepEqual(conntrackd.notifyCommand(udp), [process.execPath, CONNTRACKD_NOTIFY_PROGRAM, 'conntrackd', join(dir, 'conntrackd.conf')])
})

test('conntrackd not installed: L3LB_PROGRAM_MISSING names Debian\'s package', async () => {
  const conntrackd = new Conntrackd({ runtimeDir: dir, log: silent, binary: join(dir, 'absent-conntrackd'), interfaces: toLan })
  await assert.rejects(conntrackd.apply(propertiesFrom(`mode=udp_roundrobin\n${PAIR}`)), (error: unknown) => {
    assert.ok(isL3lbError(error, 'L3LB_PROGRAM_MISSING'), String(error))
    assert.match(error.message, /conntrackd is not installed .*install Debian's conntrackd package/)
    return true
  })
  assert.equal(conntrackd.running, false)
  assert.ok(existsSync(join(dir, 'conntrackd.conf')))
})

test('no own address on ha_interface: refused before anything starts, naming the interface', async () => {
  const conntrackd = new Conntrackd({ runtimeDir: join(dir, 'none'), log: silent, interfaces: () => ({}) })
  await assert.rejects(conntrackd.apply(propertiesFrom(`mode=udp_roundrobin\n${PAIR}`)), /conntrackd sends from this node's own IPv4 address on ha_interface "to-lan", and it has none/)
})

test('a UDP service file in a TCP pair wants conntrackd too (its flows keep their server across a failover); TCP service files alone do not', () => {
  const conntrackd = new Conntrackd({ runtimeDir: dir, log: silent })
  const env = `mode=tcp_roundrobin\npeer_addr=198.18.0.11\nout1=198.18.1.2\n${PAIR}`
  for (const mode of ['udp_roundrobin', 'udp_source']) {
    const { properties, services } = stateWithServices(env, { voip: `mode=${mode}\nports=5060\nserver_a=198.18.5.1\n` })
    assert.equal(conntrackdWanted(properties, services), properties.ha, mode)
    assert.deepEqual(conntrackd.notifyCommand(properties, services), [process.execPath, CONNTRACKD_NOTIFY_PROGRAM, 'conntrackd', join(dir, 'conntrackd.conf')])
  }
  const { properties, services } = stateWithServices(env, { web: 'mode=tcp_leastconn\nports=8081\nserver_a=198.18.5.1\n' })
  assert.equal(conntrackdWanted(properties, services), null)
  assert.equal(conntrackd.notifyCommand(properties, services), null)
})
