// The benchmark's pure parts (scripts/bench/lib): its figures and its charts.
import { test } from 'node:test'
import assert from 'node:assert/strict'

// scripts/ is plain JavaScript outside the TypeScript build: loaded from beside dist/
const lib = (file: string): string => new URL(`../../../../scripts/bench/lib/${file}`, import.meta.url).href
const { barChartSvg, tickStep } = await import(lib('chart.mjs'))
const { pairedRatio, summarise } = await import(lib('measure.mjs'))
const { charts, partialRunNote } = await import(lib('report.mjs'))

const runs = (...values: number[]): Array<{ value: number, errors: number }> => values.map((value) => ({ value, errors: 0 }))

test('paired ratio: round by round, median over the rounds, not the ratio of the medians', () => {
  // the machine got twice as slow in round 2: both contenders moved alike
  assert.equal(pairedRatio(runs(90, 45, 95), runs(100, 50, 100)), 0.9)
  assert.equal(pairedRatio(runs(90), runs(100, 50)), null, 'rounds that do not pair up give no paired ratio')
  assert.equal(pairedRatio(runs(90), undefined), null)
})

test('summarise: medians, spread, ratios to both baselines and the paired ratio', () => {
  const section = { runs: { direct: runs(200, 200, 200), tuned: runs(100, 50, 100), l3lb: runs(90, 45, 95) } }
  summarise(section, 'direct', 'tuned')
  const l3lb = (section as unknown as { summary: Record<string, Record<string, number>> }).summary.l3lb!
  assert.equal(l3lb.median, 90)
  assert.equal(l3lb.ratioToBaseline, 0.45)
  assert.equal(l3lb.ratioToSecond, 0.9)
  assert.equal(l3lb.pairedRatioToSecond, 0.9)
  assert.ok(Math.abs(l3lb.spread! - 50 / 90) < 1e-9)
})

test('tick step: 1, 2 or 5 times a power of ten', () => {
  assert.equal(tickStep(1.05), 0.2)
  assert.equal(tickStep(28), 5)
  assert.equal(tickStep(360_000), 50_000)
  assert.equal(tickStep(0), 1)
})

test('bar chart: one bar per finite value, its figure printed, the aim marked, text escaped', () => {
  const svg: string = barChartSvg({
    title: 'A <b> & c',
    groups: [
      { label: 'case one', aim: 0.95, bars: [{ name: 'l3lb', value: 0.97 }, { name: 'haproxy-tuned', value: 1 }] },
      { label: 'not measured', bars: [{ name: 'l3lb', value: null }] }
    ]
  })
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  assert.match(svg, /<\/svg>\n$/)
  assert.equal((svg.match(/<rect [^>]*><title>/g) ?? []).length, 2)
  assert.match(svg, />0\.97</)
  assert.match(svg, />1\.00</)
  assert.match(svg, /A &lt;b&gt; &amp; c/)
  assert.doesNotMatch(svg, /not measured/, 'a group with nothing measured is left out')
  assert.equal((svg.match(/stroke-dasharray/g) ?? []).length, 2, 'the aim in the group and in the legend')
  // the same figures give the same picture byte for byte
  assert.equal(svg, barChartSvg({ title: 'A <b> & c', groups: [{ label: 'case one', aim: 0.95, bars: [{ name: 'l3lb', value: 0.97 }, { name: 'haproxy-tuned', value: 1 }] }, { label: 'not measured', bars: [{ name: 'l3lb', value: null }] }] }))
})

test('bar chart: bars are drawn to scale', () => {
  const svg: string = barChartSvg({ title: 't', groups: [{ label: 'g', bars: [{ name: 'l3lb', value: 1 }, { name: 'direct', value: 2 }] }] })
  const widths = [...svg.matchAll(/<rect x="\d+" y="\d+" width="([\d.]+)" height="16"/g)].map((m) => Number(m[1]))
  assert.equal(widths.length, 2)
  assert.ok(Math.abs(widths[1]! / widths[0]! - 2) < 0.01, `widths ${widths.join(', ')}`)
})

test('charts: one per section the results have, from the paired ratios and the memory figures', () => {
  const tcp = { close: { runs: { 'haproxy-tuned': runs(100, 100), l3lb: runs(96, 98), 'nginx-stream': runs(90, 92) } } }
  summarise(tcp.close, 'direct', 'haproxy-tuned')
  const session = (idle: number, busy: number): object => ({ idle: { bytesPerSession: idle * 1024 }, busy: { bytesPerSession: busy * 1024 } })
  const made = charts({
    options: { runs: 2, sessionCount: 9500, busyCount: 1000 },
    tcp,
    sessions: { l3lb: session(3.5, 10.9), 'haproxy-tuned': session(3.3, 3.7), 'nginx-stream': session(9.3, 21.7) }
  })
  assert.deepEqual(Object.keys(made).sort(), ['sessions', 'tcp'])
  assert.match(made.tcp, /new connections\/s/)
  assert.match(made.tcp, />0\.97</)
  assert.match(made.sessions, />10\.9 kB</)
  assert.match(made.sessions, />budget</)
})

test('partial-run note: one line per section, naming each group redone and where the others come from', () => {
  const run = (date: string): unknown => ({ date, runs: 3, seconds: 5, elapsedSeconds: 17 })
  const base = { host: { date: 'FULL' }, reload: {}, kill: {} }
  assert.deepEqual(partialRunNote(base, ['reload', 'kill']), [])
  assert.deepEqual(partialRunNote({ ...base, partialRuns: { kill: run('K') } }, ['reload', 'kill']), [
    'In this section the `kill` figures come from a `--only kill` run at K (3 repetitions of 5 s, 17 s in all); the `reload` figures from the full run at FULL, on the same shared machine.', ''])
  assert.deepEqual(partialRunNote({ ...base, partialRuns: { kill: run('K'), reload: run('K') } }, ['reload', 'kill']), [
    'These figures come from a `--only reload,kill` run at K (3 repetitions of 5 s, 17 s in all), on the same shared machine.', ''])
  // a group the results do not have is not named
  assert.deepEqual(partialRunNote({ host: { date: 'FULL' }, kill: {}, partialRuns: { kill: run('K') } }, ['reload', 'kill']), [
    'These figures come from a `--only kill` run at K (3 repetitions of 5 s, 17 s in all), on the same shared machine.', ''])
})
