import { test } from 'node:test'
import assert from 'node:assert/strict'
import { L3lbError } from '../../../src/errors.js'
import { SupervisedDaemon, type SupervisedDaemonOptions } from '../../../src/process/supervised-daemon.js'

// a stand-in daemon: says it is ready, then lives until signalled
const READY_PROGRAM = 'console.log("ready"); process.on("SIGHUP", () => console.log("reloaded")); setInterval(() => {}, 1000)'

function daemon (program: string, overrides: Partial<SupervisedDaemonOptions> = {}): { daemon: SupervisedDaemon, lines: string[], log: string[], pids: number[] } {
  const lines: string[] = []
  const log: string[] = []
  const pids: number[] = []
  const supervised = new SupervisedDaemon({
    name: 'stand-in',
    binary: process.execPath,
    args: ['-e', program],
    isReady: (line) => line === 'ready',
    notReady: 'never said ready',
    onLine: (line) => lines.push(line),
    missing: () => new L3lbError('L3LB_PROGRAM_MISSING', 'stand-in is not installed'),
    started: async (pid) => { pids.push(pid) },
    log: { info: (message) => log.push(message), error: (message) => log.push(message) },
    ...overrides
  })
  return { daemon: supervised, lines, log, pids }
}

async function until (check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  assert.ok(check(), `not within ${timeoutMs} ms`)
}

test('starts, passes signals, is restarted after it dies, and stays stopped once stopped', async () => {
  const { daemon: supervised, lines, log, pids } = daemon(READY_PROGRAM)
  try {
    await supervised.start()
    assert.equal(supervised.running, true)
    supervised.signal('SIGHUP')
    await until(() => lines.includes('reloaded'), 5000)
    process.kill(pids[0]!, 'SIGKILL')
    await until(() => pids.length === 2 && supervised.running, 5000)
    assert.match(log.join('\n'), /stand-in killed by SIGKILL; restarting it in 250 ms/)
  } finally {
    await supervised.stop()
  }
  assert.equal(supervised.running, false)
  await new Promise((resolve) => setTimeout(resolve, 400))
  assert.equal(pids.length, 2, 'started again after stop()')
})

test('a program that is missing, exits while starting or never gets ready: the start throws why, nothing runs', async () => {
  await assert.rejects(daemon(READY_PROGRAM, { binary: '/nonexistent/stand-in' }).daemon.start(), { code: 'L3LB_PROGRAM_MISSING' })
  await assert.rejects(daemon('console.log("bad config"); process.exit(3)').daemon.start(), /stand-in exited with code 3 while starting:\nbad config/)
  const silent = daemon('setInterval(() => {}, 1000)', { readyTimeoutMs: 300 })
  await assert.rejects(silent.daemon.start(), /stand-in never said ready within 300 ms/)
  assert.equal(silent.daemon.running, false)
})

test('beforeStart runs before every start, restarts included', async () => {
  let before = 0
  const { daemon: supervised, pids } = daemon(READY_PROGRAM, { beforeStart: async () => { before += 1 } })
  try {
    await supervised.start()
    process.kill(pids[0]!, 'SIGKILL')
    await until(() => pids.length === 2 && supervised.running, 5000)
    assert.equal(before, 2)
  } finally {
    await supervised.stop()
  }
})
