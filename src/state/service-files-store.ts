/**
 * (HA, standby) Writes the active node's service files into this node's services_dir, so that
 * the folder is the pair's configuration (SPEC §12): an agent restart or a failover serves
 * them. Each file is written beside and renamed (never seen half-written); only `NAME.env`
 * files are written or removed, and a file that already gives the same entries is left alone,
 * comments and order included (a node back as standby after a failover keeps the operator's).
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { L3lbError } from '../errors.js'
import { envFileText } from '../properties/envfile-text.js'
import { parseEnvFile } from '../properties/envfile.js'
import { entryValues } from '../properties/load.js'
import type { PairServices } from '../properties/pair-settings.js'

const HEADER = 'written by l3lb from the HA pair\'s active node, which decides the service files: edit them there'

/** What writing changed, by service name. */
export interface WrittenServiceFiles {
  readonly written: readonly string[]
  readonly removed: readonly string[]
}

/** Makes `folder`'s NAME.env files exactly `services`; throws L3LB_STATE_WRITE naming the file that failed. */
export async function writeServiceFiles (folder: string, services: PairServices): Promise<WrittenServiceFiles> {
  const written: string[] = []
  const removed: string[] = []
  let file = folder
  try {
    await mkdir(folder, { recursive: true, mode: 0o755 })
    for (const [name, entries] of Object.entries(services)) {
      file = join(folder, `${name}.env`)
      if (sameEntries(await readFile(file, 'utf8').catch(() => null), entries)) continue
      const text = envFileText(entries, HEADER)
      // not NAME.env, so a reader of the folder never takes it for a service file
      const candidate = join(folder, `.${name}.env.l3lb-new`)
      await writeFile(candidate, text, { mode: 0o644 })
      await rename(candidate, file)
      written.push(name)
    }
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.isDirectory() || !entry.name.endsWith('.env')) continue
      const name = entry.name.slice(0, -'.env'.length)
      if (Object.hasOwn(services, name)) continue
      file = join(folder, entry.name)
      await rm(file, { force: true })
      removed.push(name)
    }
  } catch (cause) {
    throw new L3lbError('L3LB_STATE_WRITE', `could not write the pair's service files to ${folder} (${file}): ${(cause as Error).message}`, { cause })
  }
  return { written, removed }
}

// a file that parses without a problem to exactly these entries, whatever its comments, order and quoting
function sameEntries (text: string | null, entries: Readonly<Record<string, string>>): boolean {
  if (text === null) return false
  const file = parseEnvFile(text)
  if (file.problems.length > 0) return false
  const values = entryValues(file)
  return values.size === Object.keys(entries).length && Object.entries(entries).every(([name, value]) => values.get(name) === value)
}
