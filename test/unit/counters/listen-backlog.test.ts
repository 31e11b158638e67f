/** The listen backlog of a service's ports, narrow ranges looked up port by port, wide ones by walking the listeners. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listenBacklog, procNetAddress, readListenBacklog } from '../../../src/counters/listen-backlog.js'

// 300 listeners, on ports 10000-10299, port p with (p % 7) connections waiting
const LISTENERS = new Map(Array.from({ length: 300 }, (_, i) => [10000 + i, (10000 + i) % 7]))
const expected = (low: number, high: number): number => [...LISTENERS].filter(([port]) => port >= low && port <= high).reduce((sum, [, n]) => sum + n, 0)

test('a narrow range and a wide one count the same listeners as walking them all would', () => {
  assert.equal(listenBacklog(LISTENERS, [{ low: 10005, high: 10005 }]), 10005 % 7)
  assert.equal(listenBacklog(LISTENERS, [{ low: 10010, high: 10020 }]), expected(10010, 10020))
  assert.equal(listenBacklog(LISTENERS, [{ low: 1, high: 65535 }]), expected(1, 65535))
  assert.equal(listenBacklog(LISTENERS, [{ low: 9990, high: 10002 }, { low: 10290, high: 20000 }]), expected(9990, 10002) + expected(10290, 20000))
  assert.equal(listenBacklog(LISTENERS, [{ low: 80, high: 80 }]), 0)
})

// a /proc/net/tcp line: the listener's port and waiting connections, or another state (06: TIME_WAIT)
const procLine = (i: number, port: number, state: string, waiting: number): string =>
  `${String(i).padStart(4)}: 010012C6:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 ${state} 00000000:${waiting.toString(16).toUpperCase().padStart(8, '0')} 00:00000000 00000000     0        0 ${1000 + i} 1 0000000000000000 100 0 0 10 0`

test('the listen backlog read from the files: past a chunk of the read, up to the last listener, a missing file counting nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-backlog-'))
  try {
    // 600 listeners (about 90 kB, more than one chunk of the read, so a line is cut between two), then other sockets
    const listeners = Array.from({ length: 600 }, (_, i) => procLine(i, 20000 + i, '0A', i % 5))
    // a listener after another socket is never read: the kernel lists none there
    const others = [...Array.from({ length: 50 }, (_, i) => procLine(600 + i, 30000, '06', 9)), procLine(650, 20001, '0A', 100)]
    writeFileSync(join(dir, 'tcp'), ['  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode', ...listeners, ...others, ''].join('\n'))
    writeFileSync(join(dir, 'tcp6'), ['  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode', procLine(0, 20002, '0A', 7)].join('\n'))
    const byPort = await readListenBacklog([join(dir, 'tcp'), join(dir, 'tcp6'), join(dir, 'absent')])
    assert.equal(byPort.size, 600)
    assert.equal(byPort.get(20001), 1)
    // the same port in both files (an IPv4 and an IPv6 listener), the last line without its newline
    assert.equal(byPort.get(20002), 2 + 7)
    assert.equal(byPort.get(20599), 599 % 5)
    assert.equal(byPort.get(30000), undefined)
    assert.equal(listenBacklog(byPort, [{ low: 20000, high: 20599 }]), listeners.reduce((sum, _, i) => sum + (i % 5), 7))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('an address as /proc/net/tcp and tcp6 print it: each 32-bit word in the host\'s byte order', () => {
  assert.equal(procNetAddress('198.18.0.1', true), '010012C6')
  assert.equal(procNetAddress('198.18.0.1', false), 'C6120001')
  assert.equal(procNetAddress('fd00:1b::1', true), '1B0000FD000000000000000001000000')
  assert.equal(procNetAddress('fd00:1b::1', false), 'FD00001B000000000000000000000001')
  assert.equal(procNetAddress('[FD00:1B::1]', true), '1B0000FD000000000000000001000000')
  assert.equal(procNetAddress('fe80::1%veth0', true), '000080FE000000000000000001000000')
  assert.equal(procNetAddress('::', true), '0'.repeat(32))
  assert.equal(procNetAddress('lb.example', true), null)
})

// a listener's /proc/net/tcp line with its local address as the kernel prints it
const listenerLine = (i: number, hex: string, port: number, waiting: number): string =>
  `${String(i).padStart(4)}: ${hex}:${port.toString(16).toUpperCase().padStart(4, '0')} ${'0'.repeat(hex.length)}:0000 0A 00000000:${waiting.toString(16).toUpperCase().padStart(8, '0')} 00:00000000 00000000     0        0 ${1000 + i} 1 0000000000000000 100 0 0 10 0`

test('services on one port, each on addresses of its own (a VIP each, all on 443), count only their own listeners\' backlog', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-backlog-'))
  try {
    const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'
    const hex = (address: string): string => procNetAddress(address) ?? ''
    writeFileSync(join(dir, 'tcp'), [header, listenerLine(0, hex('198.18.0.1'), 443, 3), listenerLine(1, hex('198.18.0.2'), 443, 5), listenerLine(2, hex('198.18.0.2'), 8443, 4), ''].join('\n'))
    writeFileSync(join(dir, 'tcp6'), [header, listenerLine(0, hex('fd00:1b::1'), 443, 2), ''].join('\n'))
    const backlog = await readListenBacklog([join(dir, 'tcp'), join(dir, 'tcp6')])
    const https = [{ low: 443, high: 443 }]
    assert.equal(listenBacklog(backlog, https, ['198.18.0.1']), 3)
    assert.equal(listenBacklog(backlog, https, ['198.18.0.2']), 5)
    assert.equal(listenBacklog(backlog, https, ['fd00:1b::1', '198.18.0.1']), 2 + 3)
    // a wide range walks the listeners instead of looking each one up
    assert.equal(listenBacklog(backlog, [{ low: 1, high: 65535 }], ['198.18.0.2']), 5 + 4)
    // a service on every address owns its ports: every listener on them is its own
    assert.equal(listenBacklog(backlog, https), 3 + 5 + 2)
    // a backlog known by port alone counts by port
    assert.equal(listenBacklog(new Map([[443, 10]]), https, ['198.18.0.1']), 10)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the kernel\'s own listing names a listener as procNetAddress does (a listener of this process on loopback)', async () => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const { port } = server.address() as { port: number }
    const backlog = await readListenBacklog()
    assert.equal(backlog.byListener?.get(`${procNetAddress('127.0.0.1')}:${port}`), 0)
    assert.equal(listenBacklog(backlog, [{ low: port, high: port }], ['127.0.0.1']), 0)
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
})
