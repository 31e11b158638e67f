import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OutputWatch } from '../../../src/notify/output-watch.js'
import type { ServerReport } from '../../../src/model/health.js'

type Read = Array<[string, 'up' | 'down'] | [string, 'up' | 'down', string]>

// keys as the appliance gives them: out1 for default's outputs, service/server for the files'; an optional address
function watchOver (reads: Read[]): { watch: OutputWatch<ServerReport>, changes: string[], service: string[] } {
  const changes: string[] = []
  const service: string[] = []
  const watch = new OutputWatch<ServerReport>({
    read: async () => {
      const next = reads.shift()
      if (next === undefined) throw new Error('no more reads')
      return new Map(next.map(([key, health, address]): [string, ServerReport] => {
        const [name, server] = key.includes('/') ? key.split('/') as [string, string] : ['default', key]
        return [key, { service: name, server, address: address ?? '198.18.9.9', port: null, health, reason: health === 'down' ? 'Layer4 timeout' : '' }]
      }))
    },
    onChange: (key, report) => changes.push(`${key} ${report.service}/${report.server} ${report.health}`),
    onService: (state, outputs) => service.push(`${state} ${outputs.join(',')}`),
    intervalMs: 60_000
  })
  return { watch, changes, service }
}

async function checks (watch: OutputWatch<ServerReport>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await watch.check()
}

test('every service\'s servers are watched in one read: each change once, with its service and server', async () => {
  const { watch, changes } = watchOver([
    [['out1', 'up'], ['web/web1', 'up'], ['web/web2', 'up'], ['voip/a', 'up']],
    [['out1', 'up'], ['web/web1', 'up'], ['web/web2', 'down'], ['voip/a', 'down']],
    [['out1', 'up'], ['web/web1', 'up'], ['web/web2', 'down'], ['voip/a', 'down']],
    [['out1', 'down'], ['web/web1', 'up'], ['web/web2', 'up'], ['voip/a', 'down']]
  ])
  await checks(watch, 4)
  assert.deepEqual(changes, ['web/web2 web/web2 down', 'voip/a voip/a down', 'out1 default/out1 down', 'web/web2 web/web2 up'])
})

test('a removed service or server, a disabled or draining one (left out of the read), a new one: no notice', async () => {
  const { watch, changes } = watchOver([
    [['out1', 'up'], ['web/web1', 'up'], ['web/web2', 'up'], ['app/x', 'up']],
    // SIGHUP removed service app and server web2; ctl disabled web1; service new added, down at once
    [['out1', 'up'], ['new/n1', 'down']],
    // web1 enabled again while down, web2 back in the file while down: learnt, not announced
    [['out1', 'up'], ['new/n1', 'down'], ['web/web1', 'down'], ['web/web2', 'down']],
    [['out1', 'up'], ['new/n1', 'up'], ['web/web1', 'down'], ['web/web2', 'up']]
  ])
  await checks(watch, 4)
  assert.deepEqual(changes, ['new/n1 new/n1 up', 'web/web2 web/web2 up'])
})

test('a server given another address by a reload is a new one: its health is learnt, not announced', async () => {
  const { watch, changes } = watchOver([
    [['web/web1', 'up', '198.18.3.1']],
    [['web/web1', 'down', '198.18.3.7']],
    [['web/web1', 'up', '198.18.3.7']]
  ])
  await checks(watch, 3)
  assert.deepEqual(changes, ['web/web1 web/web1 up'])
})

test('the outage is the env file\'s outputs\' alone: every server of a service file down is not it, nor does it end one', async () => {
  const { watch, changes, service } = watchOver([
    [['out1', 'up'], ['web/web1', 'up']],
    [['out1', 'up'], ['web/web1', 'down']],
    [['out1', 'down'], ['web/web1', 'up']],
    [['out1', 'down'], ['web/web1', 'down']],
    [['out1', 'up'], ['web/web1', 'down']]
  ])
  await checks(watch, 5)
  assert.deepEqual(service, ['down out1', 'up out1'])
  assert.equal(changes.length, 5)
})
