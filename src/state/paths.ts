/** Where the agent keeps its files: runtime files under $RUNTIME_DIRECTORY, state under $STATE_DIRECTORY (SPEC §3a). */
import { join } from 'node:path'

export interface AppliancePaths {
  readonly runtimeDir: string
  readonly stateDir: string
  /** The haproxy.cfg in force (HAProxy's master re-reads it on reload). */
  readonly configFile: string
  /** The last configuration HAProxy accepted, kept to fall back on. */
  readonly lastGoodConfigFile: string
  readonly statsSocket: string
  readonly masterSocket: string
  readonly serverStateFile: string
  readonly pidFile: string
  /** The outputs disabled through ctl, kept across restarts. */
  readonly adminStateFile: string
  /** The counters' maxima and totals, kept across restarts of the agent. */
  readonly keptCountersFile: string
  /** (HA) The pair's shared settings this node last ran. */
  readonly pairSettingsFile: string
}

export const DEFAULT_RUNTIME_DIR = '/run/l3lb'
export const DEFAULT_STATE_DIR = '/var/lib/l3lb'

/** The paths for the given environment: systemd's RuntimeDirectory=/StateDirectory= variables or the defaults. */
export function appliancePaths (env: NodeJS.ProcessEnv): AppliancePaths {
  // systemd may pass several colon-separated folders; the first is ours
  const runtimeDir = firstDirectory(env.RUNTIME_DIRECTORY) ?? DEFAULT_RUNTIME_DIR
  const stateDir = firstDirectory(env.STATE_DIRECTORY) ?? DEFAULT_STATE_DIR
  return Object.freeze({
    runtimeDir,
    stateDir,
    configFile: join(runtimeDir, 'haproxy.cfg'),
    lastGoodConfigFile: join(stateDir, 'haproxy.cfg.last-good'),
    statsSocket: join(runtimeDir, 'haproxy.sock'),
    masterSocket: join(runtimeDir, 'master.sock'),
    serverStateFile: join(runtimeDir, 'server-state'),
    pidFile: join(runtimeDir, 'haproxy.pid'),
    adminStateFile: join(stateDir, 'admin-state.json'),
    keptCountersFile: join(stateDir, 'counters.json'),
    pairSettingsFile: join(stateDir, 'pair-settings.json')
  })
}

function firstDirectory (value: string | undefined): string | undefined {
  const first = value?.split(':')[0]?.trim()
  return first === undefined || first === '' ? undefined : first
}
