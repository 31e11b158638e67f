/** Pure: which outputs a change of the desired state moved from one state to another. */
import type { OutputName } from '../properties/model.js'
import type { DesiredState } from './desired.js'
import { sameServers } from './server-targets.js'
import type { OutputState } from '../model/health.js'

/** A connected output's state as the desired state holds it: disabled, draining, down (udp_roundrobin's own checks) or up. */
export function outputStateIn (state: DesiredState, output: OutputName): OutputState | undefined {
  if (!state.properties.outputs.some((candidate) => candidate.name === output)) return undefined
  if (state.disabled.has(output)) return 'disabled'
  if (state.draining.has(output)) return 'draining'
  return state.down.has(output) ? 'down' : 'up'
}

/** The outputs of `after` whose state, or address, differs from `before`'s: a new output counts as changed. */
export function changedOutputs (before: DesiredState, after: DesiredState): OutputName[] {
  const same = sameServers(before, after)
  return after.properties.outputs
    .filter((output) => !same.has(output.name) || outputStateIn(before, output.name) !== outputStateIn(after, output.name))
    .map((output) => output.name)
}
