import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { writeFileAtomically, writeFileAtomicallyInPool } from '../../../src/state/atomic-file.js'

test('writes the whole text over the file, mode 0600, and leaves no candidate beside it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-atomic-'))
  try {
    const file = join(dir, 'state.json')
    writeFileSync(file, 'old\n', { mode: 0o644 })
    writeFileAtomically(file, 'new\n')
    assert.equal(readFileSync(file, 'utf8'), 'new\n')
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.equal(existsSync(`${file}.new`), false)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a write that cannot be made throws and leaves the old file as it was', () => {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-atomic-'))
  try {
    const file = join(dir, 'state.json')
    writeFileSync(file, 'old\n')
    // a folder where the candidate would go: the write fails before any rename
    mkdirSync(`${file}.new`)
    assert.throws(() => writeFileAtomically(file, 'new\n'), /EISDIR/)
    assert.equal(readFileSync(file, 'utf8'), 'old\n')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('pieces are written in order as one file, more of them than one writev takes (IOV_MAX 1024); a failed one leaves the old file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-atomic-'))
  try {
    const file = join(dir, 'haproxy.cfg')
    writeFileSync(file, 'old\n')
    const pieces = Array.from({ length: 3000 }, (_, k) => Buffer.from(`line ${k}\n`))
    writeFileAtomically(file, [Buffer.alloc(0), ...pieces])
    assert.equal(readFileSync(file, 'utf8'), Buffer.concat(pieces).toString())
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.equal(existsSync(`${file}.new`), false)
    mkdirSync(`${file}.new`)
    assert.throws(() => writeFileAtomically(file, pieces), /EISDIR/)
    assert.equal(readFileSync(file, 'utf8'), Buffer.concat(pieces).toString())
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('in the pool: the candidate is whole before the first await (no pool hop for it), and the rename makes it the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-atomic-'))
  try {
    const file = join(dir, 'admin-state.json')
    writeFileSync(file, 'old\n', { mode: 0o644 })
    const saved = writeFileAtomicallyInPool(file, 'new\n')
    // the event loop has not turned: the whole text is in the candidate, or already renamed over
    // the file by a pool thread (a write through the pool would have opened the candidate at most)
    assert.equal(readFileSync(existsSync(`${file}.new`) ? `${file}.new` : file, 'utf8'), 'new\n')
    await saved
    assert.equal(readFileSync(file, 'utf8'), 'new\n')
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.equal(existsSync(`${file}.new`), false)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('in the pool: a candidate that cannot be written rejects and leaves the old file as it was', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-atomic-'))
  try {
    const file = join(dir, 'admin-state.json')
    writeFileSync(file, 'old\n')
    mkdirSync(`${file}.new`)
    await assert.rejects(writeFileAtomicallyInPool(file, 'new\n'), /EISDIR/)
    assert.equal(readFileSync(file, 'utf8'), 'old\n')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
