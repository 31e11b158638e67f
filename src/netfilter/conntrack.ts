/**
 * The kernel's UDP flow table (conntrack) per output: forgetting an output's flows
 * makes their next datagram go through the DNAT rules again, counting them gives
 * the output's sessions.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { commandFailed, runProgram, type NetfilterOptions } from './command.js'
import { filterArgs, filtersOfFlows, staticFilters, type FlowFilter, type ServiceFlows } from './flow-filters.js'

/** The count in conntrack's summary line ("3 flow entries have been deleted."), or undefined without one. */
export function parseFlowCount (stderr: string, verb: 'deleted' | 'shown'): number | undefined {
  const match = new RegExp(`(\\d+) flow entries have been ${verb}`).exec(stderr)
  return match?.[1] === undefined ? undefined : Number(match[1])
}

/** conntrack's arguments selecting the UDP flows whose replies come from `address`. */
function selection (address: string): string[] {
  const family = isIP(address)
  if (family === 0) throw new TypeError(`an IPv4 or IPv6 address is needed, got '${address}'`)
  return [...(family === 6 ? ['-f', 'ipv6'] : []), '-p', 'udp', '--reply-src', address]
}

/**
 * Deletes the UDP conntrack entries whose replies come from `address` (the output's
 * IP literal) and returns how many there were. Throws L3LB_PROGRAM_MISSING without
 * `conntrack`, L3LB_COMMAND_FAILED when conntrack fails.
 */
export async function forgetFlowsTo (address: string, options: NetfilterOptions = {}): Promise<number> {
  return await deleteFlows(selection(address), `the UDP flows to ${address}`, options)
}

/**
 * Deletes the UDP conntrack entries of one server of one service, and none of the other
 * servers' at its address (`flows.keep`); returns how many there were. Each selection is one
 * walk of the whole table by the kernel: one when the services tell the flows apart, else one
 * listing of the address's flows and one per destination port in use (docs/checks.md).
 * Errors as forgetFlowsTo's.
 */
export async function forgetServiceFlows (flows: ServiceFlows, options: NetfilterOptions = {}): Promise<number> {
  const { address } = flows.target
  const filters = staticFilters(flows) ?? filtersOfFlows(flows, await listFlowsFrom(address, options))
  const [only] = filters
  if (only === undefined) return 0
  const what = `the UDP flows to ${address}${flows.target.port === null ? '' : ` port ${flows.target.port}`} of one service`
  if (filters.length === 1) return await deleteFlows(filterArgs(only), what, options)
  return await deleteFlowsInOneRun(filters, what, options)
}

async function deleteFlows (selectionArgs: readonly string[], what: string, options: NetfilterOptions): Promise<number> {
  const args = ['-D', ...selectionArgs]
  const result = await runProgram('conntrack', args, options)
  const deleted = parseFlowCount(result.stderr, 'deleted')
  // conntrack -D exits 1 when it found nothing to delete.
  if (deleted === undefined || (result.exitCode !== 0 && !(result.exitCode === 1 && deleted === 0))) {
    throw commandFailed(`could not forget ${what}`, options.command ?? [], 'conntrack', args, result)
  }
  return deleted
}

// `conntrack -R FILE` runs one command a line, in one process: it prints each entry it deletes
// (one line each) and no summary. A file, not its input: it opens /dev/stdin, which a socket
// pair (Node's pipes) cannot be opened as.
async function deleteFlowsInOneRun (filters: readonly FlowFilter[], what: string, options: NetfilterOptions): Promise<number> {
  const folder = await mkdtemp(join(tmpdir(), 'l3lb-conntrack-'))
  try {
    const file = join(folder, 'deletions')
    await writeFile(file, filters.map((filter) => ['-D', ...filterArgs(filter)].join(' ') + '\n').join(''), { mode: 0o600 })
    const args = ['-R', file]
    const result = await runProgram('conntrack', args, options)
    if (result.exitCode !== 0) {
      throw commandFailed(`could not forget ${what} (${filters.length} deletions in one run)`, options.command ?? [], 'conntrack', args, result)
    }
    return result.stdout.split('\n').filter((line) => line.trim() !== '').length
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

// The UDP flows whose replies come from `address`: one walk of the table.
async function listFlowsFrom (address: string, options: NetfilterOptions): Promise<UdpFlow[]> {
  const args = ['-L', ...selection(address)]
  const result = await runProgram('conntrack', args, options)
  if (result.exitCode !== 0 || parseFlowCount(result.stderr, 'shown') === undefined) {
    throw commandFailed(`could not list the UDP flows to ${address}`, options.command ?? [], 'conntrack', args, result)
  }
  return parseUdpFlows(result.stdout)
}

/** How many UDP conntrack entries have replies from `address`. Errors as forgetFlowsTo's. */
export async function countFlowsTo (address: string, options: NetfilterOptions = {}): Promise<number> {
  const args = ['-L', ...selection(address)]
  const result = await runProgram('conntrack', args, options)
  const shown = parseFlowCount(result.stderr, 'shown')
  if (result.exitCode !== 0 || shown === undefined) {
    throw commandFailed(`could not count the UDP flows to ${address}`, options.command ?? [], 'conntrack', args, result)
  }
  return shown
}

/** One UDP flow of the conntrack table: where the client sent it, and where its replies come from. */
export interface UdpFlow {
  /** The original direction's destination: the address and port the client sent to. */
  readonly to: string
  readonly toPort: number
  /** The reply direction's source: after DNAT, the server's address and port. */
  readonly replyFrom: string
  readonly replyFromPort: number
}

/** Pure: `conntrack -L -p udp`'s lines to flows (the first tuple is the original direction, the second the reply). */
export function parseUdpFlows (text: string): UdpFlow[] {
  const flows: UdpFlow[] = []
  for (const line of text.split('\n')) {
    const tuples = [...line.matchAll(/src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+)/g)]
    const [original, reply] = tuples
    if (original === undefined || reply === undefined) continue
    flows.push({ to: original[2] ?? '', toPort: Number(original[4]), replyFrom: reply[1] ?? '', replyFromPort: Number(reply[3]) })
  }
  return flows
}

/**
 * Every UDP flow of one address family: one `conntrack -L` for all servers of all services,
 * however many there are. Errors as forgetFlowsTo's.
 */
export async function listUdpFlows (family: 4 | 6, options: NetfilterOptions = {}): Promise<UdpFlow[]> {
  const args = ['-L', ...(family === 6 ? ['-f', 'ipv6'] : []), '-p', 'udp']
  const result = await runProgram('conntrack', args, options)
  if (result.exitCode !== 0 || parseFlowCount(result.stderr, 'shown') === undefined) {
    throw commandFailed(`could not list the UDP flows (IPv${family})`, options.command ?? [], 'conntrack', args, result)
  }
  return parseUdpFlows(result.stdout)
}
