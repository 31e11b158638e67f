/** Lets HAProxy bind the virtual addresses on the standby, where they are not (yet) local. */
import { writeFile } from 'node:fs/promises'
import { L3lbError } from '../errors.js'

/** The sysctls, per network namespace: the agent's own namespace only. */
export const NONLOCAL_BIND_SYSCTLS = ['/proc/sys/net/ipv4/ip_nonlocal_bind', '/proc/sys/net/ipv6/ip_nonlocal_bind'] as const

/** net.ipv4.ip_nonlocal_bind=1 and net.ipv6.ip_nonlocal_bind=1 in the namespace the agent runs in. */
export async function allowNonlocalBind (): Promise<void> {
  for (const file of NONLOCAL_BIND_SYSCTLS) {
    try {
      await writeFile(file, '1\n')
    } catch (cause) {
      // a host without IPv6 has no IPv6 sysctl, and then no IPv6 virtual address to bind either
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT' && file.includes('ipv6')) continue
      throw new L3lbError('L3LB_COMMAND_FAILED', `could not allow binding the virtual addresses: writing 1 to ${file} failed: ${(cause as Error).message}`, { cause })
    }
  }
}
