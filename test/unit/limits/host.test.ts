import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { isL3lbError } from '../../../src/errors.js'
import { readHostFacts } from '../../../src/limits/host.js'
import {
  LIMITS, MEMINFO, MOUNTINFO_NO_CGROUP, MOUNTINFO_V1, MOUNTINFO_V2,
  PROC_CGROUP_V1, PROC_CGROUP_V2, STATUS, V1_NO_LIMIT
} from './samples.js'

const OWN_V1 = 'sys/fs/cgroup/memory/process_api/95ce036df762ad0c669be10f6a92aa50'
const PHYSICAL = 24684084 * 1024

// Lays out `files` (path relative to the root -> text) in a fresh folder, runs `check`, removes it.
async function withHost (files: Record<string, string>, check: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'l3lb-host-'))
  try {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true })
      await writeFile(join(root, path), text)
    }
    await check(root)
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

const PROC = {
  'proc/meminfo': MEMINFO,
  'proc/self/status': STATUS,
  'proc/self/limits': LIMITS
}

const V1_PROC = { ...PROC, 'proc/self/mountinfo': MOUNTINFO_V1, 'proc/self/cgroup': PROC_CGROUP_V1 }

test('v1: reads every fact, the tightest memory limit on the own cgroup and its ancestors', async () => {
  await withHost({
    ...V1_PROC,
    'sys/fs/cgroup/memory/memory.limit_in_bytes': V1_NO_LIMIT,
    'sys/fs/cgroup/memory/process_api/memory.limit_in_bytes': '2147483648\n',
    [`${OWN_V1}/memory.limit_in_bytes`]: '4294967296\n',
    'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '150000\n',
    'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n'
  }, async (root) => {
    assert.deepEqual(await readHostFacts({ root }), {
      physicalMemoryBytes: PHYSICAL,
      cgroupMemoryBytes: 2147483648,
      affinityCpus: 2,
      cgroupCpuQuota: 1.5,
      fileDescriptorHardLimit: 20000
    })
  })
})

test('v1 with no limit anywhere gives null memory and quota', async () => {
  await withHost({
    ...V1_PROC,
    'sys/fs/cgroup/memory/memory.limit_in_bytes': V1_NO_LIMIT,
    [`${OWN_V1}/memory.limit_in_bytes`]: V1_NO_LIMIT,
    'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
    'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n'
  }, async (root) => {
    const facts = await readHostFacts({ root })
    assert.equal(facts.cgroupMemoryBytes, null)
    assert.equal(facts.cgroupCpuQuota, null)
  })
})

test('v1 namespaced: the own path is not under the mount, so the mount root is read', async () => {
  await withHost({
    ...V1_PROC,
    'sys/fs/cgroup/memory/memory.limit_in_bytes': '1073741824\n',
    // a cgroup of the same name elsewhere in the tree must not be taken for ours
    'sys/fs/cgroup/memory/process_api/memory.limit_in_bytes': '134217728\n'
  }, async (root) => {
    assert.equal((await readHostFacts({ root })).cgroupMemoryBytes, 1073741824)
  })
})

test('v2: memory.max and cpu.max of the own cgroup and its ancestors', async () => {
  await withHost({
    ...PROC,
    'proc/self/mountinfo': MOUNTINFO_V2,
    'proc/self/cgroup': PROC_CGROUP_V2,
    'sys/fs/cgroup/system.slice/memory.max': 'max\n',
    'sys/fs/cgroup/system.slice/cpu.max': 'max 100000\n',
    'sys/fs/cgroup/system.slice/l3lb.service/memory.max': '536870912\n',
    'sys/fs/cgroup/system.slice/l3lb.service/cpu.max': '50000 100000\n'
  }, async (root) => {
    const facts = await readHostFacts({ root })
    assert.equal(facts.cgroupMemoryBytes, 536870912)
    assert.equal(facts.cgroupCpuQuota, 0.5)
  })
})

test('v2 without the memory and cpu controllers (no memory.max, no cpu.max) has no limits', async () => {
  await withHost({
    ...PROC,
    'proc/self/mountinfo': MOUNTINFO_V2,
    'proc/self/cgroup': PROC_CGROUP_V2,
    'sys/fs/cgroup/system.slice/l3lb.service/cgroup.procs': '1\n'
  }, async (root) => {
    const facts = await readHostFacts({ root })
    assert.equal(facts.cgroupMemoryBytes, null)
    assert.equal(facts.cgroupCpuQuota, null)
  })
})

test('no cgroup file system: no cgroup limits', async () => {
  await withHost({ ...PROC, 'proc/self/mountinfo': MOUNTINFO_NO_CGROUP, 'proc/self/cgroup': PROC_CGROUP_V2 }, async (root) => {
    const facts = await readHostFacts({ root })
    assert.equal(facts.physicalMemoryBytes, PHYSICAL)
    assert.equal(facts.cgroupMemoryBytes, null)
  })
})

test('without Cpus_allowed_list the CPUs are os.availableParallelism()', async () => {
  await withHost({
    ...PROC,
    'proc/self/status': 'Name:\tcat\n',
    'proc/self/mountinfo': MOUNTINFO_NO_CGROUP,
    'proc/self/cgroup': ''
  }, async (root) => {
    assert.equal((await readHostFacts({ root })).affinityCpus, availableParallelism())
  })
})

test('no /proc/meminfo: could not determine appliance memory settings, with the cause', async () => {
  await withHost({ 'proc/self/status': STATUS, 'proc/self/limits': LIMITS }, async (root) => {
    await assert.rejects(readHostFacts({ root }), (error: unknown) =>
      isL3lbError(error, 'L3LB_MEMORY_UNKNOWN') &&
      error.message.startsWith('could not determine appliance memory settings: reading physical memory from /proc/meminfo: ENOENT') &&
      error.cause instanceof Error)
  })
})

test('an unreadable memory limit: could not determine appliance memory settings', async () => {
  await withHost({ ...V1_PROC, [`${OWN_V1}/memory.limit_in_bytes`]: 'garbage\n' }, async (root) => {
    await assert.rejects(readHostFacts({ root }), (error: unknown) =>
      isL3lbError(error, 'L3LB_MEMORY_UNKNOWN') && error.message.includes('"garbage"'))
  })
})

test('a bad cpu.max: could not determine the number of available CPUs', async () => {
  await withHost({
    ...PROC,
    'proc/self/mountinfo': MOUNTINFO_V2,
    'proc/self/cgroup': PROC_CGROUP_V2,
    'sys/fs/cgroup/system.slice/l3lb.service/cpu.max': 'half\n'
  }, async (root) => {
    await assert.rejects(readHostFacts({ root }), (error: unknown) =>
      isL3lbError(error, 'L3LB_CPUS_UNKNOWN') &&
      error.message === 'could not determine the number of available CPUs: cpu.max holds "half", expected "max 100000" or "<quota> <period>"')
  })
})

test('no /proc/self/limits: the descriptor limit is an error that says so', async () => {
  await withHost({ 'proc/meminfo': MEMINFO, 'proc/self/status': STATUS, 'proc/self/mountinfo': '', 'proc/self/cgroup': '' }, async (root) => {
    await assert.rejects(readHostFacts({ root }), (error: unknown) =>
      isL3lbError(error, 'L3LB_START_FAILED') && error.message.startsWith('could not determine the file-descriptor limit'))
  })
})
