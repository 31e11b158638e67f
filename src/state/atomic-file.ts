/**
 * Writing a small file so a reader (or a restart after a crash) sees the old text or the
 * new, never part of one: written beside it, then renamed over it.
 * Synchronous where the file is on a tmpfs (the runtime folder): a few kB in memory take
 * tens of microseconds, where each asynchronous call is a hop through libuv's thread pool.
 * Where it is on a disk (the state folder), the rename is done in the pool: on ext4 a rename
 * over a file starts writing the new one out (auto_da_alloc), 0.13 ms p50 in a bare loop and
 * 4 ms at p99 with the CPUs busy (docs/benchmarks.md); in the pool that wait blocks no event loop.
 */
import { closeSync, openSync, renameSync, rmSync, writeFileSync, writevSync } from 'node:fs'
import { rename, rm } from 'node:fs/promises'

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

/**
 * writeFileAtomically for text, the rename (the disk's wait) in libuv's pool: the event loop
 * goes on meanwhile. The candidate is written at once, before the first await: a few hundred
 * bytes into the page cache take microseconds, where an open, a write and a close through the
 * pool were three more hops, each waiting for a pool thread and then for the event loop, and
 * together as slow at the tail as the rename (the ctl latency aim, SPEC §13).
 */
export async function writeFileAtomicallyInPool (file: string, text: string, mode = 0o600): Promise<void> {
  const candidate = `${file}.new`
  try {
    writeFileSync(candidate, text, { mode })
    await rename(candidate, file)
  } catch (error) {
    await rm(candidate, { force: true }).catch(() => undefined)
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
