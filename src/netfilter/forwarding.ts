/** Switches on IP forwarding, which udp_roundrobin's DNAT needs, with sysctl in the target namespace. */
import type { IpFamily } from '../render/iptables-chains.js'
import { commandFailed, runProgram, type NetfilterOptions } from './command.js'

const KEYS = {
  4: 'net.ipv4.ip_forward',
  6: 'net.ipv6.conf.all.forwarding'
} as const

/**
 * Sets net.ipv4.ip_forward=1 (4) or net.ipv6.conf.all.forwarding=1 (6) with
 * `sysctl -w`, run behind `command` so that a namespace's own value is written.
 * Throws L3LB_COMMAND_FAILED when sysctl refuses.
 */
export async function enableForwarding (family: IpFamily, options: NetfilterOptions = {}): Promise<void> {
  const args = ['-q', '-w', `${KEYS[family]}=1`]
  const result = await runProgram('sysctl', args, options)
  if (result.exitCode !== 0) throw commandFailed(`could not switch on IPv${family} forwarding`, options.command ?? [], 'sysctl', args, result)
}

/** Whether forwarding is on for `family` (read with `sysctl -n`). */
export async function forwardingEnabled (family: IpFamily, options: NetfilterOptions = {}): Promise<boolean> {
  const args = ['-n', KEYS[family]]
  const result = await runProgram('sysctl', args, options)
  if (result.exitCode !== 0) throw commandFailed(`could not read IPv${family} forwarding`, options.command ?? [], 'sysctl', args, result)
  return result.stdout.trim() === '1'
}
