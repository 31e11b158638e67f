/** The netfilter chains l3lb owns, and where they hang (udp_roundrobin). Nothing else is touched. */

/** Chains of l3lb, by table; every rule of l3lb lives in one of these. */
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
