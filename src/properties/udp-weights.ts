/** Pure: how udp_roundrobin turns server weights into a cycle of new flows (docs/udp.md, "Weights"). */

/**
 * The longest cycle a UDP service's weights may reduce to: one nth rule per flow of the
 * cycle, and a new flow walks up to that many rules. 4096 keeps the walk under a millisecond
 * and allows, say, 1,000 servers of weights 1 to 4, or 16 servers of any weight up to 256.
 */
export const UDP_CYCLE_LIMIT = 4096

/** The weights divided by their greatest common divisor (zeros stay zero): the fewest flows that keep their proportions. */
export function reducedWeights (weights: readonly number[]): number[] {
  const divisor = weights.reduce((g, weight) => gcd(g, weight), 0)
  return divisor === 0 ? weights.map(() => 0) : weights.map((weight) => weight / divisor)
}

/** How many new flows one cycle of these weights takes: the sum of the reduced weights. */
export function cycleLength (weights: readonly number[]): number {
  return reducedWeights(weights).reduce((sum, weight) => sum + weight, 0)
}

/**
 * One cycle of new flows: each index appears as often as its reduced weight, spread out
 * (smooth weighted round robin, as nginx does), so a heavy server's flows are not bunched.
 */
export function weightedCycle (weights: readonly number[]): number[] {
  const reduced = reducedWeights(weights)
  const total = reduced.reduce((sum, weight) => sum + weight, 0)
  const current = reduced.map(() => 0)
  const cycle: number[] = []
  for (let flow = 0; flow < total; flow++) {
    let best = -1
    reduced.forEach((weight, index) => {
      current[index] = (current[index] ?? 0) + weight
      if (weight > 0 && (best === -1 || (current[index] ?? 0) > (current[best] ?? 0))) best = index
    })
    current[best] = (current[best] ?? 0) - total
    cycle.push(best)
  }
  return cycle
}

function gcd (a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b)
}
