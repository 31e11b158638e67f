/**
 * The servers disabled through ctl, kept in $STATE_DIRECTORY so they survive restarts of
 * HAProxy and the agent: the env file's outputs by name (`out2`), a service file's servers as
 * `service/server` (server-key.ts).
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { L3lbError } from '../errors.js'
import { isServerKey, sortedKeys } from './server-key.js'

const FORMAT_VERSION = 1

/** The disabled outputs saved in `file`; none when the file does not exist yet. */
export async function loadDisabledOutputs (file: string): Promise<Set<string>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set()
    throw new L3lbError('L3LB_START_FAILED', `could not read the saved output states ${file}: ${(error as Error).message}`, { cause: error })
  }
  return parseDisabledOutputs(text, file)
}

/** Pure: the saved file's text to the set of disabled outputs. */
export function parseDisabledOutputs (text: string, file: string): Set<string> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new L3lbError('L3LB_START_FAILED', `the saved output states ${file} are not valid JSON: ${(cause as Error).message}; remove the file to start with every output enabled`, { cause })
  }
  const disabled = (value as { disabled?: unknown } | null)?.disabled
  if (!Array.isArray(disabled) || !disabled.every((name): name is string => typeof name === 'string' && isServerKey(name))) {
    throw new L3lbError('L3LB_START_FAILED', `the saved output states ${file} do not hold {"disabled": ["out1".."out8" or "service/server", …]}; remove the file to start with every output enabled`)
  }
  return new Set(disabled)
}

/** Saves the disabled outputs atomically (write beside, then rename). */
export async function saveDisabledOutputs (file: string, disabled: ReadonlySet<string>): Promise<void> {
  const names = sortedKeys(disabled)
  const candidate = `${file}.new`
  try {
    await writeFile(candidate, JSON.stringify({ version: FORMAT_VERSION, disabled: names }) + '\n', { mode: 0o600 })
    await rename(candidate, file)
  } catch (cause) {
    throw new L3lbError('L3LB_STATE_WRITE', `could not save the output states to ${file}: ${(cause as Error).message}`, { cause })
  }
}
