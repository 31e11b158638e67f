/** (HA) The pair's shared settings this node last ran, kept in $STATE_DIRECTORY across restarts. */
import { readFile, rename, stat, writeFile } from 'node:fs/promises'
import { L3lbError } from '../errors.js'
import { parsePairSettings, type PairSettings } from '../properties/pair-settings.js'

const FORMAT_VERSION = 1

export interface SavedPairSettings {
  readonly settings: PairSettings
  /** When they were saved (the file's modification time), to compare with the env file's. */
  readonly savedAtMs: number
}

/** The saved settings; null when there are none or they cannot be used (the reason goes to `warn`). */
export async function loadPairSettings (file: string, warn: (message: string) => void): Promise<SavedPairSettings | null> {
  let text: string
  let savedAtMs: number
  try {
    text = await readFile(file, 'utf8')
    savedAtMs = (await stat(file)).mtimeMs
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') warn(`the pair's saved settings ${file} cannot be read (${(error as Error).message}): starting from the env file alone`)
    return null
  }
  let value: unknown
  try {
    value = (JSON.parse(text) as { settings?: unknown } | null)?.settings
  } catch {
    value = null
  }
  const settings = parsePairSettings(value)
  if (settings === null) warn(`the pair's saved settings ${file} are not in the expected form (an older version?): starting from the env file alone`)
  return settings === null ? null : { settings, savedAtMs }
}

/** Saves atomically (write beside, then rename), readable by root only (it may hold mon_url credentials). */
export async function savePairSettings (file: string, settings: PairSettings): Promise<void> {
  const candidate = `${file}.new`
  try {
    await writeFile(candidate, JSON.stringify({ version: FORMAT_VERSION, settings }) + '\n', { mode: 0o600 })
    await rename(candidate, file)
  } catch (cause) {
    throw new L3lbError('L3LB_STATE_WRITE', `could not save the pair's settings to ${file}: ${(cause as Error).message}`, { cause })
  }
}

/** The env file's modification time; 0 when it cannot be read (then saved settings are newer). */
export async function modifiedAtMs (file: string): Promise<number> {
  return await stat(file).then((facts) => facts.mtimeMs, () => 0)
}
