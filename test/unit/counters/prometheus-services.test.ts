import { test } from 'node:test'
import assert from 'node:assert/strict'
import { metricsText } from '../../../src/counters/prometheus.js'
import { notConnectedCounters, type CountersSnapshot, type OutputCounters, type ServiceCounters } from '../../../src/counters/model.js'
import { OUTPUT_NAMES, type OutputName } from '../../../src/properties/model.js'

// every figure differs, so a value under the wrong labels shows
function figures (n: number, tcp: boolean): OutputCounters {
  return { status: 0, queue: tcp ? n + 1 : null, queueMax: tcp ? n + 2 : null, sessions: n + 3, sessionsMax: n + 4, sessionsTotal: tcp ? n + 5 : null, errors: n + 6 }
}

const WEB: ServiceCounters = {
  name: 'web', mode: 'tcp_leastconn', servers: [{ name: 'web1', counters: figures(100, true) }, { name: 'web2', counters: { ...figures(200, true), status: 3 } }], queue: 7, queueMax: 8, sessionsActive: 9, sessionsMax: 10, sessionsTotal: 11, errors: 12
}
const SIP: ServiceCounters = {
  name: 'sip', mode: 'udp_roundrobin', servers: [{ name: 'a', counters: figures(300, false) }], queue: null, queueMax: null, sessionsActive: 13, sessionsMax: 14, sessionsTotal: null, errors: 15
}

function snapshot (services: readonly ServiceCounters[] | undefined): CountersSnapshot {
  const outputs = Object.fromEntries(OUTPUT_NAMES.map((name, at) => [name, at < 2 ? figures(at + 1, true) : notConnectedCounters('tcp_roundrobin')])) as Record<OutputName, OutputCounters>
  return { mode: 'tcp_roundrobin', outputs, queue: 1, queueMax: 2, sessionsActive: 3, sessionsMax: 4, sessionsTotal: 5, errors: 6, ...(services === undefined ? {} : { services }) }
}

function samples (text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
}

test('every server of every service, labelled service and server; the seed\'s connected outputs as service="default"', async () => {
  const text = await metricsText(snapshot([WEB, SIP]))
  assert.deepEqual(samples(text, 'l3lb_server_sessions_total'), [
    'l3lb_server_sessions_total{service="default",server="out1"} 6',
    'l3lb_server_sessions_total{service="default",server="out2"} 7',
    'l3lb_server_sessions_total{service="web",server="web1"} 105',
    'l3lb_server_sessions_total{service="web",server="web2"} 205'
  ], 'a UDP service\'s servers have no totals')
  assert.deepEqual(samples(text, 'l3lb_server_status').slice(2), [
    'l3lb_server_status{service="web",server="web1"} 0',
    'l3lb_server_status{service="web",server="web2"} 3',
    'l3lb_server_status{service="sip",server="a"} 0'
  ])
  assert.deepEqual(samples(text, 'l3lb_server_sessions'), [
    'l3lb_server_sessions{service="default",server="out1"} 4',
    'l3lb_server_sessions{service="default",server="out2"} 5',
    'l3lb_server_sessions{service="web",server="web1"} 103',
    'l3lb_server_sessions{service="web",server="web2"} 203',
    'l3lb_server_sessions{service="sip",server="a"} 303'
  ])
  assert.deepEqual(samples(text, 'l3lb_service_queue'), ['l3lb_service_queue{service="default"} 1', 'l3lb_service_queue{service="web"} 7'])
  assert.deepEqual(samples(text, 'l3lb_service_check_failures_total'), ['l3lb_service_check_failures_total{service="default"} 6', 'l3lb_service_check_failures_total{service="web"} 12', 'l3lb_service_check_failures_total{service="sip"} 15'])
  assert.deepEqual(samples(text, 'l3lb_service_mode_info'), ['l3lb_service_mode_info{service="default",mode="tcp_roundrobin"} 1', 'l3lb_service_mode_info{service="web",mode="tcp_leastconn"} 1', 'l3lb_service_mode_info{service="sip",mode="udp_roundrobin"} 1'])
  assert.match(text, /^# TYPE l3lb_server_check_failures_total counter$/m)
  // the seed's own metrics stay as they were
  assert.deepEqual(samples(text, 'l3lb_output_sessions_total').slice(0, 2), ['l3lb_output_sessions_total{output="out1"} 6', 'l3lb_output_sessions_total{output="out2"} 7'])
  assert.deepEqual(samples(text, 'l3lb_sessions_total'), ['l3lb_sessions_total 5'])
})

test('without the services read, the seed\'s metrics alone; a default without outputs is not a service', async () => {
  assert.doesNotMatch(await metricsText(snapshot(undefined)), /l3lb_server_|l3lb_service_/)
  const idle: CountersSnapshot = { ...snapshot([WEB]), outputs: Object.fromEntries(OUTPUT_NAMES.map((name) => [name, notConnectedCounters('tcp_roundrobin')])) as Record<OutputName, OutputCounters> }
  const text = await metricsText(idle)
  assert.deepEqual(samples(text, 'l3lb_service_mode_info'), ['l3lb_service_mode_info{service="web",mode="tcp_leastconn"} 1'])
  assert.equal(samples(text, 'l3lb_server_status').length, 2)
})
