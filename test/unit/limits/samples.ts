// Sample /proc texts: the v1 ones are copied from this project's build machine, the
// v2 ones from a systemd host with the unified hierarchy.

export const MOUNTINFO_V1 = `22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`

export const PROC_CGROUP_V1 = `9:name=systemd:/
8:pids:/
4:memory:/process_api/95ce036df762ad0c669be10f6a92aa50
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`

/** Docker on v1: the mount shows the container's cgroup as its root, and cpu is co-mounted with cpuacct. */
export const MOUNTINFO_V1_DOCKER = `1080 1079 0:62 /docker/0123abcd /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct
1081 1079 0:63 /docker/0123abcd /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory
`

export const PROC_CGROUP_V1_DOCKER = `4:memory:/docker/0123abcd
3:cpu,cpuacct:/docker/0123abcd
`

export const MOUNTINFO_V2 = `24 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
25 24 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`

export const PROC_CGROUP_V2 = `0::/system.slice/l3lb.service
`

export const MOUNTINFO_NO_CGROUP = `24 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
25 24 0:22 / /proc rw,relatime - proc proc rw
`

export const MEMINFO = `MemTotal:       24684084 kB
MemFree:        23570128 kB
MemAvailable:   24342292 kB
Buffers:           71400 kB
`

export const STATUS = `Name:\tcat
Umask:\t0022
State:\tR (running)
Threads:\t1
Cpus_allowed:\t3
Cpus_allowed_list:\t0-1
Mems_allowed:\t00000000,00000001
Mems_allowed_list:\t0
voluntary_ctxt_switches:\t0
`

export const LIMITS = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max stack size            8388608              unlimited            bytes     
Max processes             96365                96365                processes 
Max open files            1024                 20000                files     
Max locked memory         8388608              8388608              bytes     
`

/** cgroup v1's "no limit" value (PAGE_COUNTER_MAX pages of 4 KiB). */
export const V1_NO_LIMIT = '9223372036854771712\n'
