/**
 * The agent's own health checks of the outputs, run in udp_roundrobin only (HAProxy
 * checks the TCP modes itself). Follows the properties across reloads.
 */
import type { OutputHealth } from '../ctl/controller.js'
import { HealthChecker, type Probe } from '../health/health-checker.js'
import type { OutputName, Properties } from '../properties/model.js'
import type { Log } from './log.js'

export interface OutputChecksDeps {
  readonly probe: Probe
  readonly onChange: (output: OutputName, health: OutputHealth) => void
  readonly log: Log
}

export class OutputChecks {
  readonly #deps: OutputChecksDeps
  #checker: HealthChecker | null = null
  #settings = ''

  constructor (deps: OutputChecksDeps) {
    this.#deps = deps
  }

  /** Starts, changes or stops the checks to match these properties; outputs that stay keep their health. */
  async configure (properties: Properties): Promise<void> {
    if (properties.mode !== 'udp_roundrobin' || properties.healthcheckInterval === 0) {
      await this.stop()
      return
    }
    const outputs = properties.outputs.map(({ name, address }) => ({ name, address }))
    const { healthcheckInterval, healthcheckRise, healthcheckFall, connTimeout } = properties
    const settings = [healthcheckInterval, healthcheckRise, healthcheckFall, connTimeout].join('/')
    if (this.#checker !== null && settings === this.#settings) {
      this.#checker.update(outputs)
      return
    }
    const initial = this.#checker?.health()
    await this.#checker?.stop()
    this.#checker = new HealthChecker({
      probe: this.#deps.probe,
      intervalMs: healthcheckInterval * 1000,
      // a ping slower than half the interval (or conn_timeout) fails: fall failures then take
      // at most interval × fall + 1 s to notice, as the UDP issue asks, since checks do not overlap
      timeoutMs: Math.min(healthcheckInterval * 500, connTimeout * 1000),
      rise: healthcheckRise,
      fall: healthcheckFall,
      onChange: this.#deps.onChange,
      log: this.#deps.log
    })
    this.#settings = settings
    this.#checker.start(outputs, initial)
    this.#deps.log.info(`ICMP health checks of ${outputs.length} output(s) every ${healthcheckInterval} s`)
  }

  /** Failed checks per output since the checks started. */
  failures (): ReadonlyMap<OutputName, number> {
    return this.#checker?.failures() ?? new Map()
  }

  async stop (): Promise<void> {
    await this.#checker?.stop()
    this.#checker = null
    this.#settings = ''
  }
}
