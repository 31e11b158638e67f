import { test } from 'node:test'
import assert from 'node:assert/strict'
import { firstSharedPort, parsePorts } from '../../../src/properties/ports.js'

function ranges (text: string): Array<[number, number]> {
  const result = parsePorts(text)
  assert.ok(result.ok, `${text}: ${result.ok ? '' : result.reasons.join('; ')}`)
  return result.ranges.map((range) => [range.low, range.high])
}

function reasons (text: string): readonly string[] {
  const result = parsePorts(text)
  assert.ok(!result.ok, text)
  return result.reasons
}

test('the seed example parses into sorted, merged ranges', () => {
  assert.deepEqual(ranges('80,81,90-99 110:120 140 141'), [[80, 81], [90, 99], [110, 120], [140, 141]])
})

test('one port is a range of one', () => {
  assert.deepEqual(ranges('80'), [[80, 80]])
  assert.deepEqual(ranges('1 65535'), [[1, 1], [65535, 65535]])
})

test('overlapping, touching and repeated ports merge, whatever the order', () => {
  assert.deepEqual(ranges('443 80 80 70-85 86:90 100-200 150-160'), [[70, 90], [100, 200], [443, 443]])
})

test('spaces, commas, tabs and repeated separators all separate', () => {
  assert.deepEqual(ranges(' 80,\t81 ,, 83 '), [[80, 81], [83, 83]])
})

test('a range whose low is above its high is refused', () => {
  assert.deepEqual(reasons('80-70'), ['"80-70" is not accepted: a range must be low-high with low <= high'])
})

test('ports outside 1..65535 are refused', () => {
  for (const token of ['0', '65536', '0-10', '65000-70000', '99999999999']) {
    assert.deepEqual(reasons(token), [`"${token}" is not accepted: a port must be from 1 to 65535`])
  }
})

test('what is not a decimal port or range is refused with what is accepted', () => {
  for (const token of ['abc', '1e3', '0x10', '-1', '+80', '12abc', '80-', '80--90', '80-90-100', '80.5']) {
    assert.deepEqual(reasons(token), [`"${token}" is not accepted: a port is a number from 1 to 65535, a range is low-high or low:high, separated by spaces or commas`])
  }
})

test('every bad token is reported', () => {
  assert.equal(reasons('0 80 x 90-80').length, 3)
})

test('an empty list is refused', () => {
  assert.deepEqual(reasons(' , '), ['" , " is not accepted: give at least one port (1 to 65535) or range, separated by spaces or commas'])
  assert.equal(reasons('').length, 1)
})

test('firstSharedPort finds the lowest common port or null', () => {
  assert.equal(firstSharedPort([{ low: 80, high: 90 }, { low: 8000, high: 9000 }], [{ low: 8080, high: 8080 }]), 8080)
  assert.equal(firstSharedPort([{ low: 80, high: 90 }], [{ low: 85, high: 100 }, { low: 1, high: 82 }]), 80)
  assert.equal(firstSharedPort([{ low: 80, high: 90 }], [{ low: 91, high: 100 }]), null)
})

test('the first port as written is kept apart from the sorted ranges, for the health check', () => {
  const result = parsePorts('443, 80 90-99')
  assert.ok(result.ok)
  assert.equal(result.first, 443)
  assert.deepEqual(result.ranges, [{ low: 80, high: 80 }, { low: 90, high: 99 }, { low: 443, high: 443 }])
  const range = parsePorts('8000:8010,22')
  assert.ok(range.ok)
  assert.equal(range.first, 8000)
})
