import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execa } from 'execa'
import { HealthChecker, STOP_GRACE_MS, type HealthCheckerOptions, type Probe } from '../../../src/health/health-checker.js'
import type { OutputName } from '../../../src/properties/model.js'
import type { OutputHealth } from '../../../src/model/health.js'

const INTERVAL_MS = 10
const WAIT_MS = 3000

/** What the checker reported, with how many checks of that address had been answered then. */
interface Change {
  output: OutputName
  health: OutputHealth
  checks: number
}

/** A probe that answers each address from its own list, repeating the last answer once the list is used up. */
class ScriptedProbe {
  readonly calls: string[] = []
  readonly #answers: Map<string, boolean[]>

  constructor (answers: Record<string, boolean[]>) {
    this.#answers = new Map(Object.entries(answers))
  }

  readonly probe: Probe = async (address) => {
    this.calls.push(address)
    const list = this.#answers.get(address)
    if (list === undefined || list.length === 0) throw new Error(`no answers scripted for ${address}`)
    return list.length > 1 ? list.shift() ?? false : list[0] ?? false
  }

  count (address: string): number {
    return this.calls.filter((called) => called === address).length
  }
}

function checker (probe: Probe, changes: Change[], counted: ScriptedProbe | null, options: Partial<HealthCheckerOptions> = {}): HealthChecker {
  return new HealthChecker({
    probe,
    intervalMs: INTERVAL_MS,
    timeoutMs: 50,
    rise: 2,
    fall: 3,
    onChange: (output, health) => {
      const address = `a-${output}`
      changes.push({ output, health, checks: counted?.count(address) ?? 0 })
    },
    ...options
  })
}

// Polls until `condition` holds; fails the test after WAIT_MS.
async function waitUntil (what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`expected ${what} within ${WAIT_MS} ms`)
    await sleep(5)
  }
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

describe('HealthChecker', () => {
  it('goes down after exactly `fall` failures in a row and up after exactly `rise` successes in a row', async () => {
    const script = new ScriptedProbe({
      // 2 failures broken by a success, then 3 in a row: down at check 6;
      // 1 success broken by a failure, then 2 in a row: up at check 10
      'a-out1': [false, false, true, false, false, false, true, false, true, true, true]
    })
    const changes: Change[] = []
    const health = checker(script.probe, changes, script)
    health.start([{ name: 'out1', address: 'a-out1' }])
    await waitUntil('12 checks', () => script.count('a-out1') >= 12)
    await health.stop()
    assert.deepEqual(changes, [
      { output: 'out1', health: 'down', checks: 6 },
      { output: 'out1', health: 'up', checks: 10 }
    ])
    assert.equal(health.health().get('out1'), 'up')
    assert.equal(health.failures().get('out1'), 6)
  })

  it('starts from the initial state and reports nothing while it holds', async () => {
    const script = new ScriptedProbe({ 'a-out1': [false], 'a-out2': [true, true] })
    const changes: Change[] = []
    const health = checker(script.probe, changes, script, { rise: 2 })
    health.start([{ name: 'out1', address: 'a-out1' }, { name: 'out2', address: 'a-out2' }], new Map([['out1', 'down'], ['out2', 'down']]))
    assert.deepEqual([...health.health()], [['out1', 'down'], ['out2', 'down']])
    await waitUntil('6 checks of each', () => script.count('a-out1') >= 6 && script.count('a-out2') >= 6)
    await health.stop()
    assert.deepEqual(changes, [{ output: 'out2', health: 'up', checks: 2 }])
    assert.deepEqual([...health.health()], [['out1', 'down'], ['out2', 'up']])
  })

  it('counts every failed probe, and a probe that throws as a failure logged once', async () => {
    const lines: string[] = []
    const changes: Change[] = []
    let calls = 0
    const probe: Probe = async () => {
      calls++
      throw new Error('ping is missing')
    }
    const health = checker(probe, changes, null, { fall: 2, log: { info: (line) => lines.push(line) } })
    health.start([{ name: 'out3', address: 'a-out3' }])
    await waitUntil('5 checks', () => calls >= 5)
    await health.stop()
    assert.deepEqual(changes, [{ output: 'out3', health: 'down', checks: 0 }])
    assert.equal(health.failures().get('out3'), calls)
    assert.equal(lines.filter((line) => line.includes('ping is missing')).length, 1, lines.join('\n'))
    assert.ok(lines.some((line) => line === 'out3 (a-out3) is down after 2 failed checks in a row'), lines.join('\n'))
  })

  it('never has two checks of one output in flight, and waits the interval after each', async () => {
    const probeMs = 30
    let inFlight = 0
    let most = 0
    let calls = 0
    const gaps: number[] = []
    let lastEnd = 0
    const probe: Probe = async () => {
      if (lastEnd > 0) gaps.push(Date.now() - lastEnd)
      calls++
      inFlight++
      most = Math.max(most, inFlight)
      await sleep(probeMs)
      inFlight--
      lastEnd = Date.now()
      return true
    }
    // the slow probe takes three intervals: a fixed-rate timer would overlap it
    const health = checker(probe, [], null)
    health.start([{ name: 'out1', address: 'a-out1' }])
    await waitUntil('5 checks', () => calls >= 5)
    await health.stop()
    assert.equal(most, 1)
    // timers may fire a millisecond early by the wall clock
    assert.ok(gaps.every((gap) => gap >= INTERVAL_MS - 1), `gaps between checks: ${gaps.join(', ')} ms`)
  })

  it('stop() waits for a check in flight and drops its result', async () => {
    let release: (ok: boolean) => void = () => {}
    let calls = 0
    const probe: Probe = () => {
      calls++
      return new Promise((resolve) => { release = resolve })
    }
    const changes: Change[] = []
    const health = checker(probe, changes, null, { fall: 1 })
    health.start([{ name: 'out1', address: 'a-out1' }])
    await waitUntil('the first check', () => calls === 1)
    let stopped = false
    const stopping = health.stop().then(() => { stopped = true })
    await sleep(30)
    assert.equal(stopped, false, 'stop() resolved with a check in flight')
    release(false)
    await stopping
    await sleep(5 * INTERVAL_MS)
    assert.deepEqual(changes, [])
    assert.equal(health.health().get('out1'), 'up')
    assert.equal(health.failures().get('out1'), 0)
    assert.equal(calls, 1)
  })

  it('stop() gives up on a probe that never settles after the timeout and the grace', async () => {
    const timeoutMs = 20
    const probe: Probe = () => new Promise(() => {})
    let calls = 0
    const health = checker(async (address, ms) => { calls++; return await probe(address, ms) }, [], null, { timeoutMs })
    health.start([{ name: 'out1', address: 'a-out1' }])
    await waitUntil('the first check', () => calls === 1)
    const began = Date.now()
    await health.stop()
    const took = Date.now() - began
    assert.ok(took >= timeoutMs + STOP_GRACE_MS - 5 && took < timeoutMs + STOP_GRACE_MS + 500, `stop() took ${took} ms`)
  })

  it('update() keeps unchanged outputs, restarts readdressed ones, starts new ones and stops removed ones', async () => {
    const script = new ScriptedProbe({
      'a-out1': [false],
      'a-out2': [false],
      'a-out3': [true],
      'b-out2': [true],
      'a-out4': [false]
    })
    const changes: Change[] = []
    const health = checker(script.probe, changes, script, { fall: 2 })
    health.start([{ name: 'out1', address: 'a-out1' }, { name: 'out2', address: 'a-out2' }, { name: 'out3', address: 'a-out3' }])
    await waitUntil('out1 and out2 down', () => changes.length === 2)
    const out1Failures = health.failures().get('out1') ?? 0

    health.update([{ name: 'out1', address: 'a-out1' }, { name: 'out2', address: 'b-out2' }, { name: 'out4', address: 'a-out4' }])
    assert.deepEqual([...health.health()], [['out1', 'down'], ['out2', 'up'], ['out4', 'up']])
    assert.equal(health.failures().get('out2'), 0)
    assert.ok((health.failures().get('out1') ?? 0) >= out1Failures, 'out1 lost its failures')
    const out3Calls = script.count('a-out3')
    const out2OldCalls = script.count('a-out2')

    await waitUntil('out4 down', () => changes.some((change) => change.output === 'out4'))
    await waitUntil('3 checks of b-out2', () => script.count('b-out2') >= 3)
    await health.stop()
    // at most the check already in flight at update() ends, unreported
    assert.ok(script.count('a-out3') <= out3Calls + 1, 'out3 is still checked')
    assert.ok(script.count('a-out2') <= out2OldCalls + 1, 'the old address of out2 is still checked')
    assert.deepEqual(changes.map(({ output, health }) => `${output} ${health}`).sort(), ['out1 down', 'out2 down', 'out4 down'])
    assert.deepEqual([...health.health()], [['out1', 'down'], ['out2', 'up'], ['out4', 'down']])
    assert.equal(health.failures().has('out3'), false)
  })

  it('interval 0 checks nothing and keeps every output up', async () => {
    let calls = 0
    const changes: Change[] = []
    const health = checker(async () => { calls++; return false }, changes, null, { intervalMs: 0, fall: 1 })
    health.start([{ name: 'out1', address: 'a-out1' }, { name: 'out2', address: 'a-out2' }], new Map([['out2', 'down']]))
    health.update([{ name: 'out1', address: 'a-out1' }, { name: 'out5', address: 'a-out5' }])
    await sleep(100)
    await health.stop()
    assert.equal(calls, 0)
    assert.deepEqual(changes, [])
    assert.deepEqual([...health.health()], [['out1', 'up'], ['out5', 'up']])
    assert.deepEqual([...health.failures()], [['out1', 0], ['out5', 0]])
  })

  it('refuses a second start() and settings out of range', () => {
    const health = checker(async () => true, [], null, { intervalMs: 0 })
    health.start([])
    assert.throws(() => health.start([]), /already running/)
    assert.throws(() => checker(async () => true, [], null, { rise: 0 }), /rise must be an integer of at least 1, got 0/)
    assert.throws(() => checker(async () => true, [], null, { fall: 1.5 }), /fall must be an integer/)
    assert.throws(() => checker(async () => true, [], null, { intervalMs: -1 }), /intervalMs must be a number of at least 0/)
    assert.throws(() => checker(async () => true, [], null, { timeoutMs: 0 }), /timeoutMs/)
  })

  it('does not keep the process alive', async () => {
    const module = new URL('../../../src/health/health-checker.js', import.meta.url).href
    const program = `
      import { HealthChecker } from '${module}'
      new HealthChecker({ probe: async () => true, intervalMs: 60000, timeoutMs: 1000, rise: 1, fall: 1, onChange: () => {} })
        .start([{ name: 'out1', address: 'x' }])
      setTimeout(() => console.log('checked'), 50)
    `
    const result = await execa(process.execPath, ['--input-type=module', '-e', program], { timeout: 10_000, reject: false })
    assert.equal(result.timedOut, false, 'the child process was kept alive by the checker')
    assert.equal(result.exitCode, 0, result.stderr)
    assert.equal(result.stdout, 'checked')
  })
})
