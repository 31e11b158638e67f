/** The services whose ports meet, found by a sweep: the same pairs as comparing every pair. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { portSharingPairs } from '../../../src/properties/configuration.js'
import type { PortRange, Service } from '../../../src/properties/model.js'
import { int, seededRandom } from '../../support/seeded-random.js'

type Listener = Pick<Service, 'mode' | 'ports'>

const tcp = (...ports: PortRange[]): Listener => ({ mode: 'tcp_roundrobin', ports })
const udp = (...ports: PortRange[]): Listener => ({ mode: 'udp_roundrobin', ports })
const port = (low: number, high = low): PortRange => ({ low, high })

// every pair, as the validation compared them before the sweep
function everyPair (services: readonly Listener[]): Array<readonly [number, number]> {
  const pairs: Array<readonly [number, number]> = []
  services.forEach((later, index) => {
    services.slice(0, index).forEach((earlier, at) => {
      const sameProtocol = (earlier.mode === 'udp_roundrobin') === (later.mode === 'udp_roundrobin')
      const meet = earlier.ports.some((a) => later.ports.some((b) => Math.max(a.low, b.low) <= Math.min(a.high, b.high)))
      if (sameProtocol && meet) pairs.push([at, index])
    })
  })
  return pairs
}

test('ranges that meet on the same protocol make a pair, by later then earlier; UDP and TCP on one port do not', () => {
  const services = [tcp(port(80)), tcp(port(80, 90)), udp(port(80)), tcp(port(100)), tcp(port(85)), udp(port(70, 80))]
  assert.deepEqual(portSharingPairs(services), [[0, 1], [1, 4], [2, 5]])
  assert.deepEqual(portSharingPairs([]), [])
  // a service's own ranges never pair with each other
  assert.deepEqual(portSharingPairs([tcp(port(80), port(80, 81))]), [])
})

test('the sweep finds exactly the pairs that comparing every pair finds (random services, fixed seed)', () => {
  const random = seededRandom(7)
  for (let round = 0; round < 200; round++) {
    const services = Array.from({ length: int(random, 1, 40) }, () => {
      const ranges = Array.from({ length: int(random, 1, 3) }, () => { const low = int(random, 1, 300); return port(low, low + (int(random, 0, 3) === 0 ? int(random, 0, 29) : 0)) })
      return int(random, 0, 2) === 0 ? udp(...ranges) : tcp(...ranges)
    })
    assert.deepEqual(portSharingPairs(services), everyPair(services), `round ${round}`)
  }
})

test('256 services on ports of their own: no pair', () => {
  assert.deepEqual(portSharingPairs(Array.from({ length: 256 }, (_, i) => tcp(port(10000 + i)))), [])
})
