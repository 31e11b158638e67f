import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fstatSync, openSync, closeSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { stderrIsJournal, streamLog } from '../../../src/agent/log.js'

function linesOf (priorities: boolean): string {
  const stream = new PassThrough()
  const log = streamLog(stream, { priorities })
  log.info('ctl service on 127.0.0.1:8080')
  log.warn('notice: output out2 (198.18.1.2) is DOWN')
  log.error('reload refused')
  return String(stream.read())
}

test('lines say their level; for the journal they start with its priority', () => {
  assert.equal(linesOf(false), 'l3lb: info: ctl service on 127.0.0.1:8080\nl3lb: warning: notice: output out2 (198.18.1.2) is DOWN\nl3lb: error: reload refused\n')
  assert.equal(linesOf(true), '<6>l3lb: info: ctl service on 127.0.0.1:8080\n<4>l3lb: warning: notice: output out2 (198.18.1.2) is DOWN\n<3>l3lb: error: reload refused\n')
})

test('standard error is the journal only when JOURNAL_STREAM names its device and inode', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-log-'))
  const fd = openSync(join(dir, 'stream'), 'w')
  t.after(() => { closeSync(fd); rmSync(dir, { recursive: true, force: true }) })
  const stat = fstatSync(fd, { bigint: true })
  assert.equal(stderrIsJournal({ JOURNAL_STREAM: `${stat.dev}:${stat.ino}` }, fd), true)
  assert.equal(stderrIsJournal({ JOURNAL_STREAM: `${stat.dev}:${stat.ino + 1n}` }, fd), false)
  assert.equal(stderrIsJournal({}, fd), false)
  assert.equal(stderrIsJournal({ JOURNAL_STREAM: '' }, fd), false)
})
