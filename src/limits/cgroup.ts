/**
 * Pure parsing of /proc/self/mountinfo and /proc/self/cgroup: where the process's
 * cgroup of one controller lives in the file system (v1 or v2). No file is read here.
 */

/** A mounted cgroup hierarchy, from one line of /proc/self/mountinfo. */
export interface CgroupMount {
  readonly version: 1 | 2
  /** The cgroup the mount shows at its mount point (field 4 of mountinfo). */
  readonly root: string
  readonly mountPoint: string
  /** The v1 controllers on this hierarchy; empty for v2 (its controllers are in cgroup.controllers). */
  readonly controllers: readonly string[]
}

/** One line of /proc/self/cgroup: `hierarchy-id:controllers:path`. */
export interface CgroupMembership {
  readonly version: 1 | 2
  readonly controllers: readonly string[]
  readonly path: string
}

/** Where one controller's files for this process are. */
export interface ControllerLocation {
  readonly version: 1 | 2
  readonly mountPoint: string
  /** The process's own cgroup directory first, then each ancestor up to the mount point. */
  readonly dirs: readonly string[]
}

// mountinfo escapes space, tab, newline and backslash as three octal digits
function unescapeMountPath (path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)))
}

/** The cgroup hierarchies in a /proc/self/mountinfo text. */
export function parseCgroupMounts (mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = []
  for (const line of mountinfo.split('\n')) {
    const fields = line.trim().split(' ')
    const separator = fields.indexOf('-')
    if (separator < 0) continue
    const fsType = fields[separator + 1]
    const root = fields[3]
    const mountPoint = fields[4]
    if (root === undefined || mountPoint === undefined) continue
    if (fsType === 'cgroup2') {
      mounts.push({ version: 2, root: unescapeMountPath(root), mountPoint: unescapeMountPath(mountPoint), controllers: [] })
    } else if (fsType === 'cgroup') {
      const superOptions = (fields[separator + 3] ?? '').split(',')
      mounts.push({ version: 1, root: unescapeMountPath(root), mountPoint: unescapeMountPath(mountPoint), controllers: superOptions })
    }
  }
  return mounts
}

/** The lines of a /proc/self/cgroup text; `0::/path` is the v2 membership. */
export function parseProcCgroup (text: string): CgroupMembership[] {
  const memberships: CgroupMembership[] = []
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim())
    if (match === null) continue
    const [, id, controllers = '', path = ''] = match
    const version = id === '0' && controllers === '' ? 2 : 1
    memberships.push({ version, controllers: controllers === '' ? [] : controllers.split(','), path })
  }
  return memberships
}

/** The directories from `cgroupPath` up to the mount point, deepest first. */
export function cgroupDirs (mount: CgroupMount, cgroupPath: string): string[] {
  let relative = cgroupPath
  if (mount.root !== '/' && (cgroupPath === mount.root || cgroupPath.startsWith(mount.root + '/'))) {
    relative = cgroupPath.slice(mount.root.length)
  }
  const segments = relative.split('/').filter((segment) => segment !== '' && segment !== '.')
  // a path with `..` lies outside this namespace's view: only the mount point is ours to read
  if (segments.includes('..')) return [mount.mountPoint]
  const dirs: string[] = []
  for (let depth = segments.length; depth >= 0; depth--) {
    const tail = segments.slice(0, depth).join('/')
    dirs.push(tail === '' ? mount.mountPoint : `${mount.mountPoint.replace(/\/$/, '')}/${tail}`)
  }
  return dirs
}

/**
 * Where `controller` (`memory`, `cpu`) keeps this process's files: a v1 hierarchy
 * carrying it when there is one, else the v2 hierarchy, else null (no cgroup limits).
 */
export function locateController (mountinfo: string, procCgroup: string, controller: string): ControllerLocation | null {
  const mounts = parseCgroupMounts(mountinfo)
  const memberships = parseProcCgroup(procCgroup)
  const v1Mount = mounts.find((mount) => mount.version === 1 && mount.controllers.includes(controller))
  const v1Member = memberships.find((member) => member.version === 1 && member.controllers.includes(controller))
  if (v1Mount !== undefined && v1Member !== undefined) {
    return { version: 1, mountPoint: v1Mount.mountPoint, dirs: cgroupDirs(v1Mount, v1Member.path) }
  }
  const v2Mount = mounts.find((mount) => mount.version === 2)
  const v2Member = memberships.find((member) => member.version === 2)
  if (v2Mount !== undefined && v2Member !== undefined) {
    return { version: 2, mountPoint: v2Mount.mountPoint, dirs: cgroupDirs(v2Mount, v2Member.path) }
  }
  return null
}

/** The tightest of the limits read on a cgroup's levels (a parent's limit binds its children), null when none limits. */
export function smallestLimit (limits: ReadonlyArray<number | null>): number | null {
  let smallest: number | null = null
  for (const limit of limits) {
    if (limit !== null && (smallest === null || limit < smallest)) smallest = limit
  }
  return smallest
}
