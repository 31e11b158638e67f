/** CPUs: pure parsers of the affinity list and the cgroup CPU quota files. */
import { L3lbError } from '../errors.js'

const WHAT = 'could not determine the number of available CPUs'

function unknown (detail: string): L3lbError {
  return new L3lbError('L3LB_CPUS_UNKNOWN', `${WHAT}: ${detail}`)
}

/** The number of CPUs in a kernel CPU list such as `0-3,8,10-11`. */
export function countCpuList (list: string): number {
  const cpus = new Set<number>()
  for (const part of list.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part)
    if (match?.[1] === undefined) throw unknown(`CPU list "${list.trim()}" is not like 0-3,8`)
    const low = Number(match[1])
    const high = match[2] === undefined ? low : Number(match[2])
    if (high < low) throw unknown(`CPU range "${part}" in "${list.trim()}" runs backwards`)
    for (let cpu = low; cpu <= high; cpu++) cpus.add(cpu)
  }
  return cpus.size
}

/** CPUs in Cpus_allowed_list of a /proc/self/status text, null when the line is absent. */
export function parseAffinityCpus (status: string): number | null {
  const match = /^Cpus_allowed_list:\s*(.*)$/m.exec(status)
  if (match?.[1] === undefined) return null
  return countCpuList(match[1])
}

function parseMicroseconds (text: string, file: string, accepted: string): number {
  const value = text.trim()
  if (!/^-?\d+$/.test(value)) throw unknown(`${file} holds "${value}", expected ${accepted}`)
  return Number(value)
}

/** cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us in CPUs, null for a quota of -1. */
export function parseV1CpuQuota (quotaText: string, periodText: string): number | null {
  const quota = parseMicroseconds(quotaText, 'cpu.cfs_quota_us', 'microseconds or -1')
  if (quota < 0) return null
  const period = parseMicroseconds(periodText, 'cpu.cfs_period_us', 'positive microseconds')
  if (period <= 0) throw unknown(`cpu.cfs_period_us holds "${periodText.trim()}", expected positive microseconds`)
  return quota / period
}

/** cgroup v2 cpu.max (`quota period` or `max period`) in CPUs, null for `max`. */
export function parseV2CpuMax (text: string): number | null {
  const match = /^(max|\d+)(?:\s+(\d+))?$/.exec(text.trim())
  if (match?.[1] === undefined) throw unknown(`cpu.max holds "${text.trim()}", expected "max 100000" or "<quota> <period>"`)
  if (match[1] === 'max') return null
  const period = Number(match[2] ?? '100000')
  if (period <= 0) throw unknown(`cpu.max period in "${text.trim()}" must be positive`)
  return Number(match[1]) / period
}

/** CPUs the process may keep busy: the affinity mask, lowered by the quota rounded up, at least 1. */
export function usableCpus (affinityCpus: number, cgroupCpuQuota: number | null): number {
  const byQuota = cgroupCpuQuota === null ? affinityCpus : Math.ceil(cgroupCpuQuota)
  return Math.max(1, Math.min(affinityCpus, byQuota))
}
