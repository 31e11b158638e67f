/**
 * Every error l3lb reports on purpose, each with a stable code. `docs/errors.md`
 * documents each code; a unit test keeps the two in step.
 */

export const ERROR_CODES = {
  L3LB_PROPERTIES_INVALID: 'one or more properties are invalid',
  L3LB_ENV_FILE_UNREADABLE: 'the properties file cannot be read',
  L3LB_MEMORY_UNKNOWN: 'could not determine appliance memory settings',
  L3LB_MEMORY_TOO_SMALL: 'less memory than the 96 MB minimum',
  L3LB_CPUS_UNKNOWN: 'could not determine the number of available CPUs',
  L3LB_CONFIG_WRITE: 'could not create HAProxy configuration file',
  L3LB_CONFIG_INVALID: 'HAProxy rejected the rendered configuration',
  L3LB_HAPROXY_START: 'HAProxy did not start',
  L3LB_HAPROXY_RELOAD: 'HAProxy did not take the new configuration',
  L3LB_HAPROXY_SOCKET: 'the HAProxy socket did not answer as expected',
  L3LB_STATE_WRITE: 'the persistent state cannot be written',
  L3LB_START_FAILED: 'could not start L3LB',
  L3LB_CTL_LISTEN: 'could not initialize control web service interface',
  L3LB_COUNTERS_START: 'could not initialize statistics reporting',
  L3LB_UI_LISTEN: 'could not initialize user interface terminal',
  L3LB_CTL_REQUEST: 'a ctl request was not understood',
  L3LB_CTL_UNREACHABLE: 'the ctl service cannot be reached',
  L3LB_RULES_INVALID: 'iptables refused the rules text; nothing was changed',
  L3LB_RULES_APPLY: 'iptables failed while applying or removing the rules',
  L3LB_PROGRAM_MISSING: 'a program l3lb needs is not installed',
  L3LB_COMMAND_FAILED: 'a system program (iptables-save, sysctl, conntrack) failed',
  L3LB_HA_SYNC: 'the HA peer did not take or give the ctl admin state',
  L3LB_RELOAD_UNDONE: 'a reload failed part-way; what it had changed was put back',
  L3LB_RELOAD_MIXED: 'a reload failed part-way and not every part could be put back'
} as const

export type ErrorCode = keyof typeof ERROR_CODES

/** An error with a stable code; `cause` keeps the original. */
export class L3lbError extends Error {
  readonly code: ErrorCode

  constructor (code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'L3lbError'
    this.code = code
  }
}

/** True when `error` is an L3lbError with the given code (or any code when none given). */
export function isL3lbError (error: unknown, code?: ErrorCode): error is L3lbError {
  return error instanceof L3lbError && (code === undefined || error.code === code)
}
