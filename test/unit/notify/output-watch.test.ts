import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OutputWatch } from '../../../src/notify/output-watch.js'
import type { OutputName } from '../../../src/properties/model.js'
import type { OutputHealth, OutputReport } from '../../../src/model/health.js'

function watchOver (reads: Array<Array<[OutputName, OutputHealth]> | Error>): { watch: OutputWatch, changes: string[], service: string[] } {
  const changes: string[] = []
  const service: string[] = []
  const watch = new OutputWatch({
    read: async () => {
      const next = reads.shift()
      if (next === undefined || next instanceof Error) throw next ?? new Error('no more reads')
      // a down output says why, and the reason may change while it stays down: not a change
      return new Map(next.map(([output, health]): [OutputName, OutputReport] => [output, { health, reason: health === 'down' ? `reason ${reads.length}` : '' }]))
    },
    onChange: (output, { health, reason }) => changes.push(`${output} ${health}${reason === '' ? '' : ` (${reason})`}`),
    onService: (state, outputs) => service.push(`${state} ${outputs.join(',')}`),
    intervalMs: 60_000
  })
  return { watch, changes, service }
}

test('the first read only learns; later reads report each change once', async () => {
  const { watch, changes } = watchOver([
    [['out1', 'down'], ['out2', 'up']],
    [['out1', 'down'], ['out2', 'up']],
    [['out1', 'up'], ['out2', 'down']],
    [['out1', 'up'], ['out2', 'down']]
  ])
  for (let i = 0; i < 4; i++) await watch.check()
  assert.deepEqual(changes, ['out1 up', 'out2 down (reason 1)'])
})

test('outputs disabled, removed or newly connected are not changes; a failed read is skipped', async () => {
  const { watch, changes } = watchOver([
    [['out1', 'up'], ['out2', 'up']],
    // out2 disabled through ctl, out3 connected by a reload
    [['out1', 'up'], ['out3', 'down']],
    new Error('HAProxy reloading'),
    [['out1', 'down'], ['out2', 'down'], ['out3', 'down']]
  ])
  for (let i = 0; i < 4; i++) await watch.check()
  assert.deepEqual(changes, ['out1 down (reason 0)'])
})

test('the last output up going down is the outage, said after the outputs\' own changes; one up again ends it', async () => {
  const { watch, changes, service } = watchOver([
    [['out1', 'up'], ['out2', 'up'], ['out3', 'down']],
    [['out1', 'down'], ['out2', 'up'], ['out3', 'down']],
    [['out1', 'down'], ['out2', 'down'], ['out3', 'down']],
    [['out1', 'down'], ['out2', 'down'], ['out3', 'down']],
    [['out1', 'down'], ['out2', 'up'], ['out3', 'up']],
    [['out1', 'up'], ['out2', 'up'], ['out3', 'up']]
  ])
  const order: string[] = []
  for (let i = 0; i < 6; i++) {
    const before = [changes.length, service.length]
    await watch.check()
    if (service.length > before[1]!) order.push(`after ${changes.length - before[0]!} change(s): ${service.at(-1)!}`)
  }
  assert.deepEqual(service, ['down out1,out2,out3', 'up out2,out3'])
  assert.deepEqual(order, ['after 1 change(s): down out1,out2,out3', 'after 2 change(s): up out2,out3'])
})

test('no outage when every output is disabled (ctl\'s doing), nor at the first read; back up only after a down', async () => {
  const { watch, service } = watchOver([
    // all down at the first read (an agent restarted during an outage): not announced, nor its end
    [['out1', 'down']],
    [['out1', 'up']],
    // every output disabled, then out1 enabled while down
    [],
    [['out1', 'down']],
    [['out1', 'up']]
  ])
  for (let i = 0; i < 5; i++) await watch.check()
  assert.deepEqual(service, [])
})

test('start reads at once and on its interval; stop waits for a read in flight', async () => {
  let reads = 0
  const watch = new OutputWatch({ read: async () => { reads += 1; return new Map() }, onChange: () => {}, intervalMs: 20 })
  watch.start()
  await new Promise((resolve) => setTimeout(resolve, 110))
  await watch.stop()
  const after = reads
  assert.ok(after >= 3, `${after} reads`)
  await new Promise((resolve) => setTimeout(resolve, 60))
  assert.equal(reads, after)
})
