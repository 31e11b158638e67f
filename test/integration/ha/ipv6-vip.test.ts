/**
 * An IPv6-only pair with real keepalived, HAProxy and agents: ha_vip and ha_peer from
 * fd00:1b::/48, so VRRP runs over IPv6 and keepalived moves the address with unsolicited
 * neighbour adverts. Clients reach the virtual address through lb1; lb1 fails (its HAProxy
 * killed, its agent stopped, as in failover.test.ts) and lb2 holds the address and serves.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { frontendSessions, HaPair, sleep, type NodeName } from '../../support/ha-pair.js'
import { createHaTopology, type HaTopology, type HaTopologyAddresses6 } from '../../support/ha-topology.js'
import { programsInNamespace } from '../../support/namespace-processes.js'

const FAILOVER_LIMIT_MS = 3000
// longer than the standby's master-down interval (3 adverts of 1 s + skew) plus slack for a loaded machine
const HEARD_LIMIT_MS = 6000
const CONNECT_TIMEOUT_MS = 1000

let topology: HaTopology
let six: HaTopologyAddresses6
let client: ClientDriver
let pair: HaPair
let lb2StartedAt = 0

function envFor (name: NodeName): string {
  const [be1, be2] = six.backends
  return [
    // the outputs by IPv6 too, so nothing on the path is IPv4
    'mode=tcp_roundrobin', 'ports=80', `out1=[${be1}]`, `out2=[${be2}]`, `in_addr=${six[name]}`, 'ctl_token=ipv6-t0ken',
    `ha_vip=${six.virtual}`, `ha_interface=${topology.lbInterface}`,
    `ha_peer=${six[name === 'lb1' ? 'lb2' : 'lb1']}`, `ha_priority=${name === 'lb1' ? 150 : 100}`, 'ha_router_id=45', ''
  ].join('\n')
}

/** Opens one connection to the IPv6 virtual address; the back end that greeted it, or null when none did. */
async function greetedBy (): Promise<string | null> {
  const connection = await client.connect({ host: six.virtual, port: 80, localAddress: six.client[0], timeoutMs: CONNECT_TIMEOUT_MS }).catch(() => null)
  if (connection === null) return null
  await client.close(connection.conn).catch(() => undefined)
  return connection.pending ? null : String(connection.greeting).split(' ')[0] ?? null
}

/** Opens `count` connections to the virtual address; asserts each is served and that `name`'s HAProxy took them all. */
async function assertServedBy (name: NodeName, count: number): Promise<void> {
  const before = await frontendSessions(pair.runtimeDir(name))
  for (let i = 0; i < count; i++) assert.match(String(await greetedBy()), /^be[12]$/, `connection ${i + 1} to [${six.virtual}]:80 was not served`)
  assert.equal(await frontendSessions(pair.runtimeDir(name)) - before, count, `${name}'s HAProxy did not take all ${count} connections`)
}

function holdsVirtual (name: NodeName): Promise<boolean> {
  return topology.holds(topology.names[name], six.virtual)
}

before(async () => {
  topology = await createHaTopology({ backends: 2, ipv6: true })
  if (topology.addresses6 === null) throw new Error('the HA topology has no IPv6 addresses')
  six = topology.addresses6
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  pair = new HaPair(topology, envFor)
  await pair.start('lb1')
  await pair.waitFor('lb1 holds the IPv6 virtual address', () => holdsVirtual('lb1'), 15_000)
  lb2StartedAt = Date.now()
  const lb2 = await pair.start('lb2')
  await lb2.waitForLine(/keepalived: \(l3lb\) Entering BACKUP STATE/, 5000)
})

after(async () => {
  await pair?.stop()
  await topology?.destroy()
})

test('an IPv6-only pair: VRRP runs over IPv6 and clients reach the IPv6 virtual address through lb1', async () => {
  const config = readFileSync(join(pair.runtimeDir('lb1'), 'keepalived.conf'), 'utf8')
  // announced in the adverts, not moved silently beside an IPv4 instance
  assert.match(config, new RegExp(`virtual_ipaddress \\{\\n\\s+${six.virtual}/128 dev `))
  assert.doesNotMatch(config, /virtual_ipaddress_excluded/)
  // a standby that does not hear the adverts becomes MASTER too once its master-down interval ends
  await sleep(lb2StartedAt + HEARD_LIMIT_MS - Date.now())
  assert.doesNotMatch(pair.agent('lb2').output(), /Entering MASTER STATE/, `lb2 did not hear lb1's IPv6 adverts\n${pair.logs()}`)
  assert.equal(await holdsVirtual('lb2'), false, 'the standby must not hold the virtual address too')
  assert.equal(await topology.holds(topology.names.lb1, topology.addresses.virtual), false, 'an IPv4 virtual address appeared')
  await assertServedBy('lb1', 4)
})

test('lb1 fails: lb2 holds the IPv6 virtual address within 3 s and serves', async (t) => {
  const haproxy = await programsInNamespace(topology.names.lb1, 'haproxy')
  assert.ok(haproxy.length > 0, 'no HAProxy found in lb1')
  const lb1 = pair.agent('lb1')
  // the data path dies at once while the agent is asked to stop (keepalived's priority-0 advert)
  const killedAt = Date.now()
  for (const pid of haproxy) process.kill(pid, 'SIGKILL')
  process.kill(lb1.pid, 'SIGTERM')
  await pair.waitFor('lb2 holds the IPv6 virtual address', () => holdsVirtual('lb2'), 10_000)
  const heldAfter = Date.now() - killedAt
  await pair.waitFor('a connection to the IPv6 virtual address is served again', async () => await greetedBy() !== null, 10_000)
  const servedAfter = Date.now() - killedAt
  t.diagnostic(`IPv6 failover: lb2 holds [${six.virtual}] ${heldAfter} ms after the kill, first connection served after ${servedAfter} ms`)
  assert.ok(servedAfter <= FAILOVER_LIMIT_MS, `the standby answered ${servedAfter} ms after the kill\n${pair.logs()}`)
  await lb1.exited
  assert.equal(await holdsVirtual('lb1'), false, 'lb1 still holds the IPv6 virtual address')
  await assertServedBy('lb2', 4)
})
