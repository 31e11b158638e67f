/**
 * Writing a small file so a reader (or a restart after a crash) sees the old text or the
 * new, never part of one: written beside it, then renamed over it.
 * Synchronous on purpose: these files are a few kB in the page cache (no fsync), which takes
 * tens of microseconds, where each asynchronous call is a hop through libuv's thread pool
 * that a loaded machine can delay by milliseconds (the ctl latency aim, SPEC §13).
 */
import { closeSync, openSync, renameSync, rmSync, writeFileSync, writevSync } from 'node:fs'

/** What a file is written from: text, its bytes, or its bytes in consecutive pieces. */
export type FileText = string | Uint8Array | readonly Uint8Array[]

/**
 * Writes `text` over `file` atomically, mode `mode` (0600 by default: the agent's files are
 * root's). Pieces are written as they are, in one writev: never joined into one buffer first.
 */
export function writeFileAtomically (file: string, text: FileText, mode = 0o600): void {
  const candidate = `${file}.new`
  try {
    if (Array.isArray(text)) writePieces(candidate, text, mode)
    else writeFileSync(candidate, text as string | Uint8Array, { mode })
    renameSync(candidate, file)
  } catch (error) {
    // the write's own error is the one to report, whatever is left beside the file
    try { rmSync(candidate, { force: true }) } catch {}
    throw error
  }
}

function writePieces (file: string, pieces: readonly Uint8Array[], mode: number): void {
  const fd = openSync(file, 'w', mode)
  try {
    const length = pieces.reduce((sum, piece) => sum + piece.byteLength, 0)
    // libuv writes every piece, IOV_MAX at a time, until all are written or one write fails
    const written = writevSync(fd, pieces as Uint8Array[])
    if (written !== length) throw new Error(`wrote ${written} of ${length} bytes`)
  } finally {
    closeSync(fd)
  }
}
