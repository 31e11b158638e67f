/** Host facts the limits are computed from, read by `host.ts`, given directly in tests. */
export interface HostFacts {
  /** Physical memory in bytes. */
  readonly physicalMemoryBytes: number
  /** The cgroup (v1 or v2) memory limit in bytes, or null when there is none. */
  readonly cgroupMemoryBytes: number | null
  /** CPUs in the process's affinity mask. */
  readonly affinityCpus: number
  /** The cgroup CPU quota in CPUs (quota / period), or null when there is none. */
  readonly cgroupCpuQuota: number | null
  /** The hard RLIMIT_NOFILE the process (and HAProxy, its child) can reach. */
  readonly fileDescriptorHardLimit: number
}

/** What the appliance may use, computed from the host facts and the properties. */
export interface Limits {
  readonly memoryBytes: number
  readonly cpus: number
  /** Sessions the memory allows (the seed's 25 KB a session). */
  readonly memoryMaxConnections: number
  /** Sessions the descriptor limit allows. */
  readonly descriptorMaxConnections: number
  /** What is enforced: the smallest of the two above and the configured max_connections when not 0. */
  readonly maxConnections: number
  readonly nbthread: number
  /** Splice pipes HAProxy may open (`maxpipes`, written when tcp_splice is on). */
  readonly maxPipes: number
  /** HAProxy's ulimit-n: enough descriptors for maxConnections and maxPipes, never above the hard limit. */
  readonly ulimitN: number
}
