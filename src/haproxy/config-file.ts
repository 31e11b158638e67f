/** Writing haproxy.cfg: validated by HAProxy itself first, then put in place atomically. */
import { chmod, rename, rm, writeFile } from 'node:fs/promises'
import { execa } from 'execa'
import { L3lbError } from '../errors.js'
import { LOCAL_PEER_NAME } from '../render/haproxy-config.js'
import { writeFileAtomically, type FileText } from '../state/atomic-file.js'

/** Runs `haproxy -c` on a file; throws L3LB_CONFIG_INVALID with HAProxy's alerts when it refuses. */
export async function checkConfigFile (file: string, binary = 'haproxy'): Promise<void> {
  const result = await execa(binary, ['-c', '-L', LOCAL_PEER_NAME, '-f', file], { reject: false, all: true })
  if (result.exitCode !== 0) {
    const alerts = (result.all ?? '').split('\n').filter((line) => /ALERT|error/i.test(line)).join('\n')
    const why = alerts !== '' ? alerts : (result.all ?? result.shortMessage ?? '')
    throw new L3lbError('L3LB_CONFIG_INVALID', `HAProxy rejected the configuration ${file}:\n${why}`)
  }
}

/**
 * Writes `text` beside `file`, has HAProxy check it, then renames it over `file`, so `file`
 * only ever holds a whole configuration that HAProxy accepted.
 */
export async function installConfigFile (text: FileText, file: string, binary = 'haproxy'): Promise<void> {
  const candidate = `${file}.new`
  try {
    await writeFile(candidate, text, { mode: 0o600 })
    await chmod(candidate, 0o600)
  } catch (cause) {
    await rm(candidate, { force: true })
    throw new L3lbError('L3LB_CONFIG_WRITE', `could not create HAProxy configuration file ${candidate}: ${(cause as Error).message}`, { cause })
  }
  try {
    await checkConfigFile(candidate, binary)
    await rename(candidate, file)
  } catch (error) {
    await rm(candidate, { force: true })
    if (error instanceof L3lbError) throw error
    throw new L3lbError('L3LB_CONFIG_WRITE', `could not create HAProxy configuration file ${file}: ${(error as Error).message}`, { cause: error })
  }
}

/**
 * Writes `text` over `file` atomically (beside it, then renamed) without asking HAProxy: for a
 * text that differs from one HAProxy took only in servers' admin state (`disabled`).
 */
export function writeConfigFile (text: FileText, file: string): void {
  try {
    writeFileAtomically(file, text)
  } catch (cause) {
    throw new L3lbError('L3LB_CONFIG_WRITE', `could not create HAProxy configuration file ${file}: ${(cause as Error).message}`, { cause })
  }
}
