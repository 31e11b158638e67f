/**
 * Pure: HAProxy's stderr lines as the agent logs them. After start-up HAProxy both prints
 * a runtime event (`[WARNING]  (pid) : Server outputs/out2 is DOWN, ...`) and sends it to
 * its log target (`<1>Server outputs/out2 is DOWN, ...`, `log stderr`), which is the same
 * stderr: each such event is logged once.
 *
 * Levels: `[ALERT]` (a worker crashed, no server left, a config refused) is an error.
 * `[WARNING]` is info: HAProxy prints routine events that way (every reload's old worker
 * leaving, each server going up or down), and the agent's own notices already say what
 * matters of them at warning and error. A line HAProxy only logs keeps its syslog severity
 * (`<0>... reached system FD limit` is an error). One alert is routine: the master's
 * `Current worker (N) exited with code 143 (Terminated)` while the agent stops HAProxy
 * (a reload's old worker leaves with a `[WARNING] Former worker` line instead).
 */

export type LogLevel = 'error' | 'warn' | 'info'

export interface HaproxyLogLine {
  readonly level: LogLevel
  readonly line: string
}

// HAProxy's own prints (ha_alert, ha_warning, ha_notice) and `log ... format short` lines
const PRINTED = /^\[(ALERT|WARNING|NOTICE)\] +\(\d+\) : (.*)$/
const LOGGED = /^<([0-7])>(.*)$/
// an event made by a CLI command is printed with its context (`CLI : Server s1/a is going DOWN
// for maintenance. …`) and logged without it
const CLI_CONTEXT = 'CLI : '
// threads may print two events before either is logged: remember a few
const REMEMBERED = 8
// what the master prints when its worker ends on the SIGTERM it passes on at a stop
const TERMINATED = /^Current worker \(\d+\) exited with code 143 \(Terminated\)$/

/** Whether the agent is stopping HAProxy, so its worker ending is expected. */
export type HaproxyStopping = () => boolean

export class HaproxyLogLines {
  readonly #printed: string[] = []
  readonly #stopping: HaproxyStopping

  constructor (stopping: HaproxyStopping = () => false) {
    this.#stopping = stopping
  }

  /** How to log `line`; null when it repeats an event just printed. */
  take (line: string): HaproxyLogLine | null {
    const printed = PRINTED.exec(line)
    if (printed !== null) {
      const event = printed[2] ?? ''
      this.#printed.push(event.startsWith(CLI_CONTEXT) ? event.slice(CLI_CONTEXT.length) : event)
      if (this.#printed.length > REMEMBERED) this.#printed.shift()
      const expected = TERMINATED.test(event) && this.#stopping()
      return { level: printed[1] === 'ALERT' && !expected ? 'error' : 'info', line }
    }
    const logged = LOGGED.exec(line)
    if (logged === null) return { level: 'info', line }
    const at = this.#printed.indexOf(logged[2] ?? '')
    if (at !== -1) {
      this.#printed.splice(at, 1)
      return null
    }
    // syslog severities: emerg, alert, crit, err; warning; notice and below
    const severity = Number(logged[1])
    return { level: severity <= 3 ? 'error' : severity === 4 ? 'warn' : 'info', line }
  }
}
