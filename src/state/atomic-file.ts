/**
 * Writing a small file so a reader (or a restart after a crash) sees the old text or the
 * new, never part of one: written beside it, then renamed over it.
 * Synchronous on purpose: these files are a few kB in the page cache (no fsync), which takes
 * tens of microseconds, where each asynchronous call is a hop through libuv's thread pool
 * that a loaded machine can delay by milliseconds (the ctl latency aim, SPEC §13).
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs'

/** Writes `text` over `file` atomically, mode `mode` (0600 by default: the agent's files are root's). */
export function writeFileAtomically (file: string, text: string | Uint8Array, mode = 0o600): void {
  const candidate = `${file}.new`
  try {
    writeFileSync(candidate, text, { mode })
    renameSync(candidate, file)
  } catch (error) {
    // the write's own error is the one to report, whatever is left beside the file
    try { rmSync(candidate, { force: true }) } catch {}
    throw error
  }
}
