/** Pure: which connected outputs a ctl selector means. */
import type { OutputSelector } from '../ctl/controller.js'
import { canonicalAddress } from '../properties/canonical-address.js'
import type { Output } from '../properties/model.js'

/** The connected outputs named by the selector: the channel, or every output whose address is the one given. */
export function selectOutputs (outputs: readonly Output[], selector: OutputSelector): Output[] {
  if ('channel' in selector) return outputs.filter((output) => output.name === selector.channel)
  const wanted = comparable(selector.address)
  return outputs.filter((output) => comparable(output.address) === wanted)
}

// Two spellings of one address match: IPv6 compressed, host names in any case.
function comparable (address: string): string {
  return canonicalAddress(address) ?? address.toLowerCase()
}
