import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execa } from 'execa'
import { createTopology, listNamespaces, sweepStaleNamespaces, type Topology } from '../../support/topology.js'
import { startBackends } from '../../support/backend-driver.js'
import { ClientCommandError, startClient, type ClientDriver } from '../../support/client-driver.js'
import { MAX_INTERFACE_NAME, NAME_PREFIX, isPidAlive, runId } from '../../support/run-id.js'

// A stand-in for the ctl service in lb, and a TCP server that greets only after a second.
const LB_SERVERS = `
const http = require('node:http')
const net = require('node:net')
let listening = 0
const ready = () => { if (++listening === 2) console.log('ready') }
http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ url: req.url, auth: req.headers.authorization ?? null }))
}).listen(8080, '198.18.0.1', ready)
net.createServer((socket) => {
  socket.on('error', () => {})
  setTimeout(() => socket.write('late 9000\\n'), 1000)
}).listen(9000, '198.18.0.1', ready)
`

describe('test topology', () => {
  let topology: Topology
  let client: ClientDriver

  before(async () => {
    topology = await createTopology({ backends: 2, clientAddresses: 2, ipv6: true })
    await startBackends(topology, { ports: '80,81', udp: true })
    const lbServers = topology.spawn(topology.names.lb, process.execPath, ['-e', LB_SERVERS])
    await lbServers.waitForLine('ready')
    client = await startClient(topology)
  })

  after(async () => {
    await topology?.destroy()
  })

  it('names every namespace with the prefix and keeps every interface within 15 characters', async () => {
    const all = [topology.names.client, topology.names.lb, ...topology.names.backends]
    const present = await listNamespaces()
    for (const ns of all) {
      assert.ok(ns.startsWith(NAME_PREFIX), `expected '${ns}' to start with '${NAME_PREFIX}'`)
      assert.ok(present.includes(ns), `expected '${ns}' in 'ip netns list'`)
    }
    for (const name of [topology.interfaces.lbClientSide, topology.interfaces.peer, ...topology.interfaces.lbBackendSide]) {
      assert.ok(name.length <= MAX_INTERFACE_NAME, `interface '${name}' is longer than ${MAX_INTERFACE_NAME}`)
    }
    const hostLinks = (await execa('ip', ['-o', 'link', 'show'])).stdout
    assert.doesNotMatch(hostLinks, /to-client|to-be\d/, 'a veth end is in the host namespace')
  })

  it('forwards only inside lb', async () => {
    const forwarding = async (ns: string): Promise<string> =>
      (await topology.exec(ns, 'sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim()
    assert.equal(await forwarding(topology.names.lb), '1')
    assert.equal(await forwarding(topology.names.client), '0')
    assert.equal(await forwarding(topology.names.backends[0] ?? ''), '0')
  })

  it('reaches each back end through lb over IPv4 and IPv6', async () => {
    const targets = [...topology.addresses.backends, ...topology.addresses.backends6]
    for (const [i, host] of targets.entries()) {
      const name = `be${(i % 2) + 1}`
      for (const port of [80, 81]) {
        const state = await client.connect({ host, port, timeoutMs: 3000 })
        assert.deepEqual({ greeting: state.greeting, pending: state.pending }, { greeting: `${name} ${port}`, pending: false }, `via ${host}:${port}`)
        await client.close(state.conn)
      }
    }
  })

  it('connects from an extra client address, which the back end sees as the source', async () => {
    const source = topology.addresses.client[1] ?? ''
    assert.equal(source, '198.18.0.10')
    const state = await client.connect({ host: topology.addresses.backends[0] ?? '', port: 80, localAddress: source })
    assert.equal(state.greeting, 'be1 80')
    const sockets = await topology.exec(topology.names.backends[0] ?? '', 'ss', ['-Htn', 'state', 'established'])
    assert.match(sockets.stdout, /198\.18\.0\.10\]?:\d+/)
    await client.close(state.conn)
  })

  it('holds a connection across steps and echoes each line', async () => {
    const state = await client.connect({ host: topology.addresses.backends[1] ?? '', port: 81 })
    assert.equal(state.greeting, 'be2 81')
    assert.equal(await client.send(state.conn, 'first'), 'first')
    const answer = await client.http(`http://${topology.addresses.lbClientSide}:8080/api/status`)
    assert.equal(answer.status, 200)
    assert.equal(await client.send(state.conn, 'second'), 'second')
    await client.close(state.conn)
    await assert.rejects(client.send(state.conn, 'third'), (error: unknown) => error instanceof ClientCommandError && error.code === 'ENOCONN')
  })

  it('reports a connection whose greeting is late as pending, then completes it', async () => {
    const state = await client.connect({ host: topology.addresses.lbClientSide, port: 9000, timeoutMs: 200 })
    assert.deepEqual({ greeting: state.greeting, pending: state.pending, closed: state.closed }, { greeting: null, pending: true, closed: false })
    const later = await client.waitGreeting(state.conn, 5000)
    assert.deepEqual({ greeting: later.greeting, pending: later.pending }, { greeting: 'late 9000', pending: false })
    await client.close(state.conn)
  })

  it('reports a refused connection as an error with its code', async () => {
    await assert.rejects(
      client.connect({ host: topology.addresses.backends[0] ?? '', port: 82, timeoutMs: 2000 }),
      (error: unknown) => error instanceof ClientCommandError && error.code === 'ECONNREFUSED'
    )
  })

  it('makes HTTP requests with headers to a server in lb', async () => {
    const answer = await client.http(`http://${topology.addresses.lbClientSide}:8080/api/enable?channel=out3`, {
      headers: { authorization: 'Bearer t0ken' }
    })
    assert.equal(answer.status, 200)
    assert.deepEqual(JSON.parse(answer.body), { url: '/api/enable?channel=out3', auth: 'Bearer t0ken' })
  })

  it('gets UDP answers from each back end, and null where nothing listens', async () => {
    assert.equal(await client.udp({ host: topology.addresses.backends[0] ?? '', port: 80, payload: 'ping' }), 'be1 80 ping')
    assert.equal(await client.udp({ host: topology.addresses.backends6[1] ?? '', port: 81, payload: 'pong' }), 'be2 81 pong')
    assert.equal(await client.udp({ host: topology.addresses.backends[0] ?? '', port: 82, payload: 'x', timeoutMs: 300 }), null)
  })

  it('sweeps namespaces of dead runs only', async () => {
    const finished = execa('true')
    const deadPid = finished.pid ?? 0
    await finished
    assert.ok(deadPid > 0 && !isPidAlive(deadPid))
    // Unique to this run, so concurrent runs of this file do not meet; another run's
    // sweep may remove `stale` first, so the check is that it is gone, not who removed it.
    const stale = `${NAME_PREFIX}${runId}-${deadPid}-99-lb`
    const alive = `${NAME_PREFIX}${runId}-1-99-lb` // pid 1 is always alive
    try {
      await execa('ip', ['netns', 'add', stale])
      await execa('ip', ['netns', 'add', alive])
      const removed = await sweepStaleNamespaces()
      const present = await listNamespaces()
      assert.ok(!present.includes(stale), `expected ${stale} to be swept`)
      assert.ok(!removed.includes(alive) && present.includes(alive), `expected ${alive} to be kept`)
      assert.ok(present.includes(topology.names.lb), 'this run\'s own namespaces must be kept')
    } finally {
      await execa('ip', ['netns', 'del', stale], { reject: false })
      await execa('ip', ['netns', 'del', alive], { reject: false })
    }
  })

  it('removes every namespace and process on destroy, and destroy is idempotent', async () => {
    const all = [topology.names.client, topology.names.lb, ...topology.names.backends]
    const pids = topology.processes().map((p) => p.pid)
    assert.equal(pids.length, 4, 'two back ends, the lb servers and the client')
    assert.ok(pids.every(isPidAlive))
    // A process not started through spawn (as a daemonised HAProxy would be) must go too.
    await topology.exec(topology.names.lb, 'sh', ['-c', 'sleep 300 >/dev/null 2>&1 &'])
    const stray = (await execa('ip', ['netns', 'pids', topology.names.lb])).stdout.split('\n').map(Number)
      .filter((pid) => pid > 0 && !pids.includes(pid))
    assert.equal(stray.length, 1, 'the background sleep')

    await topology.destroy()
    await topology.destroy()

    const present = await listNamespaces()
    assert.deepEqual(all.filter((ns) => present.includes(ns)), [])
    assert.deepEqual([...pids, ...stray].filter(isPidAlive), [])
    await assert.rejects(topology.exec(topology.names.lb, 'true'), /destroyed/)
  })
})
