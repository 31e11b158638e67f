import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseEnvFile } from '../../../src/properties/envfile.js'
import { withEntry } from '../../../src/properties/envfile-text.js'
import { entryValues } from '../../../src/properties/load.js'
import { validateServiceFile } from '../../../src/properties/service-file.js'
import { parseServerBody, parseServiceBody, serverLine, serviceEntries, serviceJson } from '../../../src/properties/service-json.js'

test('a server body becomes the line a person writes: defaults left out, IPv6 in brackets before a port', () => {
  assert.equal(serverLine({ address: '198.18.5.1' }), '198.18.5.1')
  assert.equal(serverLine({ address: '198.18.5.1', port: 8080, weight: 3, maxconn: 100, backup: true }), '198.18.5.1:8080 weight=3 maxconn=100 backup')
  assert.equal(serverLine({ address: 'fd00:1b::5', port: 80, weight: 1, maxconn: null, backup: false }), '[fd00:1b::5]:80')
  assert.equal(serverLine({ address: 'fd00:1b::5' }), 'fd00:1b::5')
})

test('a service body becomes a service file\'s entries: numbers as the files write them, servers as server_ lines', () => {
  const parsed = parseServiceBody({ mode: 'tcp_leastconn', ports: '8081', healthcheck_interval: 2, servers: { web1: { address: '198.18.5.1', port: 8080, weight: 3 } } })
  assert.ok(parsed.ok)
  assert.deepEqual(Object.fromEntries(serviceEntries(parsed.value)), { mode: 'tcp_leastconn', ports: '8081', healthcheck_interval: '2', server_web1: '198.18.5.1:8080 weight=3' })
})

test('a body of the wrong shape: every problem names its field', () => {
  const bad = parseServiceBody({ ports: 8081, max_connections: 1.5, servers: { web1: { address: 5, weight: '3', colour: 'red' } }, out1: '198.18.5.1' })
  assert.ok(!bad.ok)
  const fields = bad.problems.map((problem) => problem.field).sort()
  assert.deepEqual(fields, ['max_connections', 'out1', 'ports', 'servers.web1.address', 'servers.web1.colour', 'servers.web1.weight'])
  assert.match(bad.problems.find((problem) => problem.field === 'out1')?.message ?? '', /the members accepted are mode, ports, .*servers/)
  const badName = parseServiceBody({ servers: { 'Web-1': { address: '198.18.5.1' } } })
  assert.ok(!badName.ok)
  assert.deepEqual(badName.problems.map((problem) => problem.field), ['servers.Web-1'])
  assert.ok(!parseServerBody(null).ok)
  assert.ok(!parseServerBody([]).ok)
})

test('what GET shows, PUT takes back as the same entries', () => {
  const text = 'mode=tcp_roundrobin\nports=8081\nhealthcheck_rise=3\nserver_a=198.18.5.1:80 weight=2\nserver_b=[fd00:1b::5]:80 backup\n'
  const entries = entryValues(parseEnvFile(text))
  const result = validateServiceFile({ name: 'web', file: 'web.env', entries, lineProblems: [] }, { inAddr: '', virtual: [] })
  assert.ok(result.ok)
  const json = serviceJson(entries, result.service.servers)
  assert.deepEqual(json, {
    mode: 'tcp_roundrobin',
    ports: '8081',
    healthcheck_rise: 3,
    servers: { a: { address: '198.18.5.1', port: 80, weight: 2, maxconn: null, backup: false }, b: { address: 'fd00:1b::5', port: 80, weight: 1, maxconn: null, backup: true } }
  })
  const back = parseServiceBody(json)
  assert.ok(back.ok)
  assert.deepEqual(serviceEntries(back.value), entries)
})

test('one line of a file changed, added or removed; comments and every other line kept', () => {
  const text = '# kept\nports=8081\n\nserver_a=198.18.5.1\n# also kept\n'
  assert.equal(withEntry(text, 'server_a', '198.18.5.2 weight=2'), '# kept\nports=8081\n\nserver_a=198.18.5.2 weight=2\n# also kept\n')
  assert.equal(withEntry(text, 'server_b', '198.18.5.3'), `${text}server_b=198.18.5.3\n`)
  assert.equal(withEntry('ports=1', 'server_b', '198.18.5.3'), 'ports=1\nserver_b=198.18.5.3\n')
  assert.equal(withEntry(text, 'server_a', null), '# kept\nports=8081\n\n# also kept\n')
  assert.equal(withEntry(text, 'server_z', null), text)
  assert.equal(withEntry(text, 'ports', 'say "hi"'), '# kept\nports="say \\"hi\\""\n\nserver_a=198.18.5.1\n# also kept\n')
})
