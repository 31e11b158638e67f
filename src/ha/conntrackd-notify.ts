/**
 * keepalived's notify_master / notify_backup program (udp_roundrobin pairs):
 * `node conntrackd-notify.js CONNTRACKD CONFIG primary|backup` gives the local conntrackd the
 * commands of Debian's primary-backup.sh for that role. Exit 0 when every command succeeded.
 */
// node's own spawnSync, not execa: its import alone costs a few hundred ms, while flows wait for the commit
import { spawnSync } from 'node:child_process'

// conntrackd's client commands per role, in order (conntrackd(8))
const ROLE_COMMANDS = Object.freeze({
  // commit the peer's flows to the kernel, flush both caches, refill the internal one from the kernel, send it all to the peer
  primary: [['-c'], ['-f'], ['-R'], ['-B']],
  // ask the active node for all its flows; no `-t`: its flush, scheduled on every BACKUP (boot included), would empty this node's table if it became active within PurgeTimeout
  backup: [['-n']]
} as const)

// a commit of a large table takes a while; the others answer at once
const COMMAND_TIMEOUT_MS = 30_000
// keepalived may run scripts with a bare PATH; conntrackd lives in /usr/sbin
const SBIN = '/usr/local/sbin:/usr/sbin:/sbin'

function main (binary: string | undefined, config: string | undefined, role: string | undefined): number {
  if (binary === undefined || config === undefined || (role !== 'primary' && role !== 'backup')) {
    process.stderr.write('usage: conntrackd-notify.js CONNTRACKD CONFIG primary|backup\n')
    return 2
  }
  let failed = 0
  for (const args of ROLE_COMMANDS[role]) {
    const result = spawnSync(binary, ['-C', config, ...args], {
      timeout: COMMAND_TIMEOUT_MS,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:${SBIN}` }
    })
    if (result.status !== 0) {
      failed += 1
      process.stderr.write(`conntrackd ${args.join(' ')} failed: ${result.error?.message ?? `status ${String(result.status)}, signal ${String(result.signal)}`} ${result.stderr?.toString('utf8') ?? ''}\n`)
    }
  }
  return failed === 0 ? 0 : 1
}

process.exitCode = main(process.argv[2], process.argv[3], process.argv[4])
