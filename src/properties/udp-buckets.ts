/**
 * Pure: how udp_source maps client addresses to servers (docs/udp.md, "udp_source"). The kernel
 * hashes a client's address to one of BUCKETS buckets; this table says which server each bucket
 * goes to. It is a function of the full server list (with weights) and of which are available,
 * built so that a leaver's buckets alone move, and a returner gets exactly its old ones back.
 */

/** How many buckets a udp_source service's clients are hashed into: the precision of its weights (one in 1024). */
export const BUCKETS = 1024

/** A candidate for buckets: its weight, and whether it takes new flows now. */
export interface BucketServer {
  readonly weight: number
  readonly available: boolean
}

/** A run of consecutive buckets, `first` to `last` inclusive, going to the server at `server` (an index into the list). */
export interface BucketRange {
  readonly first: number
  readonly last: number
  readonly server: number
}

/**
 * Each bucket's server, as index into `servers`, or null when no available server of weight above 0 is left.
 *
 * Every bucket has an order of preference over the servers: its first choice is its server in
 * the split of all buckets over all servers by weight; its next, its server in the split of its
 * first choice's buckets over the other servers by weight; and so on. A bucket goes to the first
 * available server in its order. Availability decides only how far down a bucket goes, never the
 * splits, so a server that leaves moves only the buckets that stopped at it, and when it returns
 * the buckets that pass through it stop there again: exactly the ones it had.
 */
export function bucketTable (servers: readonly BucketServer[], buckets: number = BUCKETS): Array<number | null> {
  const table: Array<number | null> = new Array<number | null>(buckets).fill(null)
  const all = servers.map((_, index) => index)
  fill(servers, all, 0, buckets, table)
  return table
}

/** The table as runs of consecutive buckets with the same server (null runs left out). */
export function bucketRanges (table: ReadonlyArray<number | null>): BucketRange[] {
  const ranges: BucketRange[] = []
  table.forEach((server, bucket) => {
    if (server === null) return
    const last = ranges[ranges.length - 1]
    if (last !== undefined && last.server === server && last.last === bucket - 1) ranges[ranges.length - 1] = { ...last, last: bucket }
    else ranges.push({ first: bucket, last: bucket, server })
  })
  return ranges
}

/**
 * The aligned blocks that make up a run: each is `value/mask` as netfilter's mark match reads it
 * ((mark & mask) == value), a power-of-two count of buckets starting at a multiple of it.
 */
export function alignedBlocks (first: number, last: number, buckets: number = BUCKETS): Array<{ readonly value: number, readonly mask: number }> {
  const blocks: Array<{ value: number, mask: number }> = []
  let start = first
  while (start <= last) {
    let size = 1
    // the largest power of two that starts here (aligned) and stays within the run
    while (start % (size * 2) === 0 && start + size * 2 - 1 <= last && size * 2 <= buckets) size *= 2
    blocks.push({ value: start, mask: (buckets - 1) & ~(size - 1) })
    start += size
  }
  return blocks
}

// Splits buckets [first, first+count) over `candidates` by weight, in runs, and sends each run on
// to its server when available, else splits it again over the candidates left.
function fill (servers: readonly BucketServer[], candidates: readonly number[], first: number, count: number, table: Array<number | null>): void {
  const shares = weightedShares(candidates.map((index) => servers[index]?.weight ?? 0), count)
  let start = first
  candidates.forEach((index, position) => {
    const share = shares[position] ?? 0
    if (share === 0) return
    if (servers[index]?.available === true) table.fill(index, start, start + share)
    else fill(servers, candidates.filter((other) => other !== index), start, share, table)
    start += share
  })
}

/**
 * `count` split by weight, each share the floor or the ceiling of its exact part (largest
 * remainders get the ceilings, the first in order on a tie); all zeros when every weight is 0.
 */
export function weightedShares (weights: readonly number[], count: number): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0)
  if (total === 0) return weights.map(() => 0)
  const shares = weights.map((weight) => Math.floor(weight * count / total))
  const left = count - shares.reduce((sum, share) => sum + share, 0)
  const order = weights.map((weight, index) => ({ index, remainder: (weight * count) % total }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index)
  for (const { index } of order.slice(0, left)) shares[index] = (shares[index] ?? 0) + 1
  return shares
}
