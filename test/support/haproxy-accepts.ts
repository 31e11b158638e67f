/** Asserting that HAProxy itself takes a rendered configuration (`haproxy -c`), in a folder of its own. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { installConfigFile } from '../../src/haproxy/config-file.js'

/** Resolves when HAProxy accepts `text` as it is; rejects with HAProxy's alerts otherwise. */
export async function assertHaproxyAccepts (text: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-render-'))
  try {
    await installConfigFile(text, join(dir, 'haproxy.cfg'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
