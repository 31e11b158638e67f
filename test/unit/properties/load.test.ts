import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatProblems, loadProperties } from '../../../src/properties/load.js'

test('an AppLogic /etc/applogic.sh file loads', () => {
  const result = loadProperties([
    '# AppLogic appliance properties',
    'export mode="tcp_source"',
    'export ports="80,81,90-99 110:120 140 141"',
    'export out1="198.18.1.1"',
    'export out2="198.18.1.2"',
    'export out3=""',
    'export backup_outputs="out2"',
    'export healthcheck_interval="5"',
    'export ctl_port="8081"',
    ''
  ].join('\n'))
  assert.ok(result.ok)
  const { properties } = result
  assert.equal(properties.mode, 'tcp_source')
  assert.deepEqual(properties.ports, [{ low: 80, high: 81 }, { low: 90, high: 99 }, { low: 110, high: 120 }, { low: 140, high: 141 }])
  assert.deepEqual(properties.outputs.map((output) => [output.name, output.address, output.backup]), [['out1', '198.18.1.1', false], ['out2', '198.18.1.2', true]])
  assert.equal(properties.healthcheckInterval, 5)
  assert.equal(properties.ctlPort, 8081)
  assert.deepEqual(result.warnings, [])
})

test('a systemd EnvironmentFile naming every property loads', () => {
  const result = loadProperties([
    'mode=udp_roundrobin',
    'ports=5060 10000:10100',
    'max_connections=0',
    'backup_outputs=',
    'healthcheck_interval=10',
    'healthcheck_rise=1',
    'healthcheck_fall=5',
    'client_timeout=150',
    'server_timeout=150',
    'conn_timeout=20',
    'in_addr=198.18.0.1 fd00:1b::1',
    'ctl_addr=0.0.0.0',
    'ctl_port=8080',
    "ctl_token='s3cret-token'",
    'ui_addr=::1',
    'ui_port=8404',
    'ui_user=admin',
    'ui_password="p@ss:word"',
    'mon_url=http://198.18.0.9:9000/l3lb',
    'mon_interval=30',
    'peer_addr=127.0.0.1',
    'peer_port=8405',
    'udp_snat=off',
    'out1=198.18.1.1',
    'out2=[fd00:1b::2]',
    'out3=198.18.3.1',
    'out4=', 'out5=', 'out6=', 'out7=', 'out8='
  ].join('\n'))
  assert.ok(result.ok, result.ok ? '' : formatProblems(result.problems))
  const { properties } = result
  assert.equal(properties.ctlToken, 's3cret-token')
  assert.equal(properties.uiPassword, 'p@ss:word')
  assert.deepEqual(properties.inAddrs, ['198.18.0.1', 'fd00:1b::1'])
  assert.deepEqual(properties.outputs.map((output) => output.address), ['198.18.1.1', 'fd00:1b::2', '198.18.3.1'])
  assert.equal(properties.udpSnat, false)
  assert.deepEqual(result.warnings, [
    'max_connections: has no effect in udp_roundrobin; it applies to the TCP modes only',
    'client_timeout: has no effect in udp_roundrobin; it applies to the TCP modes only',
    'server_timeout: has no effect in udp_roundrobin; it applies to the TCP modes only'
  ])
})

test('an empty file loads the defaults', () => {
  const result = loadProperties('')
  assert.ok(result.ok)
  assert.equal(result.properties.ctlPort, 8080)
})

test('problems of the file and of the values come back together, file first', () => {
  const result = loadProperties('mode tcp_source\nports=80-70\nctl_port=0\nports=81\nhelthcheck_interval=5\n')
  assert.ok(!result.ok)
  assert.equal(formatProblems(result.problems), [
    'line 1: "mode tcp_source" is not accepted: a line must be name=value, a # comment or blank',
    'ports: given on line 2 and again on line 4: give each property once, so that no typo silently wins',
    'helthcheck_interval: "helthcheck_interval" is not a known property: did you mean healthcheck_interval?',
    'ports: "80-70" is not accepted: a range must be low-high with low <= high',
    'ctl_port: "0" is not accepted: ctl_port value must be between 1 and 65535'
  ].join('\n'))
})

test('a name given twice fails even when both values are valid', () => {
  const result = loadProperties('mode=tcp_source\nmode=tcp_source\n')
  assert.ok(!result.ok)
  assert.deepEqual(result.problems.map((problem) => problem.property), ['mode'])
})

test('formatProblems gives one line per problem, property first', () => {
  assert.equal(formatProblems([]), '')
  assert.equal(formatProblems([
    { property: 'ports', value: '80-70', message: '"80-70" is not accepted: a range must be low-high with low <= high' },
    { property: 'mode', value: 'x', message: '"x" is not accepted: invalid mode specified' }
  ]), 'ports: "80-70" is not accepted: a range must be low-high with low <= high\nmode: "x" is not accepted: invalid mode specified')
})
