import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startDaemon } from '../../../src/process/daemon.js'

test('a daemon\'s output comes line by line, however the pipe cuts it; blank lines are skipped', async () => {
  const lines: string[] = []
  // one line written in three pieces, a blank line, the last line without its newline, stderr too
  const script = "printf 'Server outputs/'; sleep 0.2; printf 'out2 is '; sleep 0.2; printf 'DOWN\\n\\n'; printf 'on stderr\\n' >&2; sleep 0.2; printf 'last'"
  const result = await startDaemon('sh', ['-c', script], (line) => lines.push(line))
  assert.equal(result.exitCode, 0)
  // readline gives the last piece when the stream ends, just after the exit
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.deepEqual(lines, ['Server outputs/out2 is DOWN', 'on stderr', 'last'])
})
