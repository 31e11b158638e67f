/** (HA) The domain's words for the pair: a node's part in it, and who asked for a change. */

/** This node's part in the pair: `active` holds the virtual addresses (VRRP MASTER). */
export type NodeRole = 'active' | 'standby'

/** Who asked for a change: a client, or the standby forwarding a client's request to the active node. */
export type ChangeOrigin = 'client' | 'forwarded'

/** The header a standby sets on a request it forwards to the active node. */
export const FORWARDED_HEADER = 'x-l3lb-forwarded'
