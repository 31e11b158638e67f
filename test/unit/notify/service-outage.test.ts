import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OutputWatch } from '../../../src/notify/output-watch.js'
import type { ServerReport } from '../../../src/model/health.js'

type Read = Array<[string, 'up' | 'down']>

// keys as the appliance gives them: out1 for default's outputs, service/server for the files'; the env file's outage and the files' told apart
function watchOver (reads: Read[], services?: () => string[]): { watch: OutputWatch<ServerReport>, told: string[] } {
  const told: string[] = []
  const watch = new OutputWatch<ServerReport>({
    read: async () => {
      const next = reads.shift()
      if (next === undefined) throw new Error('no more reads')
      return new Map(next.map(([key, health]): [string, ServerReport] => {
        const [service, server] = key.includes('/') ? key.split('/') as [string, string] : ['default', key]
        return [key, { service, server, address: '198.18.9.9', port: null, health, reason: health === 'down' ? 'Layer4 timeout' : '' }]
      }))
    },
    onChange: (key, report) => told.push(`change ${key} ${report.health}`),
    onService: (state, outputs) => told.push(`default ${state} ${outputs.join(',')}`),
    onFileService: (service, state, servers) => told.push(`${service} ${state} ${servers.join(',')}`),
    intervalMs: 60_000,
    ...(services === undefined ? {} : { services })
  })
  return { watch, told }
}

async function checks (watch: OutputWatch<ServerReport>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await watch.check()
}

test('a service file\'s last server up going down is its outage, with every server down, after the servers\' own changes; one up again ends it', async () => {
  const { watch, told } = watchOver([
    [['out1', 'up'], ['web/web1', 'up'], ['web/web2', 'up'], ['web/web3', 'down']],
    [['out1', 'up'], ['web/web1', 'down'], ['web/web2', 'up'], ['web/web3', 'down']],
    [['out1', 'up'], ['web/web1', 'down'], ['web/web2', 'down'], ['web/web3', 'down']],
    [['out1', 'up'], ['web/web1', 'down'], ['web/web2', 'down'], ['web/web3', 'down']],
    [['out1', 'up'], ['web/web1', 'up'], ['web/web2', 'down'], ['web/web3', 'up']],
    [['out1', 'up'], ['web/web1', 'up'], ['web/web2', 'up'], ['web/web3', 'up']]
  ])
  await checks(watch, 6)
  assert.deepEqual(told, [
    'change web/web1 down',
    'change web/web2 down',
    'web down web1,web2,web3',
    'change web/web1 up',
    'change web/web3 up',
    'web up web1,web3',
    'change web/web2 up'
  ])
})

test('two services go dark and come back each on its own; the env file\'s outage stays the seed\'s, apart from theirs', async () => {
  const { watch, told } = watchOver([
    [['out1', 'up'], ['web/web1', 'up'], ['app/a', 'up'], ['app/b', 'up']],
    [['out1', 'up'], ['web/web1', 'down'], ['app/a', 'down'], ['app/b', 'up']],
    [['out1', 'down'], ['web/web1', 'down'], ['app/a', 'down'], ['app/b', 'down']],
    [['out1', 'down'], ['web/web1', 'up'], ['app/a', 'down'], ['app/b', 'down']],
    [['out1', 'up'], ['web/web1', 'up'], ['app/a', 'down'], ['app/b', 'up']]
  ])
  await checks(watch, 5)
  assert.deepEqual(told.filter((line) => !line.startsWith('change ')), [
    'web down web1',
    'default down out1',
    'app down a,b',
    'web up web1',
    'default up out1',
    'app up b'
  ])
})

test('the first read only learns: a service already dark when the agent starts is not announced, nor its end', async () => {
  const { watch, told } = watchOver([
    [['web/web1', 'down'], ['web/web2', 'down']],
    [['web/web1', 'up'], ['web/web2', 'down']],
    [['web/web1', 'down'], ['web/web2', 'down']]
  ])
  await checks(watch, 3)
  assert.deepEqual(told, ['change web/web1 up', 'change web/web1 down', 'web down web1,web2'])
})

test('a service whose servers are all disabled or draining (left out of the read) says nothing, nor when one is enabled while down', async () => {
  const { watch, told } = watchOver([
    [['web/web1', 'up'], ['web/web2', 'up'], ['app/a', 'up']],
    // ctl disabled web1 and drained web2: web is not in the read
    [['app/a', 'up']],
    [['app/a', 'up']],
    // web1 enabled again while down, then up
    [['web/web1', 'down'], ['app/a', 'up']],
    [['web/web1', 'up'], ['app/a', 'up']],
    // the watch still tells another service's outage
    [['web/web1', 'up'], ['app/a', 'down']]
  ])
  await checks(watch, 6)
  assert.deepEqual(told, ['change web/web1 up', 'change app/a down', 'app down a'])
})

test('a service that a reload removes says nothing, and one it adds already dark says nothing', async () => {
  const { watch, told } = watchOver([
    [['out1', 'up'], ['web/web1', 'up'], ['app/a', 'up']],
    [['out1', 'up'], ['app/a', 'up'], ['new/n1', 'down']],
    [['out1', 'up'], ['app/a', 'up'], ['new/n1', 'down']],
    [['out1', 'up'], ['app/a', 'down'], ['new/n1', 'down']]
  ])
  await checks(watch, 4)
  assert.deepEqual(told, ['change app/a down', 'app down a'], 'only the service that stayed and went dark')
})

test('a service removed during its outage takes the outage with it: one of that name added later, up, says nothing; all disabled, it stays', async () => {
  // the service files there are at each read
  const existing: string[][] = [['web', 'app'], ['web', 'app'], ['app'], ['web', 'app']]
  let read = 0
  const { watch, told } = watchOver([
    [['web/web1', 'up'], ['app/a', 'up']],
    [['web/web1', 'down'], ['app/a', 'down']],
    // web removed; app's servers all disabled (left out of the read)
    [],
    // web added again, up; app's enabled again, up
    [['web/web1', 'up'], ['app/a', 'up']]
  ], () => existing[read] ?? [])
  for (; read < existing.length; read++) await watch.check()
  assert.deepEqual(told, [
    'change web/web1 down',
    'change app/a down',
    'web down web1',
    'app down a',
    'app up a'
  ])
})
