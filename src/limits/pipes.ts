/**
 * Splice pipes (tcp_splice, docs/tuning.md): how many HAProxy may open. A session holds a
 * pipe only while spliced data wait in it, but HAProxy keeps every pipe it ever opened
 * (2 descriptors and about 2 kB of kernel memory each) for the next session.
 */

/** Descriptors an open pipe holds: its two ends. */
export const DESCRIPTORS_PER_PIPE = 2

/** Pipes the descriptor reserve always holds, so that a host short of descriptors still splices some sessions. */
export const MIN_PIPES = 25

// HAProxy's own default when splicing: a quarter of maxconn (compute_ideal_maxpipes in haproxy.c)
const SESSIONS_PER_PIPE = 4

/**
 * Pipes for `maxConnections` sessions: a quarter of them, as far as the `spareDescriptors`
 * left once every session has its two allow; never fewer than MIN_PIPES, which the reserve holds.
 */
export function pipesFor (maxConnections: number, spareDescriptors: number): number {
  const wanted = Math.floor(maxConnections / SESSIONS_PER_PIPE) - MIN_PIPES
  const affordable = Math.floor(Math.max(0, spareDescriptors) / DESCRIPTORS_PER_PIPE)
  return MIN_PIPES + Math.max(0, Math.min(wanted, affordable))
}
