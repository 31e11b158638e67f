/**
 * The servers disabled or draining through ctl, kept in $STATE_DIRECTORY so they survive
 * restarts of HAProxy and the agent: the env file's outputs by name (`out2`), a service file's
 * servers as `service/server` (server-key.ts). `{"version":1,"disabled":[…],"draining":[…]}`;
 * a file from before drain has no `draining`.
 */
import { readFile } from 'node:fs/promises'
import { L3lbError } from '../errors.js'
import { writeFileAtomicallyInPool } from './atomic-file.js'
import { isServerKey, sortedKeys } from './server-key.js'

const FORMAT_VERSION = 1

/** The admin state the file holds: every server not named in it is enabled. */
export interface SavedAdminState {
  readonly disabled: Set<string>
  readonly draining: Set<string>
}

/** The admin state saved in `file`; every server enabled when the file does not exist yet. */
export async function loadAdminState (file: string): Promise<SavedAdminState> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { disabled: new Set(), draining: new Set() }
    throw new L3lbError('L3LB_START_FAILED', `could not read the saved output states ${file}: ${(error as Error).message}`, { cause: error })
  }
  return parseAdminState(text, file)
}

/** Pure: the saved file's text to the admin state. */
export function parseAdminState (text: string, file: string): SavedAdminState {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new L3lbError('L3LB_START_FAILED', `the saved output states ${file} are not valid JSON: ${(cause as Error).message}; remove the file to start with every output enabled`, { cause })
  }
  const { disabled, draining = [] } = (value ?? {}) as { disabled?: unknown, draining?: unknown }
  const keys = (list: unknown): list is string[] => Array.isArray(list) && list.every((name) => typeof name === 'string' && isServerKey(name))
  if (!keys(disabled) || !keys(draining)) {
    throw new L3lbError('L3LB_START_FAILED', `the saved output states ${file} do not hold {"disabled": ["out1".."out8" or "service/server", …], "draining": [… likewise]}; remove the file to start with every output enabled`)
  }
  return { disabled: new Set(disabled), draining: new Set(draining.filter((name) => !disabled.includes(name))) }
}

/** Saves the admin state atomically (write beside, then rename), on the disk's time, not the event loop's. */
export async function saveAdminState (file: string, state: { readonly disabled: ReadonlySet<string>, readonly draining: ReadonlySet<string> }): Promise<void> {
  const draining = state.draining.size === 0 ? {} : { draining: sortedKeys(state.draining) }
  try {
    await writeFileAtomicallyInPool(file, JSON.stringify({ version: FORMAT_VERSION, disabled: sortedKeys(state.disabled), ...draining }) + '\n')
  } catch (cause) {
    throw new L3lbError('L3LB_STATE_WRITE', `could not save the output states to ${file}: ${(cause as Error).message}`, { cause })
  }
}
