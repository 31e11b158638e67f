/**
 * forgetServiceFlows against the kernel's own conntrack table, in a namespace the test makes:
 * the flows of one service's server at a shared host go, every other flow stays, whether one
 * selection does it or a listing and one `conntrack -R` run of several.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { forgetServiceFlows, listUdpFlows } from '../../../src/netfilter/conntrack.js'
import type { FlowTarget } from '../../../src/netfilter/flow-filters.js'
import { createTopology, type Topology } from '../../support/topology.js'

let topology: Topology
let command: string[]

const VIP = '198.18.0.1'
const OTHER_VIP = '198.18.0.2'
const HOST = '198.18.5.1'
const port = (low: number, high = low): { low: number, high: number } => ({ low, high })
const sip: FlowTarget = { address: HOST, port: null, inAddrs: [VIP], ports: [port(5060), port(10000, 20000)] }

before(async () => {
  topology = await createTopology({ backends: 1 })
  command = ['ip', 'netns', 'exec', topology.names.lb]
})

after(async () => {
  await topology?.destroy()
})

let clientPort = 40000

// a translated flow as conntrack holds it: client:(a new port) -> to:toPort, answered by from:replyPort
async function insert (client: string, to: string, toPort: number, from: string, replyPort: number): Promise<void> {
  const sport = String(clientPort++)
  const args = ['-I', '-p', 'udp', '-s', client, '-d', to, '--sport', sport, '--dport', String(toPort), '-r', from, '-q', client,
    '--reply-port-src', String(replyPort), '--reply-port-dst', sport, '-t', '120']
  const result = await topology.exec(topology.names.lb, 'conntrack', args)
  assert.match(result.stderr, /1 flow entries have been created/)
}

async function remaining (): Promise<string[]> {
  const flows = await listUdpFlows(4, { command })
  return flows.map((flow) => `${flow.to}:${flow.toPort} ${flow.replyFrom}:${flow.replyFromPort}`).sort()
}

test('told apart by port only: one listing, then the ports in use deleted in one run; the other service\'s and server\'s flows stay', async () => {
  await insert('198.18.9.1', VIP, 5060, HOST, 5060)
  await insert('198.18.9.2', VIP, 5060, HOST, 5060)
  await insert('198.18.9.1', VIP, 12000, HOST, 12000)
  await insert('198.18.9.2', VIP, 12002, HOST, 12002)
  await insert('198.18.9.1', VIP, 7100, HOST, 7100)
  await insert('198.18.9.1', VIP, 5060, '198.18.5.2', 5060)
  const echo: FlowTarget = { address: HOST, port: null, inAddrs: [VIP], ports: [port(7100)] }
  assert.equal(await forgetServiceFlows({ target: sip, keep: [echo] }, { command }), 4)
  assert.deepEqual(await remaining(), [`${VIP}:5060 198.18.5.2:5060`, `${VIP}:7100 ${HOST}:7100`])
  assert.equal(await forgetServiceFlows({ target: sip, keep: [echo] }, { command }), 0, 'nothing left to forget is not an error')
  assert.equal(await forgetServiceFlows({ target: echo, keep: [sip] }, { command }), 1)
  assert.deepEqual(await remaining(), [`${VIP}:5060 198.18.5.2:5060`])
})

test('told apart by in address, or by the server\'s own port: one deletion', async () => {
  await insert('198.18.9.3', VIP, 5060, HOST, 5060)
  await insert('198.18.9.3', OTHER_VIP, 5060, HOST, 5060)
  const other: FlowTarget = { ...sip, inAddrs: [OTHER_VIP] }
  assert.equal(await forgetServiceFlows({ target: sip, keep: [other] }, { command }), 1)
  assert.ok((await remaining()).includes(`${OTHER_VIP}:5060 ${HOST}:5060`))
  await insert('198.18.9.4', OTHER_VIP, 7000, HOST, 6000)
  const own: FlowTarget = { address: HOST, port: 6000, inAddrs: [OTHER_VIP], ports: [port(7000)] }
  assert.equal(await forgetServiceFlows({ target: own, keep: [other] }, { command }), 1)
  assert.deepEqual(await remaining(), [`${VIP}:5060 198.18.5.2:5060`, `${OTHER_VIP}:5060 ${HOST}:5060`])
})
