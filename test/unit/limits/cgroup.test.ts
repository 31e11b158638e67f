import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cgroupDirs, locateController, parseCgroupMounts, parseProcCgroup, smallestLimit } from '../../../src/limits/cgroup.js'
import {
  MOUNTINFO_NO_CGROUP, MOUNTINFO_V1, MOUNTINFO_V1_DOCKER, MOUNTINFO_V2,
  PROC_CGROUP_V1, PROC_CGROUP_V1_DOCKER, PROC_CGROUP_V2
} from './samples.js'

test('parseCgroupMounts finds v1 hierarchies with their controllers and the v2 one', () => {
  const mounts = parseCgroupMounts(MOUNTINFO_V1)
  assert.deepEqual(mounts.find((mount) => mount.mountPoint === '/sys/fs/cgroup/memory'),
    { version: 1, root: '/', mountPoint: '/sys/fs/cgroup/memory', controllers: ['rw', 'memory'] })
  assert.deepEqual(mounts.find((mount) => mount.version === 2),
    { version: 2, root: '/', mountPoint: '/sys/fs/cgroup/unified', controllers: [] })
  assert.equal(mounts.length, 6)
})

test('parseCgroupMounts skips other file systems and decodes octal escapes', () => {
  assert.deepEqual(parseCgroupMounts(MOUNTINFO_NO_CGROUP), [])
  const [mount] = parseCgroupMounts('50 1 0:40 / /srv/my\\040cgroups rw - cgroup2 none rw\n')
  assert.equal(mount?.mountPoint, '/srv/my cgroups')
})

test('parseProcCgroup reads v1 controller lists and the v2 line', () => {
  const memberships = parseProcCgroup(PROC_CGROUP_V1 + PROC_CGROUP_V1_DOCKER)
  assert.deepEqual(memberships.find((member) => member.controllers.includes('memory')),
    { version: 1, controllers: ['memory'], path: '/process_api/95ce036df762ad0c669be10f6a92aa50' })
  assert.deepEqual(memberships.find((member) => member.controllers.includes('cpuacct') && member.controllers.includes('cpu')),
    { version: 1, controllers: ['cpu', 'cpuacct'], path: '/docker/0123abcd' })
  assert.deepEqual(parseProcCgroup(PROC_CGROUP_V2), [{ version: 2, controllers: [], path: '/system.slice/l3lb.service' }])
})

test('cgroupDirs lists the own cgroup then each ancestor up to the mount point', () => {
  const mount = { version: 1 as const, root: '/', mountPoint: '/sys/fs/cgroup/memory', controllers: ['memory'] }
  assert.deepEqual(cgroupDirs(mount, '/process_api/abc'), [
    '/sys/fs/cgroup/memory/process_api/abc', '/sys/fs/cgroup/memory/process_api', '/sys/fs/cgroup/memory'
  ])
  assert.deepEqual(cgroupDirs(mount, '/'), ['/sys/fs/cgroup/memory'])
})

test('cgroupDirs strips a mount root that the cgroup path starts with', () => {
  const mount = { version: 1 as const, root: '/docker/0123abcd', mountPoint: '/sys/fs/cgroup/memory', controllers: ['memory'] }
  assert.deepEqual(cgroupDirs(mount, '/docker/0123abcd'), ['/sys/fs/cgroup/memory'])
  assert.deepEqual(cgroupDirs(mount, '/docker/0123abcd/child'), ['/sys/fs/cgroup/memory/child', '/sys/fs/cgroup/memory'])
})

test('cgroupDirs keeps only the mount point for a path outside the namespace', () => {
  const mount = { version: 2 as const, root: '/', mountPoint: '/sys/fs/cgroup', controllers: [] }
  assert.deepEqual(cgroupDirs(mount, '/../../user.slice'), ['/sys/fs/cgroup'])
})

test('locateController prefers the v1 hierarchy that carries the controller', () => {
  assert.deepEqual(locateController(MOUNTINFO_V1, PROC_CGROUP_V1, 'memory'), {
    version: 1,
    mountPoint: '/sys/fs/cgroup/memory',
    dirs: ['/sys/fs/cgroup/memory/process_api/95ce036df762ad0c669be10f6a92aa50', '/sys/fs/cgroup/memory/process_api', '/sys/fs/cgroup/memory']
  })
  assert.deepEqual(locateController(MOUNTINFO_V1, PROC_CGROUP_V1, 'cpu'),
    { version: 1, mountPoint: '/sys/fs/cgroup/cpu', dirs: ['/sys/fs/cgroup/cpu'] })
})

test('locateController finds cpu co-mounted with cpuacct in a container', () => {
  assert.deepEqual(locateController(MOUNTINFO_V1_DOCKER, PROC_CGROUP_V1_DOCKER, 'cpu'),
    { version: 1, mountPoint: '/sys/fs/cgroup/cpu,cpuacct', dirs: ['/sys/fs/cgroup/cpu,cpuacct'] })
})

test('locateController falls to v2 when no v1 hierarchy carries the controller', () => {
  assert.deepEqual(locateController(MOUNTINFO_V2, PROC_CGROUP_V2, 'memory'), {
    version: 2,
    mountPoint: '/sys/fs/cgroup',
    dirs: ['/sys/fs/cgroup/system.slice/l3lb.service', '/sys/fs/cgroup/system.slice', '/sys/fs/cgroup']
  })
})

test('locateController gives null without any cgroup mount', () => {
  assert.equal(locateController(MOUNTINFO_NO_CGROUP, PROC_CGROUP_V2, 'memory'), null)
  assert.equal(locateController(MOUNTINFO_V1, '', 'memory'), null)
})

test('smallestLimit takes the tightest level and null when none limits', () => {
  assert.equal(smallestLimit([null, 512, null, 256, 1024]), 256)
  assert.equal(smallestLimit([null, null]), null)
  assert.equal(smallestLimit([]), null)
})
