/** The vrrp_script program against stand-in stats sockets: exit 0 only when `show info` says HAProxy serves. */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { HEALTH_CHECK_PROGRAM } from '../../../src/ha/keepalived.js'

const dir = mkdtempSync(join(tmpdir(), 'l3lb-health-check-'))
const servers: Server[] = []
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

async function check (socket: string): Promise<number | undefined> {
  return (await execa(process.execPath, [HEALTH_CHECK_PROGRAM, socket], { reject: false, timeout: 10_000 })).exitCode
}

test('HAProxy answering show info: healthy', async () => {
  assert.equal(await check(await standIn('ok.sock', 'Name: HAProxy\nVersion: 2.6.12\nPid: 4242\nUptime: 0d 0h00m10s\n')), 0)
})

test('no socket, a wrong answer or no answer in time: failed', async () => {
  assert.equal(await check(join(dir, 'absent.sock')), 1)
  assert.equal(await check(await standIn('wrong.sock', 'Unknown command.\n')), 1)
  const started = Date.now()
  assert.equal(await check(await standIn('hung.sock', null)), 1)
  // within keepalived's 2 s script timeout, so a hung HAProxy is a failure and not a killed script
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`)
})

test('no socket named: a usage error', async () => {
  assert.equal((await execa(process.execPath, [HEALTH_CHECK_PROGRAM], { reject: false })).exitCode, 2)
})
