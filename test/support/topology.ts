/**
 * The network every integration test runs in: a client namespace, the load
 * balancer's namespace ("lb") and one namespace per back end, joined by veth pairs
 * created directly inside those namespaces. Nothing touches the host's interfaces
 * or routes.
 *
 * Invariants:
 * - every namespace name starts with `l3lbt-` and carries this run's id and pid;
 * - a topology is registered before its first namespace exists, so the exit and
 *   signal hooks remove even a half-built one;
 * - destroy() stops tracked processes, kills whatever else runs in the namespaces,
 *   then deletes them; it is idempotent and every wait in it is bounded.
 */
import { execFileSync } from 'node:child_process'
import type { Writable } from 'node:stream'
import { execa } from 'execa'
import { NAME_PREFIX, interfaceName, isPidAlive, namespaceName, parseNamespaceName } from './run-id.js'

/** What to build. */
export interface TopologyOptions {
  /** Back-end namespaces, 1..250. */
  backends: number
  /** Addresses on the client, 1..200: 198.18.0.2, then 198.18.0.10, .11... Default 1. */
  clientAddresses?: number
  /** Also configure the fd00:1b::/48 addresses. Default false. */
  ipv6?: boolean
  /** Remove leftovers of dead earlier runs first. Default true. */
  sweep?: boolean
}

/** The namespace names, for `ip netns exec` and for `exec`/`spawn`. */
export interface TopologyNames {
  client: string
  lb: string
  /** backends[0] is back end 1. */
  backends: string[]
}

/** The addressing plan (docs/testing.md); the IPv6 forms are empty/undefined without `ipv6`. */
export interface TopologyAddresses {
  /** The lb's address on the client link, 198.18.0.1: where clients connect. */
  lbClientSide: string
  lbClientSide6: string | undefined
  /** The client's addresses: 198.18.0.2, then 198.18.0.10, .11... */
  client: string[]
  client6: string[]
  /** The lb's address on back end i's link: 198.18.i.1 (index 0 is back end 1). */
  lbBackendSide: string[]
  lbBackendSide6: string[]
  /** Back end i's address: 198.18.i.2 (index 0 is back end 1). */
  backends: string[]
  backends6: string[]
}

/** Interface names inside the namespaces (each at most 15 characters). */
export interface TopologyInterfaces {
  /** In lb, towards the client. */
  lbClientSide: string
  /** In lb, towards back end i (index 0 is back end 1). */
  lbBackendSide: string[]
  /** In the client and in each back end. */
  peer: string
}

/** How to run a program inside a namespace. */
export interface ExecOptions {
  /** Give up (and kill it) after this long. Default 15000. */
  timeoutMs?: number
  /** Throw when the program fails. Default true. */
  reject?: boolean
  /** Written to the program's stdin. */
  input?: string
  env?: Record<string, string>
}

/** The outcome of `exec`. */
export interface ExecResult {
  exitCode: number | undefined
  stdout: string
  stderr: string
  failed: boolean
}

/** How to start a long-lived program inside a namespace. */
export interface SpawnOptions {
  /** 'pipe' to write to it through `stdin`. Default 'ignore'. */
  stdin?: 'pipe' | 'ignore'
  env?: Record<string, string>
  cwd?: string
}

/** How a spawned program ended. */
export interface ExitStatus {
  exitCode: number | undefined
  signal: string | undefined
}

/** A program running in a namespace, tracked by its topology and stopped at destroy. */
export interface SpawnedProcess {
  readonly namespace: string
  readonly pid: number
  /** Its stdin when spawned with `stdin: 'pipe'`, else null. */
  readonly stdin: Writable | null
  /** Settles once the program has exited and been reaped. */
  readonly exited: Promise<ExitStatus>
  /** Whether it has exited. */
  hasExited (): boolean
  /** The last 64 KiB of its stdout and stderr, for failure messages. */
  output (): string
  /** Calls `listener` with every complete line of stdout or stderr from now on; returns the unsubscribe. */
  onLine (listener: (line: string) => void): () => void
  /** The first line of stdout or stderr (seen so far or later) that matches; rejects on timeout or exit. */
  waitForLine (match: string | RegExp, timeoutMs?: number): Promise<string>
  /** SIGTERM, then SIGKILL after `timeoutMs` (default 3000); resolves once it is gone. */
  stop (timeoutMs?: number): Promise<ExitStatus>
}

/** A built topology. */
export interface Topology {
  readonly names: TopologyNames
  readonly addresses: TopologyAddresses
  readonly interfaces: TopologyInterfaces
  readonly ipv6: boolean
  /** Runs `file args` inside namespace `ns` and waits for it. */
  exec (ns: string, file: string, args?: readonly string[], options?: ExecOptions): Promise<ExecResult>
  /** Starts `file args` inside namespace `ns`; the topology stops it at destroy. */
  spawn (ns: string, file: string, args?: readonly string[], options?: SpawnOptions): SpawnedProcess
  /** Every process spawned through this topology, in start order. */
  processes (): readonly SpawnedProcess[]
  /** Stops every process, kills any other left in the namespaces, deletes them. Idempotent. */
  destroy (): Promise<void>
}

const OUTPUT_LIMIT = 64 * 1024
const LINE_HISTORY = 2000
const COMMAND_TIMEOUT_MS = 15_000
const PEER_INTERFACE = 'eth0'
const LB_CLIENT_INTERFACE = 'to-client'

let topologyCount = 0
const live = new Set<SyncCleanup>()

/** Something the exit and signal hooks must remove synchronously (a topology, or another set of namespaces). */
export interface SyncCleanup {
  destroySync (): void
}

/** A spawned process that can also be killed synchronously (from an exit hook). */
export interface TrackedProcess extends SpawnedProcess {
  killSync (): void
}

/** Runs `file args` in namespace `ns` and waits for it (`ip netns exec`, no shell). */
export async function execInNamespace (ns: string, file: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
  const result = await execa('ip', ['netns', 'exec', ns, file, ...args], {
    timeout: options.timeoutMs ?? COMMAND_TIMEOUT_MS,
    reject: options.reject ?? true,
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.env === undefined ? {} : { env: options.env })
  })
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, failed: result.failed }
}

/** Starts `file args` in namespace `ns`, for topologies built elsewhere (ha-topology.ts); the caller stops it. */
export function spawnInNamespace (ns: string, file: string, args: readonly string[] = [], options: SpawnOptions = {}): TrackedProcess {
  return new SpawnedProcessImpl(ns, file, args, options)
}

/** Kills every process in namespace `ns` (bounded), then deletes it; a namespace already gone is fine. */
export async function removeNamespace (ns: string): Promise<void> {
  if (!(await listNamespaces()).includes(ns)) return
  await killNamespaceProcesses(ns)
  await execa('ip', ['netns', 'del', ns], { timeout: COMMAND_TIMEOUT_MS, reject: false })
}

/** The synchronous last resort for namespaces in `names`: SIGKILL what runs in them, delete them. */
export function removeNamespacesSync (names: readonly string[]): void {
  for (const ns of names) {
    for (const pid of syncNamespacePids(ns)) killQuietly(pid, 'SIGKILL')
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 })
    } catch {
      // Absent already, or never made: nothing to remove.
    }
  }
}

/** Registers `item` with the exit and signal hooks until unregisterCleanup. */
export function registerCleanup (item: SyncCleanup): void {
  register(item)
}

export function unregisterCleanup (item: SyncCleanup): void {
  unregister(item)
}

/** Builds a topology; on any failure removes what it made and rethrows. */
export async function createTopology (options: TopologyOptions): Promise<Topology> {
  const backends = options.backends
  const clientCount = options.clientAddresses ?? 1
  if (!Number.isInteger(backends) || backends < 1 || backends > 250) {
    throw new Error(`backends must be an integer 1..250, got ${String(backends)}`)
  }
  if (!Number.isInteger(clientCount) || clientCount < 1 || clientCount > 200) {
    throw new Error(`clientAddresses must be an integer 1..200, got ${String(clientCount)}`)
  }
  if (options.sweep ?? true) {
    // A leftover that will not go is worth a warning, not a failed test.
    await sweepStaleNamespaces().catch((error: unknown) => process.emitWarning(`sweeping stale test namespaces: ${(error as Error).message}`))
  }

  topologyCount += 1
  const topology = new TopologyImpl(topologyCount, backends, clientCount, options.ipv6 ?? false)
  try {
    await topology.build()
  } catch (error) {
    await topology.destroy().catch(() => {})
    throw new Error(`could not build the test topology: ${(error as Error).message}`, { cause: error })
  }
  return topology
}

/**
 * Removes namespaces named `l3lbt-<run>-<pid>-...` whose owning pid is no longer
 * alive, with any process still inside them. Returns the names removed.
 */
export async function sweepStaleNamespaces (prefix: string = NAME_PREFIX): Promise<string[]> {
  if (!prefix.startsWith(NAME_PREFIX)) {
    throw new Error(`sweep prefix must start with '${NAME_PREFIX}', got '${prefix}'`)
  }
  const listed = await execa('ip', ['netns', 'list'], { timeout: COMMAND_TIMEOUT_MS })
  const stale = parseNetnsList(listed.stdout).filter((name) => {
    if (!name.startsWith(prefix)) return false
    const owner = parseNamespaceName(name)
    return owner !== undefined && owner.pid !== process.pid && !isPidAlive(owner.pid)
  })
  for (const name of stale) {
    await killNamespaceProcesses(name)
    await execa('ip', ['netns', 'del', name], { timeout: COMMAND_TIMEOUT_MS, reject: false })
  }
  return stale
}

/** The namespace names in `ip netns list` output ("name (id: 3)" or "name"). */
export function parseNetnsList (text: string): string[] {
  return text.split('\n').map((line) => line.trim().split(/\s+/)[0] ?? '').filter((name) => name !== '')
}

/** Names of every namespace on the host now. */
export async function listNamespaces (): Promise<string[]> {
  const listed = await execa('ip', ['netns', 'list'], { timeout: COMMAND_TIMEOUT_MS })
  return parseNetnsList(listed.stdout)
}

class TopologyImpl implements Topology {
  readonly names: TopologyNames
  readonly addresses: TopologyAddresses
  readonly interfaces: TopologyInterfaces
  readonly ipv6: boolean
  readonly #spawned: SpawnedProcessImpl[] = []
  #destroying: Promise<void> | undefined

  constructor (index: number, backends: number, clientCount: number, ipv6: boolean) {
    this.ipv6 = ipv6
    const numbers = Array.from({ length: backends }, (_, i) => i + 1)
    const clientHosts = [2, ...Array.from({ length: clientCount - 1 }, (_, i) => 10 + i)]
    this.names = {
      client: namespaceName(index, 'client'),
      lb: namespaceName(index, 'lb'),
      backends: numbers.map((n) => namespaceName(index, `be${n}`))
    }
    this.interfaces = {
      lbClientSide: interfaceName(LB_CLIENT_INTERFACE),
      lbBackendSide: numbers.map((n) => interfaceName(`to-be${n}`)),
      peer: interfaceName(PEER_INTERFACE)
    }
    // IPv6 mirrors IPv4 digit for digit, in the fourth group so it stays inside
    // fd00:1b::/48: 198.18.3.2 is fd00:1b:0:3::2.
    this.addresses = {
      lbClientSide: '198.18.0.1',
      lbClientSide6: ipv6 ? 'fd00:1b::1' : undefined,
      client: clientHosts.map((h) => `198.18.0.${h}`),
      client6: ipv6 ? clientHosts.map((h) => `fd00:1b::${h}`) : [],
      lbBackendSide: numbers.map((n) => `198.18.${n}.1`),
      lbBackendSide6: ipv6 ? numbers.map((n) => `fd00:1b:0:${n}::1`) : [],
      backends: numbers.map((n) => `198.18.${n}.2`),
      backends6: ipv6 ? numbers.map((n) => `fd00:1b:0:${n}::2`) : []
    }
  }

  allNamespaces (): string[] {
    return [this.names.client, this.names.lb, ...this.names.backends]
  }

  async build (): Promise<void> {
    register(this)
    const { names, addresses, interfaces } = this
    for (const ns of this.allNamespaces()) {
      await ip(['netns', 'add', ns])
      await ip(['-n', ns, 'link', 'set', 'lo', 'up'])
    }

    // Client link: both ends are created inside namespaces, never in the host's.
    await ip(['-n', names.lb, 'link', 'add', interfaces.lbClientSide, 'type', 'veth', 'peer', 'name', interfaces.peer, 'netns', names.client])
    await linkUp(names.lb, interfaces.lbClientSide)
    await linkUp(names.client, interfaces.peer)
    await ip(['-n', names.lb, 'addr', 'add', `${addresses.lbClientSide}/24`, 'dev', interfaces.lbClientSide])
    for (const address of addresses.client) {
      await ip(['-n', names.client, 'addr', 'add', `${address}/24`, 'dev', interfaces.peer])
    }
    await ip(['-n', names.client, 'route', 'add', '198.18.0.0/15', 'via', addresses.lbClientSide])
    if (this.ipv6) {
      await ip(['-n', names.lb, '-6', 'addr', 'add', `${addresses.lbClientSide6 ?? ''}/64`, 'dev', interfaces.lbClientSide, 'nodad'])
      for (const address of addresses.client6) {
        await ip(['-n', names.client, '-6', 'addr', 'add', `${address}/64`, 'dev', interfaces.peer, 'nodad'])
      }
      await ip(['-n', names.client, '-6', 'route', 'add', 'fd00:1b::/48', 'via', addresses.lbClientSide6 ?? ''])
    }

    // Each back end's link is independent of the others: build them side by side.
    await Promise.all(names.backends.map(async (ns, i) => {
      const lbSide = interfaces.lbBackendSide[i] ?? ''
      await ip(['-n', names.lb, 'link', 'add', lbSide, 'type', 'veth', 'peer', 'name', interfaces.peer, 'netns', ns])
      await linkUp(names.lb, lbSide)
      await linkUp(ns, interfaces.peer)
      await ip(['-n', names.lb, 'addr', 'add', `${addresses.lbBackendSide[i] ?? ''}/24`, 'dev', lbSide])
      await ip(['-n', ns, 'addr', 'add', `${addresses.backends[i] ?? ''}/24`, 'dev', interfaces.peer])
      // A default route via lb lets replies to any client (DNAT keeps its source) go back.
      await ip(['-n', ns, 'route', 'add', 'default', 'via', addresses.lbBackendSide[i] ?? ''])
      if (this.ipv6) {
        await ip(['-n', names.lb, '-6', 'addr', 'add', `${addresses.lbBackendSide6[i] ?? ''}/64`, 'dev', lbSide, 'nodad'])
        await ip(['-n', ns, '-6', 'addr', 'add', `${addresses.backends6[i] ?? ''}/64`, 'dev', interfaces.peer, 'nodad'])
        await ip(['-n', ns, '-6', 'route', 'add', 'default', 'via', addresses.lbBackendSide6[i] ?? ''])
      }
    }))

    // Forwarding only inside lb; the host's own sysctls are never touched.
    await this.exec(names.lb, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1'])
    if (this.ipv6) await this.exec(names.lb, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.forwarding=1'])
  }

  async exec (ns: string, file: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
    this.#checkNamespace(ns)
    return await execInNamespace(ns, file, args, options)
  }

  spawn (ns: string, file: string, args: readonly string[] = [], options: SpawnOptions = {}): SpawnedProcess {
    this.#checkNamespace(ns)
    const spawned = new SpawnedProcessImpl(ns, file, args, options)
    this.#spawned.push(spawned)
    return spawned
  }

  processes (): readonly SpawnedProcess[] {
    return [...this.#spawned]
  }

  destroy (): Promise<void> {
    this.#destroying ??= this.#teardown()
    return this.#destroying
  }

  async #teardown (): Promise<void> {
    try {
      await Promise.all(this.#spawned.map((p) => p.stop().catch(() => {})))
      const present = new Set(await listNamespaces())
      for (const ns of this.allNamespaces()) {
        if (!present.has(ns)) continue
        await killNamespaceProcesses(ns)
        await execa('ip', ['netns', 'del', ns], { timeout: COMMAND_TIMEOUT_MS, reject: false })
      }
      const remaining = (await listNamespaces()).filter((ns) => this.allNamespaces().includes(ns))
      if (remaining.length > 0) throw new Error(`namespaces still present after destroy: ${remaining.join(', ')}`)
    } finally {
      unregister(this)
    }
  }

  /** Synchronous last-resort cleanup for the exit and signal hooks. */
  destroySync (): void {
    for (const p of this.#spawned) p.killSync()
    for (const ns of this.allNamespaces()) {
      for (const pid of syncNamespacePids(ns)) killQuietly(pid, 'SIGKILL')
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 })
      } catch {
        // Absent already, or never made: nothing to remove.
      }
    }
    live.delete(this)
  }

  #checkNamespace (ns: string): void {
    if (this.#destroying !== undefined) throw new Error(`topology is destroyed; cannot run in '${ns}'`)
    if (!this.allNamespaces().includes(ns)) {
      throw new Error(`namespace '${ns}' is not part of this topology (${this.allNamespaces().join(', ')})`)
    }
  }
}

class SpawnedProcessImpl implements SpawnedProcess {
  readonly namespace: string
  readonly pid: number
  readonly stdin: Writable | null
  readonly exited: Promise<ExitStatus>
  readonly #subprocess
  readonly #lines: string[] = []
  readonly #listeners = new Set<(line: string) => void>()
  readonly #partial = { stdout: '', stderr: '' }
  #output = ''
  #done = false

  constructor (ns: string, file: string, args: readonly string[], options: SpawnOptions) {
    this.namespace = ns
    this.#subprocess = execa('ip', ['netns', 'exec', ns, file, ...args], {
      stdin: options.stdin ?? 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      forceKillAfterDelay: false,
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd })
    })
    if (this.#subprocess.pid === undefined) throw new Error(`could not start '${file}' in '${ns}'`)
    this.pid = this.#subprocess.pid
    this.stdin = this.#subprocess.stdin
    this.#subprocess.stdout.setEncoding('utf8')
    this.#subprocess.stderr.setEncoding('utf8')
    this.#subprocess.stdout.on('data', (chunk: string) => this.#onOutput('stdout', chunk))
    this.#subprocess.stderr.on('data', (chunk: string) => this.#onOutput('stderr', chunk))
    this.exited = this.#subprocess.then((result) => {
      this.#done = true
      return { exitCode: result.exitCode, signal: result.signal }
    })
  }

  hasExited (): boolean {
    return this.#done
  }

  output (): string {
    return this.#output
  }

  onLine (listener: (line: string) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  waitForLine (match: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const matches = (line: string): boolean => typeof match === 'string' ? line === match : match.test(line)
    const seen = this.#lines.find(matches)
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      let settled = false
      const finish = (error: Error | undefined, line?: string): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        unsubscribe()
        if (error === undefined) resolve(line ?? '')
        else reject(error)
      }
      const timer = setTimeout(() => {
        finish(new Error(`expected a line matching ${String(match)} from pid ${this.pid} within ${timeoutMs} ms; output so far:\n${this.#output}`))
      }, timeoutMs)
      const unsubscribe = this.onLine((line) => { if (matches(line)) finish(undefined, line) })
      this.exited.then((status) => {
        finish(new Error(`expected a line matching ${String(match)} but pid ${this.pid} exited (code ${String(status.exitCode)}, signal ${String(status.signal)}); output:\n${this.#output}`))
      }, () => {})
    })
  }

  async stop (timeoutMs = 3000): Promise<ExitStatus> {
    if (this.#done) return await this.exited
    killQuietly(this.pid, 'SIGTERM')
    if (await settlesWithin(this.exited, timeoutMs)) return await this.exited
    killQuietly(this.pid, 'SIGKILL')
    if (await settlesWithin(this.exited, 3000)) return await this.exited
    throw new Error(`pid ${this.pid} in '${this.namespace}' did not exit after SIGKILL`)
  }

  killSync (): void {
    if (!this.#done) killQuietly(this.pid, 'SIGKILL')
  }

  // lines of both streams are seen: a daemon logs to stderr, a test program prints to stdout
  #onOutput (stream: 'stdout' | 'stderr', chunk: string): void {
    this.#record(chunk)
    const parts = (this.#partial[stream] + chunk).split('\n')
    this.#partial[stream] = parts.pop() ?? ''
    for (const line of parts) {
      this.#lines.push(line)
      if (this.#lines.length > LINE_HISTORY) this.#lines.shift()
      for (const listener of this.#listeners) listener(line)
    }
  }

  #record (chunk: string): void {
    this.#output = (this.#output + chunk).slice(-OUTPUT_LIMIT)
  }
}

async function ip (args: string[]): Promise<void> {
  try {
    await execa('ip', args, { timeout: COMMAND_TIMEOUT_MS })
  } catch (error) {
    throw new Error(`'ip ${args.join(' ')}' failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`, { cause: error })
  }
}

async function linkUp (ns: string, link: string): Promise<void> {
  await ip(['-n', ns, 'link', 'set', link, 'up'])
}

/** SIGKILLs every process in namespace `ns` and waits (bounded) until none is left. */
async function killNamespaceProcesses (ns: string): Promise<void> {
  const deadline = Date.now() + 5000
  for (let attempt = 0; attempt < 100 && Date.now() < deadline; attempt++) {
    const pids = await namespacePids(ns)
    if (pids.length === 0) return
    for (const pid of pids) killQuietly(pid, 'SIGKILL')
    await sleep(50)
  }
  throw new Error(`processes still running in namespace '${ns}': ${(await namespacePids(ns)).join(', ')}`)
}

async function namespacePids (ns: string): Promise<number[]> {
  const result = await execa('ip', ['netns', 'pids', ns], { timeout: COMMAND_TIMEOUT_MS, reject: false })
  return result.failed ? [] : parsePids(result.stdout)
}

function syncNamespacePids (ns: string): number[] {
  try {
    return parsePids(execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }))
  } catch {
    return []
  }
}

function parsePids (text: string): number[] {
  return text.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number).filter((pid) => pid !== process.pid)
}

function killQuietly (pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // Already gone.
  }
}

async function settlesWithin (promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms) })
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// Signal handlers replace Node's default exit, so they are installed only while a topology lives.
function register (topology: SyncCleanup): void {
  if (live.size === 0) {
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }
  live.add(topology)
}

function unregister (topology: SyncCleanup): void {
  live.delete(topology)
  if (live.size === 0) {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

function destroyAllSync (): void {
  for (const topology of [...live]) topology.destroySync()
}

function onSignal (signal: NodeJS.Signals): void {
  destroyAllSync()
  process.exit(signal === 'SIGINT' ? 130 : 143)
}

// 'exit' listeners must be synchronous: a crashed or exiting test still removes its namespaces.
process.on('exit', destroyAllSync)
