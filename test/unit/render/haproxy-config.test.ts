import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkConfigFile, installConfigFile } from '../../../src/haproxy/config-file.js'
import { renderHaproxyConfig, renderHaproxyConfigPieces } from '../../../src/render/haproxy-config.js'
import type { DesiredState } from '../../../src/state/desired.js'
import { stateFrom, stateWithServices, TEST_LIMITS } from '../../support/fixtures.js'
import { assertHaproxyAccepts } from '../../support/haproxy-accepts.js'

const THREE_OUTPUTS = 'out1=198.18.1.2\nout2=198.18.2.2\nout3=198.18.3.2\n'

function lines (text: string, pattern: RegExp): string[] {
  return text.split('\n').map((line) => line.trim()).filter((line) => pattern.test(line))
}

// The lines of one section: from its header to the next unindented line.
function section (text: string, header: string): string {
  const all = text.split('\n')
  const from = all.indexOf(header)
  assert.notEqual(from, -1, `no section '${header}' in:\n${text}`)
  const to = all.findIndex((line, i) => i > from && /^\S/.test(line))
  return all.slice(from + 1, to < 0 ? undefined : to).join('\n')
}

test('tcp_roundrobin: round robin over every output, no stick table, every port bound', async () => {
  const text = renderHaproxyConfig(stateFrom(`mode=tcp_roundrobin\nports=80,81,90-99 110:120\n${THREE_OUTPUTS}`))
  assert.deepEqual(lines(text, /^balance /), ['balance roundrobin'])
  assert.deepEqual(lines(text, /^stick/), [])
  assert.deepEqual(lines(text, /^peers /), [])
  assert.deepEqual(lines(text, /^bind :::/), ['bind :::80-81,:::90-99,:::110-120 v4v6'])
  assert.deepEqual(lines(text, /^server out/), ['server out1 198.18.1.2', 'server out2 198.18.2.2', 'server out3 198.18.3.2'])
  await assertHaproxyAccepts(text)
})

test('tcp_source: a stick table on the source address, handed over through the local peer', async () => {
  const text = renderHaproxyConfig(stateFrom(`mode=tcp_source\n${THREE_OUTPUTS}`))
  assert.deepEqual(lines(text, /^stick/), ['stick-table type ipv6 size 1m expire 30m peers l3lb_peers', 'stick on src'])
  assert.deepEqual(lines(text, /^peer /), ['peer l3lb 127.0.0.1:8405'])
  await assertHaproxyAccepts(text)
})

test('backups, disabled outputs, IPv6 and host-name outputs are written as HAProxy reads them', async () => {
  const state = stateFrom('out1=198.18.1.2\nout2=fd00:1b:2::2\nout3=backend.example.invalid\nout4=198.18.4.2\nbackup_outputs=out4\n', ['out2'])
  const text = renderHaproxyConfig(state)
  assert.deepEqual(lines(text, /^server out/), [
    'server out1 198.18.1.2',
    'server out2 [fd00:1b:2::2] disabled',
    'server out3 backend.example.invalid',
    'server out4 198.18.4.2 backup'
  ])
  assert.deepEqual(lines(text, /^option allbackups/), ['option allbackups'])
  await assertHaproxyAccepts(text)
})

test('health checks: a TCP connect to the first port as written, interval, rise and fall; 0 turns them off', async () => {
  const checked = renderHaproxyConfig(stateFrom(`ports=443,80\nhealthcheck_interval=5\nhealthcheck_rise=4\nhealthcheck_fall=6\nconn_timeout=30\n${THREE_OUTPUTS}`))
  assert.deepEqual(lines(checked, /^default-server /), ['default-server init-addr last,libc,none check port 443 inter 5s rise 4 fall 6 observe layer4 error-limit 6 on-error mark-down'])
  assert.deepEqual(lines(checked, /^timeout (connect|check)/), ['timeout connect 30s', 'timeout check 30s'])
  const unchecked = renderHaproxyConfig(stateFrom(`healthcheck_interval=0\n${THREE_OUTPUTS}`))
  assert.deepEqual(lines(unchecked, /^default-server /), ['default-server init-addr last,libc,none'])
  await assertHaproxyAccepts(unchecked)
})

test('timeouts, the connection limit and retries on another output', () => {
  const text = renderHaproxyConfig(stateFrom(`client_timeout=30\nserver_timeout=40\nmax_connections=5\n${THREE_OUTPUTS}`))
  assert.deepEqual(lines(text, /^timeout (client|server) /), ['timeout client 30s', 'timeout server 40s', 'timeout client 30s'])
  assert.deepEqual(lines(text, /^(retries|option redispatch)/), ['retries 3', 'option redispatch 1'])
  assert.deepEqual(lines(text, /^maxconn /), ['maxconn 9900', 'maxconn 9800', 'maxconn 64'])
})

test('in addresses: one bind line per address, IPv6 in brackets', async () => {
  const text = renderHaproxyConfig(stateFrom(`in_addr=198.18.0.1 fd00:1b::1\nports=80,8080-8081\n${THREE_OUTPUTS}`))
  assert.deepEqual(lines(text, /^bind /).slice(0, 2), ['bind 198.18.0.1:80,198.18.0.1:8080-8081', 'bind [fd00:1b::1]:80,[fd00:1b::1]:8080-8081'])
  await assertHaproxyAccepts(text)
})

test('the stats UI listens where ui_addr and ui_port say, refreshes itself, is read-only and serves /metrics', async () => {
  const open = renderHaproxyConfig(stateFrom(`ui_addr=198.18.0.1\nui_port=9000\n${THREE_OUTPUTS}`))
  const ui = section(open, 'listen ui')
  assert.deepEqual(lines(ui, /^bind /), ['bind 198.18.0.1:9000'])
  assert.deepEqual(lines(ui, /^stats /), ['stats enable', 'stats uri /', 'stats refresh 5s', 'stats show-legends'])
  assert.deepEqual(lines(ui, /^http-request /), ['http-request use-service prometheus-exporter if { path /metrics }'])
  assert.deepEqual(lines(open, /^(userlist|user |stats (auth|admin))/), [], 'no auth and never `stats admin`')
  await assertHaproxyAccepts(open)
})

test('ui_user and ui_password: basic auth from a userlist guards the page and /metrics alike', async () => {
  const guarded = renderHaproxyConfig(stateFrom(`ui_user=admin\nui_password=s3cret!:$HOME\n${THREE_OUTPUTS}`))
  assert.deepEqual(lines(section(guarded, 'userlist l3lb_ui'), /^user /), ['user admin insecure-password s3cret!:$HOME'])
  // `stats auth` would not cover use-service, so the auth rule must come first.
  assert.deepEqual(lines(section(guarded, 'listen ui'), /^http-request /), [
    'http-request auth realm L3LB unless { http_auth(l3lb_ui) }',
    'http-request use-service prometheus-exporter if { path /metrics }'
  ])
  assert.deepEqual(lines(guarded, /^stats (auth|admin)/), [])
  await assertHaproxyAccepts(guarded)
})

test('no connected output still renders a configuration HAProxy accepts', async () => {
  await assertHaproxyAccepts(renderHaproxyConfig(stateFrom('')))
})

test('HAProxy refusing a configuration is an L3LB_CONFIG_INVALID error that quotes its alert', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'l3lb-render-'))
  try {
    const file = join(dir, 'bad.cfg')
    await assert.rejects(installConfigFile('frontend in\n  bind :80\n  no-such-keyword\n', file), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'L3LB_CONFIG_INVALID')
      assert.match(error.message, /no-such-keyword/)
      return true
    })
    await assert.rejects(checkConfigFile(file), /HAProxy rejected/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('tuning: 16 kB buffers, responses spliced, the pipes the limits computed', () => {
  const text = renderHaproxyConfig(stateFrom(`mode=tcp_roundrobin\nports=80\n${THREE_OUTPUTS}`))
  assert.deepEqual(lines(section(text, 'global'), /^(tune\.|maxpipes)/), ['tune.bufsize 16384', 'maxpipes 25'])
  // splicing without maxpipes makes HAProxy take maxconn/4 pipes, 2 descriptors each: past ulimit-n
  assert.deepEqual(lines(section(text, 'defaults'), /^[^#]*splice/), ['option splice-response'])
  const roomy = renderHaproxyConfig(stateFrom(`mode=tcp_roundrobin\nports=80\n${THREE_OUTPUTS}`, [], { ...TEST_LIMITS, maxPipes: 2450 }))
  assert.deepEqual(lines(section(roomy, 'global'), /^maxpipes/), ['maxpipes 2450'])
})

test('tcp_splice=off: no splicing and no pipes, a config HAProxy accepts', async () => {
  const text = renderHaproxyConfig(stateFrom(`mode=tcp_roundrobin\nports=80\ntcp_splice=off\n${THREE_OUTPUTS}`))
  assert.deepEqual(lines(section(text, 'global'), /^(tune\.|maxpipes)/), ['tune.bufsize 16384'])
  assert.deepEqual(lines(section(text, 'defaults'), /^[^#]*splice/), [])
  await assertHaproxyAccepts(text)
})

test('logging: notice and above, with no connection log built on the frontend', () => {
  const text = renderHaproxyConfig(stateFrom(`mode=tcp_roundrobin\nports=80\n${THREE_OUTPUTS}`))
  assert.deepEqual(lines(section(text, 'global'), /^log /), ['log stderr format short local0 notice'])
  // the back end keeps the defaults' loggers: outputs going up and down reach the agent's log
  assert.deepEqual(lines(section(text, 'defaults'), /^log /), ['log global'])
  assert.deepEqual(lines(section(text, 'backend outputs'), /^(no )?log\b/), [])
  // a connection log HAProxy would format (getsockname, getpid) only for the level to drop it
  assert.deepEqual(lines(section(text, 'frontend in'), /^(no )?log\b/), ['no log'])
})

test('service files: a frontend and backend per TCP service, named after it, beside the env file\'s in and outputs', async () => {
  const state = stateWithServices(`${THREE_OUTPUTS}max_connections=500\n`, {
    web: 'mode=tcp_leastconn\nports=8081\nserver_web1=198.18.5.1:8080 weight=3 maxconn=100\nserver_web2=[fd00:1b::5]:8080 backup\nserver_web3=198.18.5.3\n',
    app: 'mode=tcp_source\nports=9000-9001\nin_addr=198.18.0.1\nmax_connections=200\ntcp_splice=off\nhealthcheck_interval=0\nclient_timeout=30\nout1=198.18.6.1\n',
    voice: 'mode=udp_roundrobin\nports=5060\nserver_a=198.18.7.1\n'
  }, { ...TEST_LIMITS, maxConnections: 500 })
  const text = renderHaproxyConfig(state)
  assert.deepEqual(lines(text, /^(frontend|backend) /), ['frontend in', 'backend outputs', 'frontend app', 'backend app', 'frontend web', 'backend web'], 'no frontend for a UDP service')
  assert.deepEqual(lines(section(text, 'frontend web'), /^(bind|maxconn|default_backend)/), ['bind :::8081 v4v6', 'maxconn 9800', 'default_backend web'])
  assert.deepEqual(lines(section(text, 'backend web'), /^(balance|server|stick|default-server|option splice)/), [
    'balance leastconn',
    'default-server init-addr last,libc,none check inter 20s rise 2 fall 3 observe layer4 error-limit 3 on-error mark-down',
    'server web1 198.18.5.1:8080 weight 3 maxconn 100',
    'server web2 [fd00:1b::5]:8080 weight 1 backup',
    'server web3 198.18.5.3 port 8081 weight 1'
  ])
  assert.deepEqual(lines(section(text, 'frontend app'), /^(bind|maxconn|timeout client)/), ['bind 198.18.0.1:9000-9001', 'maxconn 200', 'timeout client 30s'])
  assert.deepEqual(lines(section(text, 'backend app'), /^(balance|server|stick|default-server|no option)/), [
    'balance roundrobin',
    'no option splice-response',
    'stick-table type ipv6 size 1m expire 30m peers l3lb_peers',
    'stick on src',
    'default-server init-addr last,libc,none',
    'server out1 198.18.6.1 weight 1'
  ])
  // the env file's own service keeps its limit; the node's limit covers the rest
  assert.deepEqual(lines(section(text, 'frontend in'), /^maxconn/), ['maxconn 500'])
  assert.deepEqual(lines(section(text, 'global'), /^maxconn/), [`maxconn ${TEST_LIMITS.descriptorMaxConnections + 100}`])
  assert.deepEqual(lines(text, /^peer /), ['peer l3lb 127.0.0.1:8405'], 'a tcp_source service hands its table across reloads too')
  await assertHaproxyAccepts(text)
})

test('service files and an env file with no output: default does not listen (SPEC §11); a UDP env file has no frontend', async () => {
  const web = { web: 'ports=80\nserver_a=198.18.5.1\n' }
  assert.deepEqual(lines(renderHaproxyConfig(stateWithServices('', web)), /^(frontend|backend) /), ['frontend web', 'backend web'])
  assert.deepEqual(lines(renderHaproxyConfig(stateWithServices('mode=udp_roundrobin\nports=81\nout1=198.18.1.2\n', web)), /^(frontend|backend) /), ['frontend web', 'backend web'])
  await assertHaproxyAccepts(renderHaproxyConfig(stateWithServices('', web)))
})

test('a service\'s section is rendered again exactly when what it is made of changed: the same text as a render from scratch', async () => {
  const { withEnabled } = await import('../../../src/state/desired.js')
  const files = { web: 'ports=8081\nserver_a=198.18.5.1\nserver_b=198.18.5.2\n', api: 'mode=tcp_source\nports=8082\nserver_x=198.18.5.3\n' }
  const fresh = (disabled: readonly string[]): string => renderHaproxyConfig(withEnabled(stateWithServices('out1=198.18.1.2\n', files), disabled, false))
  const state = stateWithServices('out1=198.18.1.2\n', files)
  // one state's services through several admin changes, each rendered from the sections kept
  for (const disabled of [[], ['web/a'], ['web/a', 'api/x'], ['out1'], []]) {
    const text = renderHaproxyConfig(withEnabled(state, disabled, false))
    assert.equal(text.replace(/l3lb-test-\w+/g, 'X'), fresh(disabled).replace(/l3lb-test-\w+/g, 'X'), JSON.stringify(disabled))
  }
  assert.match(renderHaproxyConfig(withEnabled(state, ['web/b'], false)), /^ {2}server b 198\.18\.5\.2 .*disabled$/m)
  assert.doesNotMatch(renderHaproxyConfig(withEnabled(state, ['web/a'], false)), /^ {2}server b .*disabled$/m)
})

test('the pieces written to disk are the rendered text, byte for byte: no service file, TCP and UDP ones, peers, through admin changes', async () => {
  const { withEnabled } = await import('../../../src/state/desired.js')
  const same = (state: DesiredState, what: string): void => {
    const bytes = Buffer.concat(renderHaproxyConfigPieces(state))
    assert.ok(Buffer.from(renderHaproxyConfig(state)).equals(bytes), what)
  }
  same(stateFrom('out1=198.18.1.2\nout2=198.18.2.2\n', ['out2']), 'the seed alone')
  same(stateFrom('mode=tcp_source\nout1=198.18.1.2\n'), 'the seed with its peers')
  const files = {
    web: 'ports=8081\nserver_a=198.18.5.1\nserver_b=198.18.5.2\n',
    api: 'mode=tcp_source\nports=8082\nserver_x=198.18.5.3\n',
    voip: 'mode=udp_roundrobin\nports=5060\nserver_s=198.18.6.1\n',
    v6: 'ports=8083\nserver_c=[fd00:1b::5]:8080\n'
  }
  const state = stateWithServices('out1=198.18.1.2\n', files)
  for (const disabled of [[], ['web/a'], ['web/a', 'api/x', 'v6/c'], ['out1'], []]) same(withEnabled(state, disabled, false), JSON.stringify(disabled))
  same(stateWithServices('mode=udp_roundrobin\nports=53\n', { web: files.web }), 'a UDP env file beside a TCP service file')
  // a service whose section did not change is the very same piece from one render to the next
  const [first, second] = [renderHaproxyConfigPieces(withEnabled(state, ['web/a'], false)), renderHaproxyConfigPieces(withEnabled(state, ['web/b'], false))]
  assert.equal(first.length, second.length)
  const changed = first.filter((piece, k) => piece !== second[k]).map((piece) => Buffer.from(piece).toString())
  // web's section alone is new: the other sections, the head and the tail are the very same pieces
  assert.deepEqual(changed.map((text) => /^frontend (\w+)/m.exec(text)?.[1]), ['web'])
  // the same state rendered again: every piece the same, the text compared by reference
  const again = renderHaproxyConfigPieces(withEnabled(state, ['web/b'], false))
  assert.ok(again.every((piece, k) => piece === second[k]))
})
