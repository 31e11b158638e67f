import { test } from 'node:test'
import assert from 'node:assert/strict'
import { register } from 'prom-client'
import { METRICS_CONTENT_TYPE, metricsText } from '../../../src/counters/prometheus.js'
import { notConnectedCounters, type CountersSnapshot, type OutputCounters } from '../../../src/counters/model.js'
import { OUTPUT_NAMES, type Mode, type OutputName } from '../../../src/properties/model.js'

interface Sample {
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

interface Family {
  readonly help: string
  readonly type: string
  readonly samples: Sample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

/**
 * A strict reader of Prometheus text format 0.0.4 for counters and gauges: HELP, then TYPE,
 * then the family's samples, each family once, each label set once; throws on anything else.
 */
function parseExposition (text: string): Map<string, Family> {
  assert.ok(text.endsWith('\n'), 'the text ends with a line feed')
  const families = new Map<string, Family>()
  let help: { name: string, text: string } | undefined
  let current: string | undefined
  const seen = new Set<string>()
  for (const [index, line] of text.slice(0, -1).split('\n').entries()) {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`
    if (line === '') continue
    const helpLine = /^# HELP (\S+) (.*)$/.exec(line)
    if (helpLine !== null) {
      const [, name = '', helpText = ''] = helpLine
      assert.match(name, METRIC_NAME, where)
      assert.ok(!families.has(name) && help === undefined, `HELP once, before its TYPE: ${where}`)
      assert.doesNotMatch(helpText, /\\[^\\n]/, `HELP escapes only \\\\ and \\n: ${where}`)
      help = { name, text: helpText }
      continue
    }
    const typeLine = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (typeLine !== null) {
      const [, name = '', type = ''] = typeLine
      assert.ok(TYPES.has(type), `known type: ${where}`)
      assert.equal(help?.name, name, `TYPE follows its own HELP: ${where}`)
      assert.ok(!families.has(name), `one TYPE per family: ${where}`)
      families.set(name, { help: help?.text ?? '', type, samples: [] })
      help = undefined
      current = name
      continue
    }
    assert.ok(!line.startsWith('#'), `no other comments: ${where}`)
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(sample !== null, `a sample is name{labels} value: ${where}`)
    const [, name = '', labelText, valueText = ''] = sample
    assert.equal(name, current, `a counter or gauge sample carries its family's name, after its TYPE: ${where}`)
    assert.match(valueText, /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/, `a float value: ${where}`)
    const labels = parseLabels(labelText ?? '', where)
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`
    assert.ok(!seen.has(key), `each label set once: ${where}`)
    seen.add(key)
    families.get(name)?.samples.push({ labels, value: Number(valueText.replace('Inf', 'Infinity')) })
  }
  assert.equal(help, undefined, 'no HELP left without its TYPE')
  return families
}

function parseLabels (text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {}
  let rest = text
  while (rest !== '') {
    const label = /^([^=]*)="((?:[^"\\\n]|\\["\\n])*)"(,?)/.exec(rest)
    assert.ok(label !== null, `labels are name="value" pairs, escaped: ${where}`)
    const [whole, name = '', value = '', comma] = label
    assert.match(name, LABEL_NAME, where)
    assert.ok(!(name in labels), `a label once: ${where}`)
    labels[name] = value.replace(/\\(["\\n])/g, (_all, escaped: string) => escaped === 'n' ? '\n' : escaped)
    rest = rest.slice(whole.length)
    assert.ok(comma === ',' || rest === '', `labels separated by commas: ${where}`)
  }
  return labels
}

// Every output's figures differ, so a value under the wrong label or name shows.
function outputFigures (index: number, mode: Mode): OutputCounters {
  const tcp = mode !== 'udp_roundrobin'
  return {
    status: ([0, 1, 2] as const)[index % 3] ?? 0,
    queue: tcp ? index * 10 + 1 : null,
    queueMax: tcp ? index * 10 + 2 : null,
    sessions: index * 10 + 3,
    sessionsMax: index * 10 + 4,
    sessionsTotal: tcp ? index * 1_000_000_007 : null,
    errors: index * 10 + 6
  }
}

/** out1..out6 connected, out7 and out8 not. */
function snapshotOf (mode: Mode): CountersSnapshot {
  const outputs = Object.fromEntries(OUTPUT_NAMES.map((name, at) => [name, at < 6 ? outputFigures(at + 1, mode) : notConnectedCounters(mode)])) as Record<OutputName, OutputCounters>
  const tcp = mode !== 'udp_roundrobin'
  return { mode, outputs, queue: tcp ? 111 : null, queueMax: tcp ? 222 : null, sessionsActive: 333, sessionsMax: 444, sessionsTotal: tcp ? 5_555_555_555 : null, errors: 666 }
}

function valuesByOutput (family: Family | undefined): Record<string, number> {
  assert.ok(family !== undefined)
  const values: Record<string, number> = {}
  for (const sample of family.samples) {
    assert.deepEqual(Object.keys(sample.labels), ['output'])
    values[sample.labels.output ?? ''] = sample.value
  }
  return values
}

function expectedByOutput (snapshot: CountersSnapshot, pick: (output: OutputCounters) => number | null): Record<string, number> {
  return Object.fromEntries(OUTPUT_NAMES.map((name) => [name, pick(snapshot.outputs[name]) ?? Number.NaN]))
}

function single (family: Family | undefined): number {
  assert.ok(family !== undefined)
  assert.equal(family.samples.length, 1)
  assert.deepEqual(family.samples[0]?.labels, {})
  return family.samples[0]?.value ?? Number.NaN
}

const PER_OUTPUT: ReadonlyArray<[string, string, (output: OutputCounters) => number | null]> = [
  ['l3lb_output_status', 'gauge', (o) => o.status],
  ['l3lb_output_queue', 'gauge', (o) => o.queue],
  ['l3lb_output_queue_max', 'gauge', (o) => o.queueMax],
  ['l3lb_output_sessions', 'gauge', (o) => o.sessions],
  ['l3lb_output_sessions_max', 'gauge', (o) => o.sessionsMax],
  ['l3lb_output_sessions_total', 'counter', (o) => o.sessionsTotal],
  ['l3lb_output_check_failures_total', 'counter', (o) => o.errors]
]

const SUMS: ReadonlyArray<[string, string, (snapshot: CountersSnapshot) => number | null]> = [
  ['l3lb_queue', 'gauge', (s) => s.queue],
  ['l3lb_queue_max', 'gauge', (s) => s.queueMax],
  ['l3lb_sessions', 'gauge', (s) => s.sessionsActive],
  ['l3lb_sessions_max', 'gauge', (s) => s.sessionsMax],
  ['l3lb_sessions_total', 'counter', (s) => s.sessionsTotal],
  ['l3lb_check_failures_total', 'counter', (s) => s.errors]
]

test('the content type is Prometheus text format 0.0.4', () => {
  assert.equal(METRICS_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8')
})

test('tcp_roundrobin: every counter of every output, and the sums, with their types, HELP and values', async () => {
  const snapshot = snapshotOf('tcp_roundrobin')
  const families = parseExposition(await metricsText(snapshot))
  assert.deepEqual([...families.keys()].sort(), ['l3lb_mode_info', ...PER_OUTPUT.map(([name]) => name), ...SUMS.map(([name]) => name)].sort())
  for (const [name, type, pick] of PER_OUTPUT) {
    const family = families.get(name)
    assert.equal(family?.type, type, name)
    assert.deepEqual(valuesByOutput(family), expectedByOutput(snapshot, pick), name)
  }
  for (const [name, type, pick] of SUMS) {
    assert.equal(families.get(name)?.type, type, name)
    assert.equal(single(families.get(name)), pick(snapshot), name)
  }
  for (const [name, family] of families) {
    assert.ok(name.startsWith('l3lb_'), name)
    assert.equal(family.type === 'counter', name.endsWith('_total'), `${name}: counters and only counters end in _total`)
    assert.ok(family.help.length > 20, `${name} says what it means`)
  }
  assert.deepEqual(families.get('l3lb_mode_info')?.samples, [{ labels: { mode: 'tcp_roundrobin' }, value: 1 }])
})

test('HELP names the seed counter each metric is', async () => {
  const families = parseExposition(await metricsText(snapshotOf('tcp_source')))
  assert.match(families.get('l3lb_output_status')?.help ?? '', /^outX_status: 0 enabled and up, 1 enabled and down, 2 disabled through ctl, 100 not connected$/)
  assert.match(families.get('l3lb_output_check_failures_total')?.help ?? '', /^outX_errors: failed health checks/)
  assert.match(families.get('l3lb_sessions')?.help ?? '', /^sessions_active: /)
  assert.match(families.get('l3lb_check_failures_total')?.help ?? '', /^errors: /)
})

test('not-connected outputs are status 100 with zeros', async () => {
  const families = parseExposition(await metricsText(snapshotOf('tcp_roundrobin')))
  for (const name of ['out7', 'out8']) {
    assert.equal(valuesByOutput(families.get('l3lb_output_status'))[name], 100)
    for (const [metric] of PER_OUTPUT.slice(1)) assert.equal(valuesByOutput(families.get(metric))[name], 0, `${metric} ${name}`)
  }
})

test('udp_roundrobin: the counters SPEC §6 leaves out are absent, the rest as in TCP', async () => {
  const snapshot = snapshotOf('udp_roundrobin')
  const text = await metricsText(snapshot)
  const families = parseExposition(text)
  const absent = ['l3lb_output_queue', 'l3lb_output_queue_max', 'l3lb_output_sessions_total', 'l3lb_queue', 'l3lb_queue_max', 'l3lb_sessions_total']
  for (const name of absent) assert.doesNotMatch(text, new RegExp(`\\b${name}\\b`), name)
  for (const [name, , pick] of PER_OUTPUT.filter(([name]) => !absent.includes(name))) {
    assert.deepEqual(valuesByOutput(families.get(name)), expectedByOutput(snapshot, pick), name)
  }
  for (const [name, , pick] of SUMS.filter(([name]) => !absent.includes(name))) assert.equal(single(families.get(name)), pick(snapshot), name)
  assert.deepEqual(families.get('l3lb_mode_info')?.samples, [{ labels: { mode: 'udp_roundrobin' }, value: 1 }])
})

test('each call stands alone: no values carried over, nothing in prom-client\'s global registry', async () => {
  await metricsText(snapshotOf('tcp_roundrobin'))
  const later = snapshotOf('udp_roundrobin')
  const families = parseExposition(await metricsText(later))
  assert.deepEqual(valuesByOutput(families.get('l3lb_output_check_failures_total')), expectedByOutput(later, (o) => o.errors))
  assert.equal(families.has('l3lb_output_queue'), false)
  assert.doesNotMatch(await register.metrics(), /l3lb_/)
})

test('the reader in this test refuses what is not the exposition format', () => {
  const refuses = (text: string): void => assert.throws(() => parseExposition(text), assert.AssertionError, text)
  const good = '# HELP a_b the help\n# TYPE a_b gauge\na_b{output="out1"} 1\n'
  assert.equal(parseExposition(good).get('a_b')?.samples[0]?.value, 1)
  refuses(good.slice(0, -1))
  refuses('# TYPE a_b gauge\na_b 1\n')
  refuses('# HELP a_b h\n# TYPE a_b gauge\na_b{output=out1} 1\n')
  refuses('# HELP a_b h\n# TYPE a_b gauge\na_b{output="out1" x="y"} 1\n')
  refuses('# HELP a_b h\n# TYPE a_b gauge\na_b{output="out1"} one\n')
  refuses('# HELP a_b h\n# TYPE a_b gauge\na_b{output="out1"} 1\na_b{output="out1"} 2\n')
  refuses('# HELP a_b h\n# TYPE a_b gauge\nc_d 1\n')
  refuses('# HELP a_b h\n# TYPE a_b meter\na_b 1\n')
  refuses('# HELP a_b h\n# TYPE a_b gauge\n# HELP a_b h\n# TYPE a_b gauge\n')
})
