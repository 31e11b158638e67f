import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { enableForwarding, forwardingEnabled } from '../../../src/netfilter/forwarding.js'
import { createTopology, type Topology } from '../../support/topology.js'

let topology: Topology

before(async () => {
  topology = await createTopology({ backends: 1, ipv6: true })
})

after(async () => {
  await topology?.destroy()
})

const FILES = { 4: '/proc/sys/net/ipv4/ip_forward', 6: '/proc/sys/net/ipv6/conf/all/forwarding' } as const
const KEYS = { 4: 'net.ipv4.ip_forward', 6: 'net.ipv6.conf.all.forwarding' } as const

for (const family of [4, 6] as const) {
  describe(`IPv${family} forwarding`, () => {
    it('is switched on in the namespace only, the host\'s value unchanged', async () => {
      const command = ['ip', 'netns', 'exec', topology.names.lb]
      const host = await readFile(FILES[family], 'utf8')
      // The topology switched it on in lb; start from off to see the change.
      await topology.exec(topology.names.lb, 'sysctl', ['-q', '-w', `${KEYS[family]}=0`])
      assert.equal(await forwardingEnabled(family, { command }), false)
      await enableForwarding(family, { command })
      assert.equal(await forwardingEnabled(family, { command }), true)
      const inside = await topology.exec(topology.names.lb, 'cat', [FILES[family]])
      assert.equal(inside.stdout.trim(), '1')
      assert.equal(await readFile(FILES[family], 'utf8'), host)
      // The client namespace's own value is another one again: still off.
      assert.equal(await forwardingEnabled(family, { command: ['ip', 'netns', 'exec', topology.names.client] }), false)
    })
  })
}
