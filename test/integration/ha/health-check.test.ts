/** keepalived's check script against stand-in stats sockets: exit 0 only when `show info` says HAProxy serves. */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { HEALTH_CHECK_SCRIPT } from '../../../src/ha/keepalived.js'
import { findProgram } from '../../../src/process/find-program.js'

const dir = mkdtempSync(join(tmpdir(), 'l3lb-health-check-'))
const servers: Server[] = []
let socat = ''
before(async () => {
  const found = await findProgram('socat')
  assert.ok(found !== null, 'socat is not installed: sudo bash scripts/install-prerequisites')
  socat = found
})
after(() => {
  for (const server of servers) server.close()
  rmSync(dir, { recursive: true, force: true })
})

// A socket that answers each command with `answer`, or never answers (null).
async function standIn (name: string, answer: string | null): Promise<string> {
  const path = join(dir, name)
  const server = createServer((socket) => {
    socket.on('error', () => undefined)
    socket.once('data', () => { if (answer !== null) socket.end(answer) })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(path, resolve))
  return path
}

async function check (...args: string[]): Promise<number | undefined> {
  return (await execa('/bin/sh', [HEALTH_CHECK_SCRIPT, ...args], { reject: false, timeout: 10_000 })).exitCode
}

test('HAProxy answering show info: healthy', async () => {
  assert.equal(await check(socat, await standIn('ok.sock', 'Name: HAProxy\nVersion: 2.6.12\nPid: 4242\nUptime: 0d 0h00m10s\n')), 0)
})

test('no socket, a wrong answer or no answer in time: failed', async () => {
  assert.equal(await check(socat, join(dir, 'absent.sock')), 1)
  assert.equal(await check(socat, await standIn('wrong.sock', 'Unknown command.\n')), 1)
  assert.equal(await check(socat, await standIn('no-pid.sock', 'Name: HAProxy\nPid: none\n')), 1)
  assert.equal(await check(socat, await standIn('empty.sock', '')), 1)
  const started = Date.now()
  assert.equal(await check(socat, await standIn('hung.sock', null)), 1)
  // within keepalived's 2 s script timeout, so a hung HAProxy is a failure and not a killed script
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`)
})

test('a socat that is not there: failed, not healthy', async () => {
  assert.equal(await check(join(dir, 'no-socat'), await standIn('ok2.sock', 'Name: HAProxy\nPid: 1\n')), 1)
})

test('wrong use: a usage error, and a socket path socat would read options from is refused', async () => {
  assert.equal(await check(), 2)
  assert.equal(await check(socat), 2)
  const result = await execa('/bin/sh', [HEALTH_CHECK_SCRIPT, socat, `${dir}/a.sock,fork`], { reject: false })
  assert.equal(result.exitCode, 2)
  assert.match(result.stderr, /stats socket path ".*a\.sock,fork" is not accepted: letters, digits and \/ \. _ - only/)
})
