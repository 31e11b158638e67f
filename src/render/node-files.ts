/**
 * Pure: everything a node runs, as `l3lb render` prints it: haproxy.cfg when any service is
 * TCP, the iptables rules when any is UDP. One part alone is printed as it is (a file HAProxy
 * or iptables-restore takes); both, each under a header line that says what it is.
 */
import { DEFAULT_SERVICE } from '../properties/model.js'
import { isUdpMode, runsHaproxy } from '../properties/service-file.js'
import type { DesiredState } from '../state/desired.js'
import { renderHaproxyConfig } from './haproxy-config.js'
import type { IpFamily } from './iptables-chains.js'
import { renderIptablesRules } from './iptables-rules.js'

/** What runs on a node, as the reconciler splits it: HAProxy, the kernel's rules, and the services each serves. */
export interface NodeParts {
  /** HAProxy runs: a service file is TCP, or the env file's service is (with no output: the stats UI alone). */
  readonly haproxy: boolean
  /** The kernel's rules are in force: a service file is UDP, or the env file's service is. */
  readonly rules: boolean
  /** The services that listen in HAProxy, `default` first when it has an output. */
  readonly tcp: readonly string[]
  readonly udp: readonly string[]
}

/** Which parts a desired state runs, and which services each serves. */
export function nodeParts (state: DesiredState): NodeParts {
  const defaultUdp = isUdpMode(state.properties.mode)
  const listens = state.properties.outputs.length > 0 ? [DEFAULT_SERVICE] : []
  const tcp = [...(defaultUdp ? [] : listens), ...state.services.filter((service) => !isUdpMode(service.mode)).map((service) => service.name)]
  const udp = [...(defaultUdp ? listens : []), ...state.services.filter((service) => isUdpMode(service.mode)).map((service) => service.name)]
  return { haproxy: runsHaproxy(state.properties.mode, state.services), rules: defaultUdp || udp.length > 0, tcp, udp }
}

/** The text of every part the node runs, for one IP family's rules. */
export function renderNodeFiles (state: DesiredState, family: IpFamily): string {
  const parts = nodeParts(state)
  if (!parts.rules) return renderHaproxyConfig(state)
  if (!parts.haproxy) return renderIptablesRules(state, family)
  const command = family === 4 ? 'iptables-restore' : 'ip6tables-restore'
  const tcp = parts.tcp.length === 0 ? 'no TCP service listens, the stats UI only' : `TCP services ${parts.tcp.join(', ')}`
  const udp = parts.udp.length === 0 ? 'no UDP service listens' : `UDP services ${parts.udp.join(', ')}`
  return [
    `# ===== haproxy.cfg: HAProxy's configuration (${tcp}) =====\n`,
    renderHaproxyConfig(state),
    `\n# ===== ${command} --noflush input: the kernel's rules, IPv${family} (${udp}) =====\n`,
    renderIptablesRules(state, family)
  ].join('')
}
