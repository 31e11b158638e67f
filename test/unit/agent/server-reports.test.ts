import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileServerReports } from '../../../src/agent/server-reports.js'
import type { Row } from '../../../src/haproxy/parse.js'
import { withDisabled, withDraining, withHealth } from '../../../src/state/desired.js'
import { stateWithServices } from '../../support/fixtures.js'

const ENV = 'mode=tcp_roundrobin\nports=80\nout1=198.18.1.2\n'
const FILES = {
  web: 'mode=tcp_roundrobin\nports=8081\nserver_web1=198.18.3.1:8080\nserver_web2=198.18.3.2:8080\nserver_web3=198.18.3.3\n',
  sip: 'mode=udp_roundrobin\nports=5060\nserver_a=198.18.5.1\nserver_b=198.18.5.2\nhealthcheck_fall=2\n'
}

const rows: Row[] = [
  { pxname: 'outputs', svname: 'out1', status: 'UP' },
  { pxname: 'web', svname: 'web1', status: 'UP', check_status: 'L4OK' },
  { pxname: 'web', svname: 'web2', status: 'DOWN', check_status: 'L4CON', check_desc: 'Layer4 connection problem', last_chk: 'Connection refused' }
]

test('every enabled server of every service file, by server key: TCP from its show stat row, UDP from the agent\'s checks', () => {
  const state = withHealth(stateWithServices(ENV, FILES), 'sip/b', 'down')
  assert.deepEqual([...fileServerReports(state, rows)], [
    ['sip/a', { service: 'sip', server: 'a', address: '198.18.5.1', port: null, health: 'up', reason: '' }],
    ['sip/b', { service: 'sip', server: 'b', address: '198.18.5.2', port: null, health: 'down', reason: '2 pings in a row went unanswered' }],
    ['web/web1', { service: 'web', server: 'web1', address: '198.18.3.1', port: 8080, health: 'up', reason: '' }],
    // web3 is not in the rows (a reload under way): not known, so left out rather than called down
    ['web/web2', { service: 'web', server: 'web2', address: '198.18.3.2', port: 8080, health: 'down', reason: 'Layer4 connection problem: Connection refused' }]
  ])
})

test('disabled and draining servers are left out, TCP and UDP alike', () => {
  const state = withDraining(withDisabled(stateWithServices(ENV, FILES), ['web/web2', 'sip/a']), ['web/web1'])
  assert.deepEqual([...fileServerReports(state, rows).keys()], ['sip/b'])
})
