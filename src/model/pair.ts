/** (HA) The domain's words for the pair: a node's part in it, and who asked for a change. */

/** This node's part in the pair: `active` holds the virtual addresses (VRRP MASTER). */
export type NodeRole = 'active' | 'standby'

/** Who asked for an enable or disable: a client, or the standby forwarding a client's request. */
export type ChangeOrigin = 'client' | 'peer'

/** The header a standby sets on a request it forwards to the active node. */
export const FORWARDED_HEADER = 'x-l3lb-forwarded'
