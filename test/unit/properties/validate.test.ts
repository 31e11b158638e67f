import { test } from 'node:test'
import assert from 'node:assert/strict'
import { accept, validate } from '../../support/property-entries.js'
import type { Properties, PropertyProblem } from '../../../src/properties/model.js'

function warnings (entries: Record<string, string>): readonly string[] {
  const result = validate(entries)
  assert.ok(result.ok)
  return result.warnings
}

function reject (entries: Record<string, string>): readonly PropertyProblem[] {
  const result = validate(entries)
  assert.ok(!result.ok, `expected ${JSON.stringify(entries)} to be refused`)
  return result.problems
}

// The one message for a single bad value.
function messageFor (name: string, value: string, others: Record<string, string> = {}): string {
  const problems = reject({ ...others, [name]: value })
  assert.equal(problems.length, 1, JSON.stringify(problems))
  assert.equal(problems[0]?.property, name)
  return problems[0]?.message ?? ''
}

const NOT_DIGITS = ['', '1e3', '0x10', '-1', '12abc', '+5', '1.5', ' 5', 'five']

test('an empty env gives every default of SPEC §2 and §3', () => {
  assert.deepEqual(accept({}), {
    mode: 'tcp_roundrobin',
    ports: [{ low: 80, high: 80 }],
    healthcheckPort: 80,
    maxConnections: 0,
    outputs: [],
    healthcheckInterval: 20,
    healthcheckRise: 2,
    healthcheckFall: 3,
    clientTimeout: 150,
    serverTimeout: 150,
    servicesDir: '',
    connTimeout: 20,
    tcpSplice: true,
    inAddrs: [],
    ctlAddr: '127.0.0.1',
    ctlPort: 8080,
    ctlToken: '',
    uiAddr: '127.0.0.1',
    uiPort: 8404,
    uiUser: '',
    uiPassword: '',
    monUrl: '',
    monInterval: 10,
    peerPort: 8405,
    peerAddr: '127.0.0.1',
    udpSnat: true,
    ha: null,
    mail: null
  })
})

test('mode takes each of the three modes', () => {
  for (const mode of ['tcp_roundrobin', 'tcp_source', 'udp_roundrobin'] as const) assert.equal(accept({ mode }).mode, mode)
})

test('a bad mode says invalid mode specified and lists the valid ones', () => {
  for (const mode of ['tcp', 'TCP_ROUNDROBIN', '', 'udp_source']) {
    assert.equal(messageFor('mode', mode), `${JSON.stringify(mode)} is not accepted: invalid mode specified; the valid modes are tcp_roundrobin, tcp_source, udp_roundrobin`)
  }
})

test('ports become merged, sorted ranges', () => {
  assert.deepEqual(accept({ ports: '443, 80 81 90:99 95-100' }).ports, [{ low: 80, high: 81 }, { low: 90, high: 100 }, { low: 443, high: 443 }])
})

test('every bad token of ports is its own problem', () => {
  const problems = reject({ ports: '80-70 0 x' })
  assert.deepEqual(problems.map((problem) => [problem.property, problem.value, problem.message]), [
    ['ports', '80-70 0 x', '"80-70" is not accepted: a range must be low-high with low <= high'],
    ['ports', '80-70 0 x', '"0" is not accepted: a port must be from 1 to 65535'],
    ['ports', '80-70 0 x', '"x" is not accepted: a port is a number from 1 to 65535, a range is low-high or low:high, separated by spaces or commas']
  ])
  assert.equal(reject({ ports: '' }).length, 1)
})

const WHOLE_NUMBERS: ReadonlyArray<{ name: string, field: keyof Properties, accepted: readonly string[], rejected: readonly string[], rule: string }> = [
  { name: 'max_connections', field: 'maxConnections', accepted: ['0', '1', '1000000', '007'], rejected: ['1000001'], rule: 'a whole number from 0 to 1000000 (0 = use the value computed from memory)' },
  { name: 'healthcheck_interval', field: 'healthcheckInterval', accepted: ['0', '86400'], rejected: ['86401'], rule: 'a whole number of seconds from 0 to 86400 (0 = no checks)' },
  { name: 'healthcheck_rise', field: 'healthcheckRise', accepted: ['1', '100'], rejected: ['0', '101'], rule: 'a whole number of checks from 1 to 100' },
  { name: 'healthcheck_fall', field: 'healthcheckFall', accepted: ['1', '100'], rejected: ['0', '101'], rule: 'a whole number of checks from 1 to 100' },
  { name: 'client_timeout', field: 'clientTimeout', accepted: ['1', '86400'], rejected: ['0', '86401'], rule: 'a whole number of seconds from 1 to 86400' },
  { name: 'server_timeout', field: 'serverTimeout', accepted: ['1', '86400'], rejected: ['0', '86401'], rule: 'a whole number of seconds from 1 to 86400' },
  { name: 'conn_timeout', field: 'connTimeout', accepted: ['1', '20', '86400'], rejected: ['0', '86401'], rule: 'a whole number of seconds from 1 to 86400' },
  { name: 'mon_interval', field: 'monInterval', accepted: ['1', '86400'], rejected: ['0', '86401'], rule: 'a whole number of seconds from 1 to 86400' },
  { name: 'ctl_port', field: 'ctlPort', accepted: ['1', '65535'], rejected: ['0', '65536', '99999999999'], rule: 'ctl_port value must be between 1 and 65535' },
  { name: 'ui_port', field: 'uiPort', accepted: ['1', '65535'], rejected: ['0', '65536'], rule: 'ui_port value must be between 1 and 65535' },
  { name: 'peer_port', field: 'peerPort', accepted: ['1', '65535'], rejected: ['0', '65536'], rule: 'peer_port value must be between 1 and 65535' }
]

for (const { name, field, accepted, rejected, rule } of WHOLE_NUMBERS) {
  test(`${name} takes whole numbers in range`, () => {
    for (const value of accepted) assert.equal(accept({ [name]: value })[field], Number(value), value)
  })

  test(`${name} refuses what is out of range or not plain decimal digits, saying what is accepted`, () => {
    for (const value of [...rejected, ...NOT_DIGITS]) {
      assert.equal(messageFor(name, value), `${JSON.stringify(value)} is not accepted: ${rule}`)
    }
  })
}

test('conn_timeout below 20 is accepted with a warning', () => {
  assert.deepEqual(warnings({ conn_timeout: '19', out1: 'a' }), [
    'conn_timeout: "19" is accepted, but below 20 seconds health checks under load can mark healthy outputs down'
  ])
  assert.deepEqual(warnings({ conn_timeout: '20', out1: 'a' }), [])
})

test('out1..out8 become the connected outputs, in order, without brackets', () => {
  const properties = accept({ out3: 'app3.example', out1: '198.18.0.11', out8: '[fd00:1b::8]', out2: '' })
  assert.deepEqual(properties.outputs, [
    { name: 'out1', index: 1, address: '198.18.0.11', backup: false },
    { name: 'out3', index: 3, address: 'app3.example', backup: false },
    { name: 'out8', index: 8, address: 'fd00:1b::8', backup: false }
  ])
})

test('every output refuses a port, a bad name and an unspecified address', () => {
  for (const name of ['out1', 'out2', 'out3', 'out4', 'out5', 'out6', 'out7', 'out8']) {
    assert.match(messageFor(name, '198.18.0.1:80'), /^"198.18.0.1:80" is not accepted: .*without a port/)
    assert.match(messageFor(name, 'app_1'), /^"app_1" is not accepted: give an IPv4 address, an IPv6 address \(brackets optional\) or a host name, without a port$/)
    assert.match(messageFor(name, '::'), /an unspecified address is not a back end/)
  }
})

test('no connected output is accepted with a warning', () => {
  assert.deepEqual(warnings({}), ['out1..out8: no output is connected, so no client connection can be served'])
})

test('backup_outputs marks connected outputs as backups', () => {
  const properties = accept({ out1: 'a', out2: 'b', out3: 'c', backup_outputs: 'out3, out2 out3' })
  assert.deepEqual(properties.outputs.map((output) => [output.name, output.backup]), [['out1', false], ['out2', true], ['out3', true]])
})

test('backup_outputs refuses an output that is not connected, naming it', () => {
  assert.equal(messageFor('backup_outputs', 'out1 out4', { out1: 'a', out2: 'b' }),
    '"out4" is not accepted: out4 is not connected (empty or absent); name connected outputs only')
})

test('backup_outputs refuses ranges and other names', () => {
  assert.equal(messageFor('backup_outputs', 'out1-out3', { out1: 'a' }),
    '"out1-out3" is not accepted: ranges of outputs are not accepted; name each output (out1 to out8), separated by spaces or commas')
  for (const value of ['out9', 'out0', 'OUT1', '1', 'out1;out2']) {
    assert.equal(messageFor('backup_outputs', value, { out1: 'a' }),
      `${JSON.stringify(value)} is not accepted: give output names out1 to out8, separated by spaces or commas`)
  }
})

test('every connected output being a backup is warned about', () => {
  assert.deepEqual(warnings({ out1: 'a', out2: 'b', backup_outputs: 'out1,out2' }), [
    'backup_outputs: every connected output (out1, out2) is a backup, so the backups get all traffic'
  ])
})

test('in_addr lists the addresses to listen on; empty is every address', () => {
  assert.deepEqual(accept({ in_addr: '198.18.0.1, [fd00:1b::1]' }).inAddrs, ['198.18.0.1', 'fd00:1b::1'])
  assert.deepEqual(accept({ in_addr: '' }).inAddrs, [])
  assert.match(messageFor('in_addr', '198.18.0.1 lb.example'), /^"lb.example" is not accepted: give IPv4 or IPv6 addresses/)
})

for (const name of ['ctl_addr', 'ui_addr', 'peer_addr']) {
  const field = ({ ctl_addr: 'ctlAddr', ui_addr: 'uiAddr', peer_addr: 'peerAddr' } as const)[name as 'ctl_addr']
  test(`${name} takes one IP address, wildcards included`, () => {
    assert.equal(accept({ [name]: '[::1]' })[field], '::1')
    assert.equal(accept({ [name]: '198.18.0.1' })[field], '198.18.0.1')
  })

  test(`${name} refuses a host name, a list and empty`, () => {
    for (const value of ['localhost', '198.18.0.1 198.18.0.2', '']) {
      assert.equal(messageFor(name, value),
        `${JSON.stringify(value)} is not accepted: give an IPv4 address or an IPv6 address (brackets optional); 0.0.0.0 or :: listens on every address`)
    }
  })
}

const VISIBLE_ASCII = 'Az09!$%&()*+,-./;<=>?@[]^_`{|}~'

test('ctl_token, ui_user and ui_password take printable ASCII', () => {
  assert.equal(accept({ ctl_token: VISIBLE_ASCII + ':' }).ctlToken, VISIBLE_ASCII + ':')
  const properties = accept({ ui_user: VISIBLE_ASCII, ui_password: VISIBLE_ASCII + ':' })
  assert.equal(properties.uiUser, VISIBLE_ASCII)
  assert.equal(properties.uiPassword, VISIBLE_ASCII + ':')
})

test('a secret with a character that breaks haproxy.cfg or a header is refused without repeating it', () => {
  const cases: Array<[string, string]> = [['a b', 'a space'], ['a\tb', 'whitespace'], ['a"b', '"\\""'], ["a'b", '"\'"'], ['a\\b', '"\\\\"'], ['a#b', '"#"'], ['aéb', 'the non-printable or non-ASCII character U+00E9']]
  for (const name of ['ctl_token', 'ui_password']) {
    for (const [value, found] of cases) {
      const problems = reject({ ui_user: 'admin', ui_password: 'pw', ctl_token: 'token', [name]: value })
      assert.deepEqual(problems, [{
        property: name,
        value: '(hidden)',
        message: `the value given (hidden, 3 characters) is not accepted: ${name} must be printable ASCII without whitespace, quotes, backslash or # (it is written into haproxy.cfg and HTTP headers); found ${found} at character 2`
      }])
    }
  }
})

test('ui_user refuses those characters and a colon, quoting the value', () => {
  assert.equal(messageFor('ui_user', 'ad:min', { ui_password: 'pw' }),
    '"ad:min" is not accepted: ui_user must be printable ASCII without whitespace, quotes, backslash or # (it is written into haproxy.cfg and HTTP headers) and without : (it separates user from password); found ":" at character 3')
  assert.match(messageFor('ui_user', 'ad min', { ui_password: 'pw' }), /^"ad min" is not accepted: .*found a space at character 3$/)
})

test('ui_user and ui_password are both set or both empty', () => {
  assert.deepEqual(reject({ ui_user: 'admin' }), [{
    property: 'ui_password',
    value: '(hidden)',
    message: '"" is not accepted: ui_user is set, so ui_password must be set too (the stats UI uses basic auth only when both are set; leave both empty for none)'
  }])
  assert.deepEqual(reject({ ui_password: 'secret' }).map((problem) => [problem.property, problem.message]), [
    ['ui_user', '"" is not accepted: ui_password is set, so ui_user must be set too (the stats UI uses basic auth only when both are set; leave both empty for none)']
  ])
})

test('mon_url is empty or an http(s) URL', () => {
  assert.equal(accept({ mon_url: 'http://198.18.0.5:9000/counters' }).monUrl, 'http://198.18.0.5:9000/counters')
  assert.equal(accept({ mon_url: 'https://[fd00:1b::5]/l3lb' }).monUrl, 'https://[fd00:1b::5]/l3lb')
  for (const value of ['ftp://mon.example/', 'mon.example', 'http//mon.example', 'http://', 'http://mon example/', ' http://mon.example/', 'file:///tmp/x']) {
    assert.equal(messageFor('mon_url', value), `${JSON.stringify(value)} is not accepted: an http:// or https:// URL, or empty for no push`)
  }
})

test('an unknown name is refused, with the closest known name when one is near', () => {
  assert.deepEqual(reject({ helthcheck_interval: '30' }), [{
    property: 'helthcheck_interval',
    value: '30',
    message: '"helthcheck_interval" is not a known property: did you mean healthcheck_interval?'
  }])
  assert.equal(reject({ MODE: 'tcp_source' })[0]?.message, '"MODE" is not a known property: did you mean mode?')
  assert.equal(reject({ prots: '80' })[0]?.message, '"prots" is not a known property: did you mean ports?')
  assert.equal(reject({ out9: 'a' })[0]?.message, '"out9" is not a known property: did you mean out1?')
  assert.equal(reject({ loglevel: 'x' })[0]?.message, '"loglevel" is not a known property: see docs/properties.md for the known names')
})

test('the value of an unknown name near a secret is not repeated', () => {
  assert.equal(reject({ ctl_tokn: 'hunter2' })[0]?.value, '(hidden)')
})

test('every problem is reported together', () => {
  const problems = reject({ mode: 'x', ports: '0', ctl_port: '0', conn_timeout: 'x', out1: 'a:1', colour: 'red', ui_user: 'u' })
  assert.deepEqual(problems.map((problem) => problem.property).sort(),
    ['colour', 'conn_timeout', 'ctl_port', 'mode', 'out1', 'ports', 'ui_password'])
})

test('ctl and the in ports may not share a port on overlapping addresses', () => {
  assert.deepEqual(reject({ ctl_port: '80' }).map((problem) => [problem.property, problem.value, problem.message]), [[
    'ports', '80',
    '"80" is not accepted: the in listener (in_addr "" (every address), ports "80") and the ctl listener (ctl_addr "127.0.0.1", ctl_port "80") both listen on port 80 on overlapping addresses; give one of them another port or address'
  ]])
  assert.match(reject({ ports: '8000-9000' })[0]?.message ?? '', /ports "8000-9000"\).*ctl_port "8080"\) both listen on port 8080/)
})

test('ui and ctl may not share a port on overlapping addresses', () => {
  assert.deepEqual(reject({ ui_port: '8080' }).map((problem) => [problem.property, problem.message]), [[
    'ui_port',
    '"8080" is not accepted: the ui listener (ui_addr "127.0.0.1", ui_port "8080") and the ctl listener (ctl_addr "127.0.0.1", ctl_port "8080") both listen on port 8080 on overlapping addresses; give one of them another port or address'
  ]])
  assert.equal(reject({ ui_port: '8080', ui_addr: '::', ctl_addr: '198.18.0.1' }).length, 1)
  assert.equal(reject({ ui_port: '8080', ui_addr: '0.0.0.0' }).length, 1)
})

test('listeners on the same port but apart addresses are accepted', () => {
  accept({ ui_port: '8080', ui_addr: '198.18.0.2', ctl_addr: '198.18.0.1' })
  accept({ ui_port: '8080', ui_addr: '::1' })
  accept({ ports: '8080', in_addr: '198.18.0.1 fd00:1b::1' })
})

test('the in listener on an address that a wildcard covers collides', () => {
  assert.equal(reject({ ports: '8080', in_addr: '198.18.0.1', ctl_addr: '0.0.0.0' })[0]?.property, 'ports')
  assert.equal(reject({ ports: '8080', in_addr: '127.0.0.1' })[0]?.property, 'ports')
})

test('UDP in ports do not collide with TCP listeners', () => {
  assert.equal(accept({ mode: 'udp_roundrobin', ports: '8000-9000' }).ports[0]?.low, 8000)
})

test('the peer listener counts in tcp_source only', () => {
  assert.match(reject({ mode: 'tcp_source', ports: '8405' })[0]?.message ?? '', /the in listener .* and the peer listener \(peer_addr "127.0.0.1", peer_port "8405"\) both listen on port 8405/)
  accept({ mode: 'tcp_roundrobin', ports: '8405' })
  assert.equal(reject({ mode: 'tcp_source', peer_port: '8080' })[0]?.property, 'peer_port')
})

test('TCP-only properties given in udp_roundrobin are warned about', () => {
  assert.deepEqual(warnings({ mode: 'udp_roundrobin', out1: '198.18.1.2', client_timeout: '30' }), [
    'client_timeout: has no effect in udp_roundrobin; it applies to the TCP modes only'
  ])
})

test('conn_timeout in udp_roundrobin bounds the ICMP check\'s wait: no "no effect" warning, and the low-value warning says so', () => {
  assert.deepEqual(warnings({ mode: 'udp_roundrobin', out1: '198.18.1.2', conn_timeout: '30' }), [])
  assert.deepEqual(warnings({ mode: 'udp_roundrobin', out1: '198.18.1.2', conn_timeout: '2' }), [
    'conn_timeout: "2" is accepted, but below 20 seconds an ICMP check waits at most that long for its answer, so under load it can mark healthy outputs down'
  ])
})

test('udp_roundrobin takes IP addresses only, because DNAT rules take addresses', () => {
  const result = validate({ mode: 'udp_roundrobin', out1: '198.18.1.2', out2: 'sip.example', out3: 'fd00:1b::3' })
  assert.ok(!result.ok)
  assert.deepEqual(result.problems.map((found) => [found.property, found.value]), [['out2', 'sip.example']])
  assert.match(result.problems[0]!.message, /not accepted in udp_roundrobin: give an IPv4 or IPv6 address/)
  assert.ok(validate({ mode: 'tcp_roundrobin', out2: 'sip.example' }).ok)
})

// on/off properties that default to on: the typed value, and a clear refusal of anything else
for (const { name, key, bad, meaning } of [
  { name: 'udp_snat', key: 'udpSnat', bad: 'yes', meaning: /^"yes" is not accepted: on or off/ },
  { name: 'tcp_splice', key: 'tcpSplice', bad: '1', meaning: /^"1" is not accepted: on or off \(on splices responses kernel to kernel/ }
] as const) {
  test(`${name} is on or off, on by default`, () => {
    const on = validate({})
    assert.ok(on.ok)
    assert.equal(on.properties[key], true)
    const off = validate({ [name]: 'off' })
    assert.ok(off.ok)
    assert.equal(off.properties[key], false)
    const refused = validate({ [name]: bad })
    assert.ok(!refused.ok)
    assert.equal(refused.problems[0]!.property, name)
    assert.match(refused.problems[0]!.message, meaning)
  })
}

test('the properties and warnings are frozen all the way down', () => {
  const result = validate({ out1: 'a', ports: '80 90', in_addr: '198.18.0.1', conn_timeout: '5' })
  assert.ok(result.ok)
  const { properties } = result
  for (const value of [properties, properties.ports, properties.ports[0], properties.outputs, properties.outputs[0], properties.inAddrs, result.warnings]) {
    assert.ok(Object.isFrozen(value))
  }
  assert.throws(() => { (properties as { ctlPort: number }).ctlPort = 1 }, TypeError)
  assert.throws(() => { (properties.ports as unknown as unknown[]).push(1) }, TypeError)
})
