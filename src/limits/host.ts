/**
 * Reads the host facts the limits come from: /proc and the cgroup file system. The
 * parsing is in cgroup.ts, memory.ts, cpus.ts and descriptors.ts; this file only reads.
 * Synchronously: these files are the kernel's own text, made when read, in microseconds,
 * where each asynchronous read was four hops through libuv's pool and their twenty-odd
 * reads took 2-14 ms of a management API call at 256 services (the PUT aim, SPEC §13).
 */
import { readFileSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { L3lbError } from '../errors.js'
import type { HostFacts } from './model.js'
import { locateController, smallestLimit, type ControllerLocation } from './cgroup.js'
import { parseMemTotal, parseV1MemoryLimit, parseV2MemoryMax } from './memory.js'
import { parseAffinityCpus, parseV1CpuQuota, parseV2CpuMax } from './cpus.js'
import { parseNofileHardLimit } from './descriptors.js'

/** Where the host's files are; tests point `root` at a folder laid out like `/`. */
export interface HostPaths {
  readonly root: string
}

export const DEFAULT_HOST_PATHS: HostPaths = Object.freeze({ root: '/' })

const MEMORY_UNKNOWN = 'could not determine appliance memory settings'
const CPUS_UNKNOWN = 'could not determine the number of available CPUs'

function isMissing (error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

function readText (path: string): string {
  return readFileSync(path, 'utf8')
}

// a cgroup level without the file (the root has no memory.max) does not limit
function readOptional (path: string): string | null {
  try {
    return readText(path)
  } catch (error) {
    if (isMissing(error)) return null
    throw error
  }
}

function isDirectory (path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch (error) {
    if (isMissing(error)) return false
    throw error
  }
}

// Rewrites an error from reading as the L3lbError `code`, keeping it as the cause.
function rethrowAs (code: 'L3LB_MEMORY_UNKNOWN' | 'L3LB_CPUS_UNKNOWN', what: string, doing: string, error: unknown): never {
  if (error instanceof L3lbError) throw error
  const detail = error instanceof Error ? error.message : String(error)
  throw new L3lbError(code, `${what}: ${doing}: ${detail}`, { cause: error })
}

// the process's own cgroup directory and its ancestors; the mount root alone when the
// own path is not visible under the mount (a cgroup namespace, or a container's view)
function visibleDirs (root: string, location: ControllerLocation): string[] {
  const own = location.dirs[0]
  if (own !== undefined && isDirectory(join(root, own))) return location.dirs.map((dir) => join(root, dir))
  return [join(root, location.mountPoint)]
}

/** A file's text read once, when first asked for: mountinfo serves both controllers, and is long on a host of many mounts. */
type ReadOnce = () => string

function readOnce (path: string): ReadOnce {
  let text: string | undefined
  return () => (text ??= readText(path))
}

/** The process's mount table and cgroup membership, each read once for every controller. */
interface ProcTexts {
  readonly mountinfo: ReadOnce
  readonly cgroup: ReadOnce
}

function locate (proc: ProcTexts, controller: string): ControllerLocation | null {
  return locateController(proc.mountinfo(), proc.cgroup(), controller)
}

function readCgroupMemory (root: string, proc: ProcTexts): number | null {
  const location = locate(proc, 'memory')
  if (location === null) return null
  const limits: Array<number | null> = []
  for (const dir of visibleDirs(root, location)) {
    const file = location.version === 1 ? 'memory.limit_in_bytes' : 'memory.max'
    const text = readOptional(join(dir, file))
    if (text === null) continue
    limits.push(location.version === 1 ? parseV1MemoryLimit(text) : parseV2MemoryMax(text))
  }
  return smallestLimit(limits)
}

function readCgroupCpuQuota (root: string, proc: ProcTexts): number | null {
  const location = locate(proc, 'cpu')
  if (location === null) return null
  const quotas: Array<number | null> = []
  for (const dir of visibleDirs(root, location)) {
    if (location.version === 1) {
      const quota = readOptional(join(dir, 'cpu.cfs_quota_us'))
      const period = readOptional(join(dir, 'cpu.cfs_period_us'))
      if (quota !== null && period !== null) quotas.push(parseV1CpuQuota(quota, period))
    } else {
      const max = readOptional(join(dir, 'cpu.max'))
      if (max !== null) quotas.push(parseV2CpuMax(max))
    }
  }
  return smallestLimit(quotas)
}

function readMemoryFacts (root: string, proc: ProcTexts): Pick<HostFacts, 'physicalMemoryBytes' | 'cgroupMemoryBytes'> {
  let physicalMemoryBytes: number
  try {
    physicalMemoryBytes = parseMemTotal(readText(join(root, 'proc/meminfo')))
  } catch (error) {
    rethrowAs('L3LB_MEMORY_UNKNOWN', MEMORY_UNKNOWN, 'reading physical memory from /proc/meminfo', error)
  }
  try {
    return { physicalMemoryBytes, cgroupMemoryBytes: readCgroupMemory(root, proc) }
  } catch (error) {
    rethrowAs('L3LB_MEMORY_UNKNOWN', MEMORY_UNKNOWN, 'reading the cgroup memory limit', error)
  }
}

function readCpuFacts (root: string, proc: ProcTexts): Pick<HostFacts, 'affinityCpus' | 'cgroupCpuQuota'> {
  try {
    const status = readOptional(join(root, 'proc/self/status'))
    const affinityCpus = (status === null ? null : parseAffinityCpus(status)) ?? availableParallelism()
    return { affinityCpus, cgroupCpuQuota: readCgroupCpuQuota(root, proc) }
  } catch (error) {
    rethrowAs('L3LB_CPUS_UNKNOWN', CPUS_UNKNOWN, 'reading the CPU affinity and cgroup quota', error)
  }
}

function readDescriptorHardLimit (root: string): number {
  let limits: string
  try {
    limits = readText(join(root, 'proc/self/limits'))
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    throw new L3lbError('L3LB_START_FAILED', `could not determine the file-descriptor limit: ${detail}`, { cause: error })
  }
  return parseNofileHardLimit(limits)
}

/** Reads physical and cgroup memory, affinity CPUs and CPU quota, and the descriptor hard limit. */
export async function readHostFacts (paths: HostPaths = DEFAULT_HOST_PATHS): Promise<HostFacts> {
  const proc = { mountinfo: readOnce(join(paths.root, 'proc/self/mountinfo')), cgroup: readOnce(join(paths.root, 'proc/self/cgroup')) }
  const memory = readMemoryFacts(paths.root, proc)
  const cpus = readCpuFacts(paths.root, proc)
  const fileDescriptorHardLimit = readDescriptorHardLimit(paths.root)
  return Object.freeze({ ...memory, ...cpus, fileDescriptorHardLimit })
}
