/**
 * The agent's own health checks of the UDP outputs and servers: default's in udp_roundrobin,
 * and every UDP service file's (HAProxy checks the TCP modes itself). One checker per
 * service, since each has its own interval, rise and fall. Follows the properties across reloads.
 */
import { HealthChecker, type CheckedOutput, type Probe } from '../health/health-checker.js'
import type { HealthCheck, OutputName, Properties, Service } from '../properties/model.js'
import { isUdpMode } from '../properties/service-file.js'
import { fileServerKey, type ServerKey } from '../state/server-key.js'
import type { Log } from '../model/log.js'
import type { OutputHealth } from '../model/health.js'

/** What is checked: default's outputs by their name, a service file's servers by serverKey. */
export type CheckedName = OutputName | ServerKey

export interface OutputChecksDeps {
  /** The ICMP probe: the UDP modes' default check. */
  readonly probe: Probe
  /** (SPEC §14) The probe of a check that sees the service (udp, sip); without it those services are pinged. */
  readonly probeFor?: (check: HealthCheck) => Probe
  readonly onChange: (output: CheckedName, health: OutputHealth) => void
  readonly log: Log
}

// What one service's checker needs; `settings` tells whether a running one can just update its targets.
interface CheckSet {
  readonly what: string
  /** Its kind as logged; the probe's when not a ping. */
  readonly kind: string
  readonly check: HealthCheck | undefined
  readonly targets: ReadonlyArray<CheckedOutput<CheckedName>>
  readonly interval: number
  readonly settings: string
  readonly options: { readonly intervalMs: number, readonly timeoutMs: number, readonly rise: number, readonly fall: number }
}

interface Running {
  readonly checker: HealthChecker<CheckedName>
  readonly settings: string
}

type Checked = Pick<Service, 'healthcheckInterval' | 'healthcheckRise' | 'healthcheckFall' | 'connTimeout' | 'healthcheckPort' | 'healthcheck'>

export class OutputChecks {
  readonly #deps: OutputChecksDeps
  // by service name; `default` for the env file's
  #running = new Map<string, Running>()

  constructor (deps: OutputChecksDeps) {
    this.#deps = deps
  }

  /** Starts, changes or stops the checks to match these properties and services; targets that stay keep their health. */
  async configure (properties: Properties, services: readonly Service[] = []): Promise<void> {
    const wanted = new Map<string, CheckSet>()
    if (properties.mode === 'udp_roundrobin' && properties.healthcheckInterval > 0) {
      wanted.set('default', checkSet(`${properties.outputs.length} output(s)`, properties.outputs.map(({ name, address }) => ({ name, address, ...checkPort(properties, null) })), properties))
    }
    for (const service of services) {
      if (!isUdpMode(service.mode) || service.healthcheckInterval === 0) continue
      const targets = service.servers.map((server) => ({ name: fileServerKey(service.name, server.name), address: server.address, ...checkPort(service, server.port) }))
      wanted.set(service.name, checkSet(`service ${service.name}'s ${targets.length} server(s)`, targets, service))
    }
    for (const [name, running] of this.#running) {
      if (wanted.has(name)) continue
      this.#running.delete(name)
      await running.checker.stop()
    }
    for (const [name, set] of wanted) await this.#configureOne(name, set)
  }

  /** Failed checks per output of default (by name) and per UDP service file server (by server key) since its checks started. */
  failures (): ReadonlyMap<CheckedName, number> {
    return new Map([...this.#running.values()].flatMap(({ checker }) => [...checker.failures()]))
  }

  async stop (): Promise<void> {
    const running = [...this.#running.values()]
    this.#running = new Map()
    for (const { checker } of running) await checker.stop()
  }

  async #configureOne (name: string, set: CheckSet): Promise<void> {
    const running = this.#running.get(name)
    if (running !== undefined && running.settings === set.settings) {
      running.checker.update(set.targets)
      return
    }
    const initial = running?.checker.health()
    await running?.checker.stop()
    const { probeFor } = this.#deps
    const probe = set.check !== undefined && probeFor !== undefined ? probeFor(set.check) : this.#deps.probe
    const seeing = probe !== this.#deps.probe
    const checker = new HealthChecker<CheckedName>({ ...set.options, probe, onChange: this.#deps.onChange, log: this.#deps.log })
    this.#running.set(name, { checker, settings: set.settings })
    checker.start(set.targets, initial)
    this.#deps.log.info(`${seeing ? set.kind : 'ICMP'} health checks of ${set.what} every ${set.interval} s`)
  }
}

// where a check that sees the service goes: a server's own port, as HAProxy checks TCP servers, else healthcheck_port; a ping has none
function checkPort (checked: Checked, own: number | null): { port?: number } {
  return checked.healthcheck === undefined ? {} : { port: own ?? checked.healthcheckPort }
}

function checkSet (what: string, targets: ReadonlyArray<CheckedOutput<CheckedName>>, checked: Checked): CheckSet {
  const { healthcheckInterval, healthcheckRise, healthcheckFall, connTimeout, healthcheck } = checked
  return {
    what,
    kind: healthcheck === undefined ? 'ICMP' : healthcheck.kind.toUpperCase(),
    check: healthcheck,
    targets,
    interval: healthcheckInterval,
    // a change of kind or its properties starts a new checker (with the health it had)
    settings: [healthcheckInterval, healthcheckRise, healthcheckFall, connTimeout, JSON.stringify(healthcheck ?? null)].join('/'),
    options: {
      intervalMs: healthcheckInterval * 1000,
      // a ping slower than half the interval (or conn_timeout) fails: fall failures then take
      // at most interval × fall + 1 s to notice, as the UDP issue asks, since checks do not overlap
      timeoutMs: Math.min(healthcheckInterval * 500, connTimeout * 1000),
      rise: healthcheckRise,
      fall: healthcheckFall
    }
  }
}
