/** The seed's counters (SPEC §6) and every service's (SPEC §11) in Prometheus' text exposition format, for `GET /metrics`. */
import { DEFAULT_SERVICE, OUTPUT_NAMES } from '../properties/model.js'
import { defaultServiceCounters, type CountersSnapshot, type OutputCounters, type ServiceCounters } from './model.js'

/** The Content-Type of `metricsText()`: Prometheus text format 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

type Kind = 'gauge' | 'counter'

/** One per-output metric: its name, type, meaning and where its value is in OutputCounters. */
interface OutputMetric {
  readonly name: string
  readonly kind: Kind
  readonly help: string
  readonly value: (output: OutputCounters) => number | null
}

/** One appliance-wide metric: the sum over out1..out8. */
interface TotalMetric {
  readonly name: string
  readonly kind: Kind
  readonly help: string
  readonly value: (snapshot: CountersSnapshot) => number | null
}

/** (SPEC §11) One per-service metric: the sum over the service's servers. */
interface ServiceMetric {
  readonly name: string
  readonly kind: Kind
  readonly help: string
  readonly value: (service: ServiceCounters) => number | null
}

const OUTPUT_METRICS: readonly OutputMetric[] = [
  { name: 'l3lb_output_status', kind: 'gauge', help: 'outX_status: 0 enabled and up, 1 enabled and down, 2 disabled through ctl, 100 not connected', value: (o) => o.status },
  { name: 'l3lb_output_queue', kind: 'gauge', help: 'outX_queue: requests waiting now for the output', value: (o) => o.queue },
  { name: 'l3lb_output_queue_max', kind: 'gauge', help: 'outX_queue_max: most requests ever waiting at once for the output', value: (o) => o.queueMax },
  { name: 'l3lb_output_sessions', kind: 'gauge', help: 'outX_sessions: active sessions on the output (udp_roundrobin: its conntrack flows)', value: (o) => o.sessions },
  { name: 'l3lb_output_sessions_max', kind: 'gauge', help: 'outX_sessions_max: most active sessions at once on the output', value: (o) => o.sessionsMax },
  { name: 'l3lb_output_sessions_total', kind: 'counter', help: 'outX_sessions_total: completed sessions on the output', value: (o) => o.sessionsTotal },
  { name: 'l3lb_output_check_failures_total', kind: 'counter', help: 'outX_errors: failed health checks of the output', value: (o) => o.errors }
]

const TOTAL_METRICS: readonly TotalMetric[] = [
  { name: 'l3lb_queue', kind: 'gauge', help: 'queue: connections waiting now: the outputs\' queues, HAProxy\'s backend queue and the in listeners\' accept queue', value: (s) => s.queue },
  { name: 'l3lb_queue_max', kind: 'gauge', help: 'queue_max: most connections waiting at once, as queue counts them', value: (s) => s.queueMax },
  { name: 'l3lb_sessions', kind: 'gauge', help: 'sessions_active: active sessions, summed over out1..out8', value: (s) => s.sessionsActive },
  { name: 'l3lb_sessions_max', kind: 'gauge', help: 'sessions_max: outX_sessions_max summed over out1..out8', value: (s) => s.sessionsMax },
  { name: 'l3lb_sessions_total', kind: 'counter', help: 'sessions_total: completed sessions, summed over out1..out8', value: (s) => s.sessionsTotal },
  { name: 'l3lb_check_failures_total', kind: 'counter', help: 'errors: failed health checks, summed over out1..out8', value: (s) => s.errors }
]

// (SPEC §11) the same per server of every service, labelled service and server; the seed's outputs are service="default"
const SERVER_METRICS: readonly OutputMetric[] = [
  { name: 'l3lb_server_status', kind: 'gauge', help: '<server>_status: 0 enabled and up, 1 enabled and down, 2 disabled through ctl, 3 draining through ctl', value: (o) => o.status },
  { name: 'l3lb_server_queue', kind: 'gauge', help: '<server>_queue: requests waiting now for the server (TCP services)', value: (o) => o.queue },
  { name: 'l3lb_server_queue_max', kind: 'gauge', help: '<server>_queue_max: most requests ever waiting at once for the server (TCP services)', value: (o) => o.queueMax },
  { name: 'l3lb_server_sessions', kind: 'gauge', help: '<server>_sessions: active sessions on the server (UDP services: its conntrack flows)', value: (o) => o.sessions },
  { name: 'l3lb_server_sessions_max', kind: 'gauge', help: '<server>_sessions_max: most active sessions at once on the server', value: (o) => o.sessionsMax },
  { name: 'l3lb_server_sessions_total', kind: 'counter', help: '<server>_sessions_total: completed sessions on the server (TCP services)', value: (o) => o.sessionsTotal },
  { name: 'l3lb_server_check_failures_total', kind: 'counter', help: '<server>_errors: failed health checks of the server', value: (o) => o.errors }
]

const SERVICE_METRICS: readonly ServiceMetric[] = [
  { name: 'l3lb_service_queue', kind: 'gauge', help: 'queue of a service: connections waiting now for its servers, in its backend queue and its listeners\' accept queue (TCP services)', value: (s) => s.queue },
  { name: 'l3lb_service_queue_max', kind: 'gauge', help: 'queue_max of a service: most connections waiting at once, as queue counts them (TCP services)', value: (s) => s.queueMax },
  { name: 'l3lb_service_sessions', kind: 'gauge', help: 'sessions_active of a service: active sessions, summed over its servers', value: (s) => s.sessionsActive },
  { name: 'l3lb_service_sessions_max', kind: 'gauge', help: 'sessions_max of a service: <server>_sessions_max summed over its servers', value: (s) => s.sessionsMax },
  { name: 'l3lb_service_sessions_total', kind: 'counter', help: 'sessions_total of a service: completed sessions, summed over its servers (TCP services)', value: (s) => s.sessionsTotal },
  { name: 'l3lb_service_check_failures_total', kind: 'counter', help: 'errors of a service: failed health checks, summed over its servers', value: (s) => s.errors }
]

/**
 * The snapshot as Prometheus text (`METRICS_CONTENT_TYPE`): `l3lb_output_*{output="outN"}` for
 * every output out1..out8, the sums as `l3lb_*`, and `l3lb_mode_info{mode}`. A counter that
 * SPEC §6 leaves out of udp_roundrobin (null in the snapshot) has no metric at all.
 * (SPEC §11) With `snapshot.services`, also every server of every service as
 * `l3lb_server_*{service,server}` (the seed's connected outputs as `service="default"`), each
 * service's sums as `l3lb_service_*{service}` and `l3lb_service_mode_info{service,mode}`; a
 * UDP service's servers have no queue or total samples.
 */
export async function metricsText (snapshot: CountersSnapshot): Promise<string> {
  const families: string[] = [family({ name: 'l3lb_mode_info', kind: 'gauge', help: 'the mode the appliance runs in (value always 1)' }, [[[['mode', snapshot.mode]], 1]])]
  for (const metric of OUTPUT_METRICS) {
    const samples = OUTPUT_NAMES.flatMap((output): Sample[] => {
      const value = metric.value(snapshot.outputs[output])
      return value === null ? [] : [[[['output', output]], value]]
    })
    if (samples.length > 0) families.push(family(metric, samples))
  }
  for (const metric of TOTAL_METRICS) {
    const value = metric.value(snapshot)
    if (value !== null) families.push(family(metric, [[[], value]]))
  }
  if (snapshot.services !== undefined) families.push(...serviceFamilies([defaultServiceCounters(snapshot), ...snapshot.services]))
  return families.join('\n')
}

function serviceFamilies (all: readonly ServiceCounters[]): string[] {
  // the seed's service listens only with a connected output
  const services = all.filter((service) => service.servers.length > 0 || service.name !== DEFAULT_SERVICE)
  if (services.length === 0) return []
  const families = [family({ name: 'l3lb_service_mode_info', kind: 'gauge', help: 'the mode each service runs in (value always 1)' }, services.map((service): Sample => [[['service', service.name], ['mode', service.mode]], 1]))]
  for (const metric of SERVER_METRICS) {
    const samples = services.flatMap((service) => service.servers.flatMap((server): Sample[] => {
      const value = metric.value(server.counters)
      return value === null ? [] : [[[['service', service.name], ['server', server.name]], value]]
    }))
    if (samples.length > 0) families.push(family(metric, samples))
  }
  for (const metric of SERVICE_METRICS) {
    const samples = services.flatMap((service): Sample[] => {
      const value = metric.value(service)
      return value === null ? [] : [[[['service', service.name]], value]]
    })
    if (samples.length > 0) families.push(family(metric, samples))
  }
  return families
}

/** One sample: its labels in order, and its value. */
type Sample = readonly [ReadonlyArray<readonly [string, string]>, number]

/**
 * One metric family in the text exposition format 0.0.4: its HELP and TYPE lines, then a line
 * per sample. Written here rather than through a client library: at 256 services a scrape is
 * 7,000 samples, which a registry built per scrape took about 100 ms to hash and print.
 */
function family (metric: { readonly name: string, readonly kind: Kind, readonly help: string }, samples: readonly Sample[]): string {
  const lines = [`# HELP ${metric.name} ${metric.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${metric.name} ${metric.kind}`]
  for (const [labels, value] of samples) {
    const text = labels.length === 0 ? '' : `{${labels.map(([name, label]) => `${name}="${escapeLabel(label)}"`).join(',')}}`
    lines.push(`${metric.name}${text} ${formatValue(value)}`)
  }
  return `${lines.join('\n')}\n`
}

// a label value's backslash, double quote and line feed are escaped (text format 0.0.4)
function escapeLabel (value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function formatValue (value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}
