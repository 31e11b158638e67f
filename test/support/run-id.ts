/**
 * Names for everything a test run creates on the host. Every name starts with
 * `l3lbt-` and carries this process's run id and pid, so a later run can tell its
 * own leftovers from a live run's namespaces and sweep only those whose owner died.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'

/** The prefix of every namespace the test support creates; nothing else is ever swept. */
export const NAME_PREFIX = 'l3lbt-'

/** Six hex characters, fixed for the life of this test process. */
export const runId: string = randomBytes(3).toString('hex')

/** Linux's limit on an interface name (IFNAMSIZ 16, minus the NUL). */
export const MAX_INTERFACE_NAME = 15

const NAMESPACE_PATTERN = /^l3lbt-([0-9a-f]{6})-(\d+)-(\d+)-([a-z0-9]+)$/

/** What a namespace name says about who made it. */
export interface NamespaceOwner {
  runId: string
  pid: number
  topology: number
  role: string
}

/** The name of namespace `role` (`client`, `lb`, `be1`...) of topology `topology` of this run. */
export function namespaceName (topology: number, role: string): string {
  if (!/^[a-z0-9]+$/.test(role)) throw new Error(`namespace role must be lower-case letters and digits, got '${role}'`)
  return `${NAME_PREFIX}${runId}-${process.pid}-${topology}-${role}`
}

/** The owner encoded in a namespace name, or undefined when the name is not one of ours. */
export function parseNamespaceName (name: string): NamespaceOwner | undefined {
  const match = NAMESPACE_PATTERN.exec(name)
  if (match === null) return undefined
  const [, id, pid, topology, role] = match
  if (id === undefined || pid === undefined || topology === undefined || role === undefined) return undefined
  return { runId: id, pid: Number(pid), topology: Number(topology), role }
}

/** An interface name checked against the kernel's 15-character limit. */
export function interfaceName (name: string): string {
  if (name.length === 0 || name.length > MAX_INTERFACE_NAME || /[\s/:]/.test(name)) {
    throw new Error(`interface name must be 1..${MAX_INTERFACE_NAME} characters without spaces, '/' or ':', got '${name}'`)
  }
  return name
}

/** True while a process with this pid runs; a zombie (exited, not yet reaped) does not count. */
export function isPidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  return !isZombie(pid)
}

function isZombie (pid: number): boolean {
  try {
    // The state follows the parenthesised command name, which may itself hold ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
  } catch {
    return false
  }
}
