/** Pure: which servers a ctl selector means (SPEC §5, §11). */
import { canonicalAddress } from '../properties/canonical-address.js'
import { DEFAULT_SERVICE } from '../properties/model.js'
import type { DesiredState } from './desired.js'
import { serverKey } from './server-key.js'
import type { OutputSelector } from '../model/admin.js'

/** One server a selector matched. */
export interface SelectedServer {
  readonly service: string
  readonly server: string
  /** serverKey: `out2`, `web/web1`. */
  readonly key: string
}

/**
 * The servers named by the selector, the env file's outputs first: a channel is a server of
 * `service` (the env file's own when none is given); an address is every server with that
 * address, in `service` or, without one, in every service (a machine gone bad is taken out
 * everywhere). null when `service` names no service.
 */
export function selectServers (state: DesiredState, selector: OutputSelector): SelectedServer[] | null {
  const services = [
    { name: DEFAULT_SERVICE, servers: state.properties.outputs },
    ...state.services.map((service) => ({ name: service.name, servers: service.servers }))
  ]
  const wanted = selector.service ?? ('channel' in selector ? DEFAULT_SERVICE : undefined)
  const among = wanted === undefined ? services : services.filter((service) => service.name === wanted)
  if (among.length === 0) return null
  const address = 'address' in selector ? comparable(selector.address) : null
  return among.flatMap((service) => service.servers
    .filter((server) => 'channel' in selector ? server.name === selector.channel : comparable(server.address) === address)
    .map((server) => ({ service: service.name, server: server.name, key: serverKey(service.name, server.name) })))
}

// Two spellings of one address match: IPv6 compressed, host names in any case.
function comparable (address: string): string {
  return canonicalAddress(address) ?? address.toLowerCase()
}
