// The computed limits against the real HAProxy under this host's descriptor hard limit:
// it must start, stay up, take maxconn and ulimit-n as given, and need no more
// descriptors (its own Maxsock, which counts 2 per splice pipe) than the ulimit-n it is given.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { execa } from 'execa'
import { readHostFacts } from '../../../src/limits/host.js'
import { computeLimits, MAX_NBTHREAD } from '../../../src/limits/compute.js'
import { INCLUDED_LISTENER_SOCKETS } from '../../../src/limits/descriptors.js'
import type { Limits } from '../../../src/limits/model.js'

async function portIsFree (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

// The first of `count` consecutive free ports on 127.0.0.1, above 40000.
async function freePortRange (count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 40000 + Math.floor(Math.random() * (60000 - 40000 - count))
    let free = true
    for (let port = first; port < first + count && free; port++) free = await portIsFree(port)
    if (free) return first
  }
  throw new Error(`no ${count} consecutive free ports found on 127.0.0.1 between 40000 and 60000`)
}

async function ask (socketPath: string, command: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    let answer = ''
    const socket = createConnection(socketPath, () => socket.end(`${command}\n`))
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => { answer += chunk })
    socket.on('end', () => resolve(answer))
    socket.on('error', reject)
  })
}

function infoField (info: string, name: string): number {
  const match = new RegExp(`^${name}: (\\d+)$`, 'm').exec(info)
  assert.ok(match?.[1] !== undefined, `show info has no ${name} line:\n${info}`)
  return Number(match[1])
}

interface Shape {
  readonly listeners: number
  /** A peers section with a stick table, log targets and master-worker mode with its socket. */
  readonly everything: boolean
  /** Checked servers; 8 (the seed's outputs) when not given. */
  readonly servers?: number
}

function renderConfig (limits: Limits, dir: string, firstPort: number, shape: Shape): string {
  const lines = [
    'global',
    `  maxconn ${limits.maxConnections}`,
    `  ulimit-n ${limits.ulimitN}`,
    `  nbthread ${limits.nbthread}`,
    `  maxpipes ${limits.maxPipes}`,
    `  stats socket ${join(dir, 'stats.sock')} level admin`
  ]
  if (shape.everything) lines.push('  localpeer self', `  log ${join(dir, 'log.sock')} local0`, '  log 127.0.0.1:9 local0')
  lines.push('defaults', '  mode tcp', '  option splice-response', '  timeout connect 5s', '  timeout client 30s', '  timeout server 30s')
  const serverPort = firstPort + shape.listeners
  const servers = shape.servers ?? 8
  if (shape.everything) lines.push('peers mesh', `  peer self 127.0.0.1:${serverPort + servers}`)
  lines.push('frontend in', `  bind 127.0.0.1:${firstPort}-${firstPort + shape.listeners - 1}`, '  default_backend out')
  lines.push('backend out', '  balance roundrobin')
  if (shape.everything) lines.push('  stick-table type ip size 100k peers mesh', '  stick on src')
  for (let index = 0; index < servers; index++) {
    lines.push(`  server out${index + 1} 127.0.0.1:${serverPort + index} check inter 1s`)
  }
  return lines.join('\n') + '\n'
}

/** Starts HAProxy on the limits, checks it is up a second later and what it took, stops it. */
async function assertHaproxyTakes (limits: Limits, shape: Shape): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'l3lb-limits-'))
  const firstPort = await freePortRange(shape.listeners + (shape.servers ?? 8) + 1)
  const config = join(dir, 'haproxy.cfg')
  await writeFile(config, renderConfig(limits, dir, firstPort, shape))
  const master = shape.everything ? ['-W', '-S', join(dir, 'master.sock')] : []
  const haproxy = execa('haproxy', [...master, '-f', config, '-db'], { reject: false, all: true })
  try {
    await sleep(1000)
    if (haproxy.exitCode !== null) {
      const result = await haproxy
      assert.fail(`haproxy exited ${result.exitCode} within 1 s on maxconn ${limits.maxConnections}, ulimit-n ${limits.ulimitN}:\n${result.all}`)
    }
    const info = await ask(join(dir, 'stats.sock'), 'show info')
    assert.equal(infoField(info, 'Maxconn'), limits.maxConnections)
    assert.equal(infoField(info, 'Ulimit-n'), limits.ulimitN)
    assert.equal(infoField(info, 'Nbthread'), limits.nbthread)
    assert.equal(infoField(info, 'Maxpipes'), limits.maxPipes)
    const maxsock = infoField(info, 'Maxsock')
    assert.ok(maxsock <= limits.ulimitN, `HAProxy needs ${maxsock} descriptors, more than the ulimit-n ${limits.ulimitN} computed`)
  } finally {
    haproxy.kill('SIGKILL')
    await haproxy
    await rm(dir, { recursive: true, force: true })
  }
}

test('the limits computed for this host start HAProxy: 10 ports, 8 checked servers, 2 threads', async () => {
  const facts = await readHostFacts()
  const limits = computeLimits({ ...facts, affinityCpus: Math.min(facts.affinityCpus, 2) }, 0)
  await assertHaproxyTakes(limits, { listeners: 10, everything: false })
})

test('the reserve covers the worst case: 64 threads, 100 ports, peers, logs and the master', async () => {
  const facts = await readHostFacts()
  const limits = computeLimits({ ...facts, affinityCpus: MAX_NBTHREAD, cgroupCpuQuota: null }, 0)
  assert.equal(limits.nbthread, MAX_NBTHREAD)
  await assertHaproxyTakes(limits, { listeners: INCLUDED_LISTENER_SOCKETS, everything: true })
})

test('the limits computed for a configured max_connections start HAProxy, with a pipe for a quarter of the sessions', async () => {
  const limits = computeLimits(await readHostFacts(), 1000)
  assert.equal(limits.maxConnections, 1000)
  assert.equal(limits.maxPipes, 250)
  await assertHaproxyTakes(limits, { listeners: 10, everything: false })
})

test('the reserve grows with the servers HAProxy checks: 1,000 of them (SPEC §13) on 2 threads', async () => {
  const facts = await readHostFacts()
  const limits = computeLimits({ ...facts, affinityCpus: Math.min(facts.affinityCpus, 2) }, 0, { checkedServers: 1000 })
  await assertHaproxyTakes(limits, { listeners: 10, everything: true, servers: 1000 })
})
