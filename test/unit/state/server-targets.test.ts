import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Server } from '../../../src/properties/model.js'
import { sameServers, serverTargets, type ServerSet } from '../../../src/state/server-targets.js'

const server = (name: string, address: string, port: number | null = null): Server => ({ name, address, port, weight: 1, maxconn: null, backup: false })

function set (outputs: Array<[string, string]>, services: Array<{ name: string, servers: Server[] }>): ServerSet {
  return { properties: { outputs: outputs.map(([name, address]) => ({ name, address }) as never) }, services }
}

test('every server by key: outputs by name, service files\' servers as service/server, with their port when they have one', () => {
  const targets = serverTargets(set([['out1', '198.18.1.1']], [{ name: 'web', servers: [server('web1', '198.18.2.1', 8080), server('web2', 'fd00:1b::2')] }]))
  assert.deepEqual([...targets], [['out1', '198.18.1.1'], ['web/web1', '198.18.2.1 8080'], ['web/web2', 'fd00:1b::2']])
})

test('the same server: same key, same address and port; a new address, a new port, a new server or one gone is not', () => {
  const before = set([['out1', '198.18.1.1'], ['out2', '198.18.1.2']], [{ name: 'web', servers: [server('web1', '198.18.2.1', 8080), server('web2', '198.18.2.2', 8080), server('web3', '198.18.2.3')] }])
  const after = set([['out1', '198.18.1.1'], ['out2', '198.18.1.9'], ['out3', '198.18.1.3']], [{ name: 'web', servers: [server('web1', '198.18.2.1', 8080), server('web2', '198.18.2.2', 8081), server('web4', '198.18.2.3')] }])
  assert.deepEqual([...sameServers(before, after)], ['out1', 'web/web1'])
})

test('a server of another service with the same name and address is another server', () => {
  const before = set([], [{ name: 'web', servers: [server('a', '198.18.2.1')] }])
  const after = set([], [{ name: 'api', servers: [server('a', '198.18.2.1')] }])
  assert.deepEqual([...sameServers(before, after)], [])
})
