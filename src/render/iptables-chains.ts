/** The netfilter chains l3lb owns, and where they hang (udp_roundrobin). Nothing else is touched. */

/** Chains of l3lb, by table, that always exist; a UDP service file adds one of its own (serviceChain). */
export const L3LB_CHAINS = {
  nat: ['L3LB-PREROUTING', 'L3LB-SPREAD', 'L3LB-POSTROUTING'],
  filter: ['L3LB-FORWARD']
} as const

/** The one jump from a built-in chain into each chain of l3lb that needs one. */
export const L3LB_JUMPS = [
  { table: 'nat', from: 'PREROUTING', to: 'L3LB-PREROUTING' },
  { table: 'nat', from: 'POSTROUTING', to: 'L3LB-POSTROUTING' },
  { table: 'filter', from: 'FORWARD', to: 'L3LB-FORWARD' }
] as const

export type IpFamily = 4 | 6

// A service's name is up to 32 characters and iptables takes 28: the chain is numbered, the name is in a comment.
const SERVICE_CHAIN = /^L3LB-SPREAD-[1-9][0-9]*$/

/** The nat chain that spreads the flows of the `index`-th (from 1) UDP service file. */
export function serviceChain (index: number): string {
  return `L3LB-SPREAD-${index}`
}

/** Whether `chain` is a chain of l3lb in `table`: a fixed one, or a UDP service's. */
export function isL3lbChain (table: string, chain: string): boolean {
  const fixed: readonly string[] = table === 'nat' ? L3LB_CHAINS.nat : table === 'filter' ? L3LB_CHAINS.filter : []
  return fixed.includes(chain) || (table === 'nat' && SERVICE_CHAIN.test(chain))
}
