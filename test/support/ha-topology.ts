/**
 * The network of the high-availability tests: two load balancers (lb1, lb2) on one client
 * segment with the client, and on one back-end segment with the back ends, so each back end
 * is reachable from both. A segment is a bridge inside a dedicated "lan" namespace, with a
 * veth leg to each member; nothing touches the host's interfaces, routes or sysctls.
 *
 *   client 198.18.0.2, .20, .21...  ─┐                 ┌─ be1 198.18.1.101
 *   lb1 to-lan 198.18.0.11 ──────────┤ br-client  br-be├── be2 198.18.1.102
 *   lb2 to-lan 198.18.0.12 ──────────┘   (lan ns)      ├── lb1 to-be 198.18.1.11
 *   virtual address 198.18.0.100 (VRRP moves it)       └── lb2 to-be 198.18.1.12
 *   free for a virtual address on the back-end segment: 198.18.1.100 (ha_out_vip)
 *
 * With `ipv6: true` the same legs also carry fd00:1b::/48 addresses, the IPv4 host number
 * repeated: client fd00:1b::2, lb1 fd00:1b::11, lb2 fd00:1b::12, virtual fd00:1b::100;
 * back-end segment fd00:1b:0:1::/64 (be1 fd00:1b:0:1::101, lb1 fd00:1b:0:1::11). DAD is off
 * in every namespace of the set, so no address waits in the tentative state.
 *
 * Invariants: every namespace is named by run-id.ts's scheme (so a dead run's leftovers are
 * swept); the set is registered with topology.ts's exit hooks before its first namespace
 * exists; destroy() stops tracked processes, kills the rest, deletes every namespace.
 */
import { execa } from 'execa'
import { interfaceName, namespaceName } from './run-id.js'
import {
  execInNamespace, registerCleanup, removeNamespace, removeNamespacesSync, spawnInNamespace, sweepStaleNamespaces, unregisterCleanup,
  type ExecOptions, type ExecResult, type SpawnOptions, type SpawnedProcess, type TrackedProcess
} from './topology.js'

export interface HaTopologyOptions {
  /** Back ends on the back-end segment, 1..50. */
  backends: number
  /** Client addresses: 198.18.0.2, then 198.18.0.20, .21...; 1..50. Default 1. */
  clientAddresses?: number
  /** Also configure the fd00:1b::/48 addresses (addresses6). Default false. */
  ipv6?: boolean
}

/** The IPv6 addresses of an `ipv6: true` topology, in the roles of HaTopology['addresses']. */
export interface HaTopologyAddresses6 {
  readonly virtual: string
  readonly client: readonly string[]
  readonly lb1: string
  readonly lb2: string
  readonly backends: readonly string[]
}

export interface HaTopologyNames {
  lan: string
  client: string
  lb1: string
  lb2: string
  backends: string[]
}

export interface HaTopology {
  readonly names: HaTopologyNames
  readonly addresses: {
    /** The address VRRP moves: where clients connect. */
    readonly virtual: string
    readonly client: readonly string[]
    /** Each lb's own address on the client segment (VRRP and HAProxy peers run there). */
    readonly lb1: string
    readonly lb2: string
    /** On the back-end segment, used by no one: for a virtual address there (ha_out_vip). */
    readonly outputsVirtual: string
    readonly backends: readonly string[]
  }
  /** The IPv6 addresses on the same legs; null without `ipv6: true`. */
  readonly addresses6: HaTopologyAddresses6 | null
  /** The name of the client-segment leg inside lb1 and lb2. */
  readonly lbInterface: string
  /** The name of the back-end-segment leg inside lb1 and lb2. */
  readonly lbOutputsInterface: string
  exec (ns: string, file: string, args?: readonly string[], options?: ExecOptions): Promise<ExecResult>
  spawn (ns: string, file: string, args?: readonly string[], options?: SpawnOptions): SpawnedProcess
  /** Whether `address` is on lb namespace `ns` now. */
  holds (ns: string, address: string): Promise<boolean>
  destroy (): Promise<void>
}

const COMMAND_TIMEOUT_MS = 15_000
// far from createTopology's counter, so both kinds can live in one test process
let haCount = 500

/** Builds the HA network; on failure removes what it made and rethrows. */
export async function createHaTopology (options: HaTopologyOptions): Promise<HaTopology> {
  const clients = options.clientAddresses ?? 1
  if (!Number.isInteger(options.backends) || options.backends < 1 || options.backends > 50) throw new Error(`backends must be 1..50, got ${options.backends}`)
  if (!Number.isInteger(clients) || clients < 1 || clients > 50) throw new Error(`clientAddresses must be 1..50, got ${clients}`)
  await sweepStaleNamespaces().catch((error: unknown) => process.emitWarning(`sweeping stale test namespaces: ${(error as Error).message}`))
  haCount += 1
  const topology = new HaTopologyImpl(haCount, options.backends, clients, options.ipv6 ?? false)
  try {
    await topology.build()
  } catch (error) {
    await topology.destroy().catch(() => undefined)
    throw new Error(`could not build the HA test topology: ${(error as Error).message}`, { cause: error })
  }
  return topology
}

class HaTopologyImpl implements HaTopology {
  readonly names: HaTopologyNames
  readonly addresses: HaTopology['addresses']
  readonly addresses6: HaTopologyAddresses6 | null
  readonly lbInterface = interfaceName('to-lan')
  readonly lbOutputsInterface = interfaceName('to-be')
  readonly #spawned: TrackedProcess[] = []
  #destroying: Promise<void> | undefined

  constructor (index: number, backends: number, clients: number, ipv6: boolean) {
    const numbers = Array.from({ length: backends }, (_, i) => i + 1)
    this.names = {
      lan: namespaceName(index, 'lan'),
      client: namespaceName(index, 'client'),
      lb1: namespaceName(index, 'lb1'),
      lb2: namespaceName(index, 'lb2'),
      backends: numbers.map((n) => namespaceName(index, `be${n}`))
    }
    this.addresses = {
      virtual: '198.18.0.100',
      client: ['198.18.0.2', ...Array.from({ length: clients - 1 }, (_, i) => `198.18.0.${20 + i}`)],
      lb1: '198.18.0.11',
      lb2: '198.18.0.12',
      outputsVirtual: '198.18.1.100',
      backends: numbers.map((n) => `198.18.1.${100 + n}`)
    }
    this.addresses6 = ipv6
      ? {
          virtual: 'fd00:1b::100',
          client: ['fd00:1b::2', ...Array.from({ length: clients - 1 }, (_, i) => `fd00:1b::${20 + i}`)],
          lb1: 'fd00:1b::11',
          lb2: 'fd00:1b::12',
          backends: numbers.map((n) => `fd00:1b:0:1::${100 + n}`)
        }
      : null
  }

  all (): string[] {
    return [this.names.lan, this.names.client, this.names.lb1, this.names.lb2, ...this.names.backends]
  }

  async build (): Promise<void> {
    registerCleanup(this)
    const { names, addresses } = this
    const six = this.addresses6
    for (const ns of this.all()) {
      await ip(['netns', 'add', ns])
      await ip(['-n', ns, 'link', 'set', 'lo', 'up'])
      // before any leg exists: each interface made later takes `default`, link-local addresses included
      if (six !== null) await execInNamespace(ns, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'])
    }
    for (const bridge of ['br-client', 'br-be']) {
      // without an MLD querier a snooping bridge may drop the solicited-node multicast ND relies on
      await ip(['-n', names.lan, 'link', 'add', bridge, 'type', 'bridge', ...(six === null ? [] : ['mcast_snooping', '0'])])
      await ip(['-n', names.lan, 'link', 'set', bridge, 'up'])
    }
    // one leg: a veth made in lan, its far end moved into the member namespace under `inside`
    const leg = async (bridge: string, legName: string, ns: string, inside: string, cidrs: readonly string[]): Promise<void> => {
      await ip(['-n', names.lan, 'link', 'add', interfaceName(legName), 'type', 'veth', 'peer', 'name', interfaceName(inside), 'netns', ns])
      await ip(['-n', names.lan, 'link', 'set', legName, 'master', bridge, 'up'])
      await ip(['-n', ns, 'link', 'set', inside, 'up'])
      for (const cidr of cidrs) await ip(['-n', ns, 'addr', 'add', cidr, 'dev', inside, ...(cidr.includes(':') ? ['nodad'] : [])])
    }
    // each leg's IPv6 addresses, /64, when the topology has them
    const v6 = (list: readonly string[]): string[] => six === null ? [] : list.map((address) => `${address}/64`)
    await leg('br-client', 'c-client', names.client, 'eth0', [...addresses.client.map((address) => `${address}/24`), ...v6(six?.client ?? [])])
    await leg('br-client', 'c-lb1', names.lb1, this.lbInterface, [`${addresses.lb1}/24`, ...v6([six?.lb1 ?? ''])])
    await leg('br-client', 'c-lb2', names.lb2, this.lbInterface, [`${addresses.lb2}/24`, ...v6([six?.lb2 ?? ''])])
    await leg('br-be', 'b-lb1', names.lb1, this.lbOutputsInterface, ['198.18.1.11/24', ...v6(['fd00:1b:0:1::11'])])
    await leg('br-be', 'b-lb2', names.lb2, this.lbOutputsInterface, ['198.18.1.12/24', ...v6(['fd00:1b:0:1::12'])])
    for (const [i, ns] of names.backends.entries()) await leg('br-be', `b-be${i + 1}`, ns, 'eth0', [`${addresses.backends[i] ?? ''}/24`, ...v6([six?.backends[i] ?? ''])])
  }

  async exec (ns: string, file: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
    this.#check(ns)
    return await execInNamespace(ns, file, args, options)
  }

  spawn (ns: string, file: string, args: readonly string[] = [], options: SpawnOptions = {}): SpawnedProcess {
    this.#check(ns)
    const spawned = spawnInNamespace(ns, file, args, options)
    this.#spawned.push(spawned)
    return spawned
  }

  async holds (ns: string, address: string): Promise<boolean> {
    const { stdout } = await execa('ip', ['-n', ns, '-o', 'addr', 'show', 'dev', this.lbInterface], { timeout: COMMAND_TIMEOUT_MS })
    return stdout.split('\n').some((line) => line.includes(` ${address}/`))
  }

  destroy (): Promise<void> {
    this.#destroying ??= this.#teardown()
    return this.#destroying
  }

  destroySync (): void {
    for (const process of this.#spawned) process.killSync()
    removeNamespacesSync(this.all())
  }

  async #teardown (): Promise<void> {
    try {
      await Promise.all(this.#spawned.map((process) => process.stop().catch(() => undefined)))
      for (const ns of this.all()) await removeNamespace(ns)
    } finally {
      unregisterCleanup(this)
    }
  }

  #check (ns: string): void {
    if (this.#destroying !== undefined) throw new Error(`the HA topology is destroyed; cannot run in '${ns}'`)
    if (!this.all().includes(ns)) throw new Error(`namespace '${ns}' is not part of this HA topology`)
  }
}

async function ip (args: string[]): Promise<void> {
  try {
    await execa('ip', args, { timeout: COMMAND_TIMEOUT_MS })
  } catch (error) {
    throw new Error(`'ip ${args.join(' ')}' failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`, { cause: error })
  }
}
