import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findProgram } from '../../../src/process/find-program.js'

const dir = mkdtempSync(join(tmpdir(), 'l3lb-find-program-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function program (folder: string, name: string, mode: number): void {
  mkdirSync(join(dir, folder), { recursive: true })
  writeFileSync(join(dir, folder, name), '#!/bin/sh\n')
  chmodSync(join(dir, folder, name), mode)
}

test('the first executable of that name on the path, as a shell would', async () => {
  program('a', 'tool', 0o644)
  program('b', 'tool', 0o755)
  program('c', 'tool', 0o755)
  assert.equal(await findProgram('tool', [join(dir, 'a'), join(dir, 'b'), join(dir, 'c')].join(':')), join(dir, 'b', 'tool'))
})

test('null when no folder has it; empty and relative folders are skipped', async () => {
  program('d', 'other', 0o755)
  assert.equal(await findProgram('tool', `::relative:${join(dir, 'd')}`), null)
})

test('a name with a slash is taken as it is', async () => {
  program('e', 'tool', 0o755)
  assert.equal(await findProgram(join(dir, 'e', 'tool'), ''), join(dir, 'e', 'tool'))
  assert.equal(await findProgram(join(dir, 'e', 'absent'), join(dir, 'e')), null)
})
