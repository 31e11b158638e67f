/** The env file and the service files validated together (SPEC §11). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validateConfiguration, MAX_SERVERS, MAX_SERVICES } from '../../../src/properties/configuration.js'
import type { Configuration, PropertyProblem } from '../../../src/properties/model.js'
import { parseEnvFile } from '../../../src/properties/envfile.js'
import { entryValues } from '../../../src/properties/load.js'
import type { ServiceFileEntries } from '../../../src/properties/service-file.js'

const ENV = '/etc/l3lb/l3lb.env'

function serviceFile (name: string, text: string): ServiceFileEntries {
  const parsed = parseEnvFile(text)
  return { name, file: `/etc/l3lb/services.d/${name}.env`, entries: entryValues(parsed), lineProblems: parsed.problems }
}

function check (envText: string, files: Record<string, string>): ReturnType<typeof validateConfiguration> {
  const env = parseEnvFile(envText)
  return validateConfiguration({ file: ENV, entries: entryValues(env), lineProblems: env.problems }, Object.entries(files).map(([name, text]) => serviceFile(name, text)))
}

function accept (envText: string, files: Record<string, string>): Configuration {
  const result = check(envText, files)
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.problems, null, 2))
  return result.configuration
}

function problems (envText: string, files: Record<string, string>): Array<Pick<PropertyProblem, 'file' | 'property' | 'message'>> {
  const result = check(envText, files)
  assert.ok(!result.ok, 'expected the set to be refused')
  return result.problems.map(({ file, property, message }) => ({ file, property, message }))
}

test('the env file\'s service is default, first; service files follow by name, each with its servers', () => {
  const configuration = accept('out1=198.18.1.1\nout2=198.18.1.2\nbackup_outputs=out2\n', {
    web: 'mode=tcp_leastconn\nports=8081\nserver_web1=198.18.5.1:8080 weight=3 maxconn=100\nserver_web2=198.18.5.2\n',
    app: 'mode=tcp_source\nports=9000-9009\nout1=198.18.6.1\n'
  })
  assert.deepEqual(configuration.services.map((service) => [service.name, service.mode, service.servers.map((server) => server.name)]), [
    ['default', 'tcp_roundrobin', ['out1', 'out2']],
    ['app', 'tcp_source', ['out1']],
    ['web', 'tcp_leastconn', ['web1', 'web2']]
  ])
  assert.deepEqual(configuration.services[0]?.servers[1], { name: 'out2', address: '198.18.1.2', port: null, weight: 1, maxconn: null, backup: true })
  assert.deepEqual(configuration.services[2]?.servers[0], { name: 'web1', address: '198.18.5.1', port: 8080, weight: 3, maxconn: 100, backup: false })
  assert.equal(configuration.services[2]?.file, '/etc/l3lb/services.d/web.env')
  assert.ok(Object.isFrozen(configuration.services[2]?.servers[0]))
})

test('default without a connected output does not listen, so it is not a service; a service takes the §3 defaults', () => {
  const configuration = accept('', { web: 'server_a=198.18.5.1\n' })
  assert.deepEqual(configuration.services.map((service) => service.name), ['web'])
  const web = configuration.services[0]
  assert.deepEqual([web?.mode, web?.ports, web?.healthcheckInterval, web?.connTimeout, web?.tcpSplice], ['tcp_roundrobin', [{ low: 80, high: 80 }], 20, 20, true])
})

test('in_addr follows the env file\'s unless the service names its own; the pair\'s virtual addresses join a non-empty one', () => {
  const configuration = accept('in_addr=198.18.0.11\nctl_addr=198.18.0.11\nctl_token=t0ken\nha_vip=198.18.0.100\nha_interface=eth0\nha_peer=198.18.0.12\n', {
    web: 'ports=8081\nserver_a=198.18.5.1\n',
    own: 'ports=8082\nin_addr=198.18.0.50\nserver_a=198.18.5.1\n',
    every: 'ports=8083\nin_addr=\nserver_a=198.18.5.1\n'
  })
  const inAddrs = Object.fromEntries(configuration.services.map((service) => [service.name, service.inAddrs]))
  assert.deepEqual(inAddrs, { every: [], own: ['198.18.0.50', '198.18.0.100'], web: ['198.18.0.11', '198.18.0.100'] })
})

test('every problem of every file at once, each naming its file', () => {
  assert.deepEqual(problems('mode=tcp_sauce\n', {
    web: 'mode=tcp_leastconns\nports=8081\nserver_Web1=198.18.5.1\nserver_b=198.18.5.2 weight=300\nctl_port=9090\nhealthcheck_intervall=5\n',
    app: 'ports=9000\nout1=198.18.6.1\nserver_out1=198.18.6.2\nbackup_outputs=out2\n'
  }), [
    { file: ENV, property: 'mode', message: '"tcp_sauce" is not accepted: invalid mode specified; the valid modes are tcp_roundrobin, tcp_source, udp_roundrobin' },
    { file: '/etc/l3lb/services.d/app.env', property: 'server_out1', message: 'server out1 is given twice: as out1 and as server_out1; give each server once' },
    { file: '/etc/l3lb/services.d/app.env', property: 'backup_outputs', message: '"out2" is not accepted: out2 is not connected (empty or absent); name connected outputs only' },
    { file: '/etc/l3lb/services.d/web.env', property: 'mode', message: '"tcp_leastconns" is not accepted: invalid mode specified; the valid modes are tcp_roundrobin, tcp_source, udp_roundrobin, tcp_leastconn, udp_source' },
    { file: '/etc/l3lb/services.d/web.env', property: 'server_Web1', message: '"Web1" is not accepted as a server name: 1 to 32 lower-case letters, digits and _ (server_<name>)' },
    { file: '/etc/l3lb/services.d/web.env', property: 'server_b', message: '"weight=300" is not accepted: weight is a whole number from 0 to 256 (0 takes no new sessions)' },
    { file: '/etc/l3lb/services.d/web.env', property: 'ctl_port', message: '"ctl_port" is a node property: it belongs in the env file, not in a service file' },
    { file: '/etc/l3lb/services.d/web.env', property: 'healthcheck_intervall', message: '"healthcheck_intervall" is not a known service property: a service file takes mode, ports, max_connections, backup_outputs, healthcheck_interval, healthcheck_rise, healthcheck_fall, client_timeout, server_timeout, conn_timeout, tcp_splice, in_addr, udp_snat, out1..out8 and server_<name> lines' }
  ])
})

test('a bad service name, and a port on a server of a service with several ports', () => {
  assert.deepEqual(problems('', { Web: 'server_a=198.18.5.1\n', ui: 'ports=81\nserver_a=198.18.5.1\n', multi: 'ports=80,443\nserver_a=198.18.5.1:8080\n' }).map(({ property, message }) => ({ property, message })), [
    { property: 'file name', message: '"Web" is not accepted as a service name: give NAME.env with NAME of 1 to 32 lower-case letters, digits and -, starting with a letter or digit, and not default, in, outputs, ui' },
    { property: 'server_a', message: 'a port after the address is accepted only where the service has a single port; ports is "80,443", so a receives on the port each client used: drop :8080' },
    { property: 'file name', message: '"ui" is not accepted as a service name: give NAME.env with NAME of 1 to 32 lower-case letters, digits and -, starting with a letter or digit, and not default, in, outputs, ui' }
  ])
})

test('UDP services take addresses of one family and no maxconn', () => {
  assert.deepEqual(problems('', { voice: 'mode=udp_roundrobin\nports=5060\nserver_a=198.18.5.1\nserver_b=fd00:1b::5\nserver_c=sip.example.test\nserver_d=198.18.5.4 maxconn=10\n' }).map(({ property, message }) => ({ property, message })), [
    { property: 'server_c', message: '"sip.example.test" is not accepted in udp_roundrobin: give an IPv4 or IPv6 address (the kernel\'s DNAT rules take addresses, not host names)' },
    { property: 'server_d', message: 'maxconn=10 is not accepted in udp_roundrobin: a UDP server has no session limit (the kernel forwards its flows); drop it' },
    { property: 'servers', message: 'udp_roundrobin services stay within one address family (clients and servers alike: the kernel translates a flow\'s addresses, not its family), and these mix IPv4 and IPv6: a 198.18.5.1, b fd00:1b::5, c sip.example.test, d 198.18.5.4; make one service per family' }
  ])
  // listening only where its servers' family is not served: refused, naming in_addr (the env file's, when inherited)
  assert.deepEqual(problems('in_addr=fd00:1b::1\n', { voice: 'mode=udp_roundrobin\nports=5060\nserver_a=198.18.5.1\n' }).map(({ file, property, message }) => ({ file, property, message })), [
    { file: '/etc/l3lb/services.d/voice.env', property: 'in_addr', message: '"fd00:1b::1" is not accepted in udp_roundrobin: its servers are IPv4 and a UDP service forwards within one family, but in_addr has no IPv4 address, so it would serve nothing; give an IPv4 address (or none, for every address)' }
  ])
  assert.ok(check('', { voice: 'mode=udp_roundrobin\nports=5060\nin_addr=198.18.0.1 fd00:1b::1\nserver_a=198.18.5.1\n' }).ok)
  assert.ok(check('', { voice: 'mode=udp_roundrobin\nports=5060\nin_addr=::\nserver_a=198.18.5.1\n' }).ok)
  // a TCP service may translate between families (the LoadMaster seed's 4-to-6)
  assert.ok(check('', { web: 'in_addr=198.18.0.1\nserver_a=fd00:1b::5\nserver_b=198.18.5.2\n' }).ok)
})

test('overlapping listeners name both services; other protocols, ports or addresses do not overlap', () => {
  assert.deepEqual(problems('out1=198.18.1.1\nports=80\n', {
    web: 'ports=80-81\nserver_a=198.18.5.1\n',
    mail: 'ports=25\nin_addr=198.18.0.1\nserver_a=198.18.5.1\n',
    smtp: 'ports=25\nin_addr=198.18.0.1\nserver_a=198.18.5.1\n'
  }).map(({ file, message }) => ({ file, message })), [
    { file: '/etc/l3lb/services.d/smtp.env', message: 'service smtp (198.18.0.1) and service mail (/etc/l3lb/services.d/mail.env: 198.18.0.1) both listen on TCP port 25 on overlapping addresses; give one of them other ports or an in_addr of its own' },
    { file: '/etc/l3lb/services.d/web.env', message: 'service web (every address) and service default (/etc/l3lb/l3lb.env: every address) both listen on TCP port 80 on overlapping addresses; give one of them other ports or an in_addr of its own' }
  ])
  assert.ok(check('out1=198.18.1.1\nports=80\n', {
    voice: 'mode=udp_roundrobin\nports=80\nserver_a=198.18.5.1\n',
    a: 'ports=81\nin_addr=198.18.0.1\nserver_a=198.18.5.1\n',
    b: 'ports=81\nin_addr=198.18.0.2\nserver_a=198.18.5.1\n'
  }).ok)
  assert.deepEqual(problems('', { web: 'ports=8080\nserver_a=198.18.5.1\n' }).map(({ message }) => message), [
    'service web (every address) and the ctl listener (127.0.0.1:8080) both listen on TCP port 8080; give the service other ports or an in_addr of its own'
  ])
})

test('the node\'s limits: 256 services, 1,000 servers in all', () => {
  const many = Object.fromEntries(Array.from({ length: MAX_SERVICES + 1 }, (_, i) => [`s${i}`, `ports=${10000 + i}\nserver_a=198.18.5.1\n`]))
  assert.deepEqual(problems('', many).map(({ property, message }) => ({ property, message })), [
    { property: 'services', message: '257 services are not accepted: a node serves at most 256 (the 257 service files, and default when it has a connected output); remove some or move them to another node' }
  ])
  assert.ok(check('out1=198.18.1.1\n', Object.fromEntries(Array.from({ length: MAX_SERVICES - 1 }, (_, i) => [`s${i}`, `ports=${10000 + i}\nserver_a=198.18.5.1\n`]))).ok)
  const servers = (count: number): string => Array.from({ length: count }, (_, i) => `server_s${i}=198.18.${5 + Math.floor(i / 250)}.${1 + (i % 250)}\n`).join('')
  assert.deepEqual(problems('', { big: `ports=81\n${servers(600)}`, more: `ports=82\n${servers(MAX_SERVERS - 600 + 1)}` }).map(({ property, message }) => ({ property, message })), [
    { property: 'servers', message: '1001 servers are not accepted: a node serves at most 1000 in all its services; remove some or move services to another node' }
  ])
})
