import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cycleLength, reducedWeights, UDP_CYCLE_LIMIT, weightedCycle } from '../../../src/properties/udp-weights.js'
import { stateWithServices } from '../../support/fixtures.js'

test('weights are reduced by their greatest common divisor; zeros stay zero; all zero is all zero', () => {
  assert.deepEqual(reducedWeights([2, 4, 6]), [1, 2, 3])
  assert.deepEqual(reducedWeights([0, 256, 128]), [0, 2, 1])
  assert.deepEqual(reducedWeights([0, 0]), [0, 0])
  assert.equal(cycleLength([256, 256, 256]), 3)
})

test('the cycle spreads a heavy server\'s flows out rather than in a row', () => {
  assert.deepEqual(weightedCycle([1, 1, 2]), [2, 0, 1, 2])
  assert.deepEqual(weightedCycle([3, 1]), [0, 0, 1, 0])
  assert.deepEqual(weightedCycle([0, 0]), [])
})

test('a UDP service whose weights reduce to a cycle over the limit is refused, with the cycle and the limit named', () => {
  // 17 coprime-ish weights near 256 sum to well over 4096
  const servers = Array.from({ length: 17 }, (_, i) => `server_s${i}=198.18.5.${i + 1} weight=${256 - i}\n`).join('')
  assert.throws(() => stateWithServices('mode=tcp_roundrobin\nout1=198.18.1.2\n', { web: `mode=udp_roundrobin\nports=5060\n${servers}` }),
    new RegExp(`web\\.env: servers: the weights of a udp_roundrobin service spread new flows over a cycle of 4216 flows .* at most ${UDP_CYCLE_LIMIT} are accepted`))
  // the same weights halved in number pass
  const fewer = Array.from({ length: 8 }, (_, i) => `server_s${i}=198.18.5.${i + 1} weight=${256 - i}\n`).join('')
  stateWithServices('mode=tcp_roundrobin\nout1=198.18.1.2\n', { web: `mode=udp_roundrobin\nports=5060\n${fewer}` })
})
