// readHostFacts on this host, checked against what Node and the shell report.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises'
import { availableParallelism, totalmem } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { locateController } from '../../../src/limits/cgroup.js'
import { readHostFacts } from '../../../src/limits/host.js'
import type { HostFacts } from '../../../src/limits/model.js'

test('physical memory is what the kernel reports to Node', async () => {
  assert.equal((await readHostFacts()).physicalMemoryBytes, totalmem())
})

test('the affinity CPUs are what Node may run on', async () => {
  assert.equal((await readHostFacts()).affinityCpus, availableParallelism())
})

test('the descriptor hard limit is the shell\'s ulimit -Hn', async () => {
  const { stdout } = await execa('sh', ['-c', 'ulimit -Hn'])
  const expected = stdout.trim() === 'unlimited' ? 2 ** 30 : Number(stdout.trim())
  assert.equal((await readHostFacts()).fileDescriptorHardLimit, expected)
})

// Where the process's `controller` hierarchy is mounted, and its cgroup version.
async function hierarchy (controller: string): Promise<{ mountPoint: string, version: 1 | 2 }> {
  const location = locateController(await readFile('/proc/self/mountinfo', 'utf8'), await readFile('/proc/self/cgroup', 'utf8'), controller)
  assert.ok(location !== null, `no cgroup hierarchy carries ${controller} on this host`)
  return location
}

test('a process in a cgroup with a 512 MiB memory limit and a 1.5 CPU quota reads both', async () => {
  const memory = await hierarchy('memory')
  const cpu = await hierarchy('cpu')
  const name = `l3lb-limits-test-${process.pid}`
  const memoryDir = join(memory.mountPoint, name)
  const cpuDir = join(cpu.mountPoint, name)
  const hostModule = new URL('../../../src/limits/host.js', import.meta.url).href
  await mkdir(memoryDir)
  try {
    await mkdir(cpuDir, { recursive: true })
    await writeFile(join(memoryDir, memory.version === 1 ? 'memory.limit_in_bytes' : 'memory.max'), String(512 * 1024 * 1024))
    if (cpu.version === 1) await writeFile(join(cpuDir, 'cpu.cfs_quota_us'), '150000')
    else await writeFile(join(cpuDir, 'cpu.max'), '150000 100000')
    // the shell moves itself into both cgroups, then becomes the Node that reads the facts
    const script = `import('${hostModule}').then(async (host) => console.log(JSON.stringify(await host.readHostFacts())))`
    const { stdout } = await execa('sh', ['-c', 'echo $$ > "$1/cgroup.procs" && echo $$ > "$2/cgroup.procs" && exec "$3" -e "$4"',
      'sh', memoryDir, cpuDir, process.execPath, script])
    const facts = JSON.parse(stdout) as HostFacts
    assert.equal(facts.cgroupMemoryBytes, 512 * 1024 * 1024)
    assert.equal(facts.cgroupCpuQuota, 1.5)
  } finally {
    // on v2 both controllers share one directory
    if (cpuDir !== memoryDir) await rmdir(cpuDir).catch((error: NodeJS.ErrnoException) => { if (error.code !== 'ENOENT') throw error })
    await rmdir(memoryDir)
  }
})
