import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseServersStateFile, serversOfState, serversStateFileText, withBackendLines } from '../../../src/haproxy/servers-state-file.js'

const HEADER = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state'
// HAProxy 2.6's `show servers state` for three backends, as the file holds it
const FILE = `${HEADER}\n2 outputs 1 out1 198.18.1.2 2 0\n3 web 1 a 198.18.5.1 2 0\n3 web 2 b 198.18.5.2 2 0\n4 api 1 x 198.18.5.3 2 0\n`
const WEB_NOW = `${HEADER}\n3 web 1 a 198.18.5.1 0 1\n3 web 2 b 198.18.5.2 2 0\n\n`

function fileOf (text: string): NonNullable<ReturnType<typeof parseServersStateFile>> {
  const file = parseServersStateFile(text)
  assert.ok(file !== null)
  return file
}

test('show servers state read and written back: version and header lines kept, every line as it was', () => {
  const file = fileOf(FILE)
  assert.equal(file.header, HEADER)
  assert.deepEqual([...file.backends.keys()], ['outputs', 'web', 'api'])
  assert.equal(serversStateFileText(file), FILE)
})

test('a server whose line is not kept (its address changed) is left out; no header: null', () => {
  const file = parseServersStateFile(FILE, (backend, server) => !(backend === 'web' && server === 'b'))
  assert.ok(file !== null)
  assert.equal(serversStateFileText(file), `${HEADER}\n2 outputs 1 out1 198.18.1.2 2 0\n3 web 1 a 198.18.5.1 2 0\n4 api 1 x 198.18.5.3 2 0\n`)
  assert.equal(parseServersStateFile(''), null)
  assert.equal(parseServersStateFile('1\n'), null)
  assert.equal(parseServersStateFile('1\n# be_id srv_id\n3 1\n'), null)
})

test('one backend\'s lines replaced where they were, every other line as it was, the others\' lists shared', () => {
  const file = fileOf(FILE)
  const spliced = withBackendLines(file, WEB_NOW, 'web')
  assert.ok(spliced !== null)
  assert.equal(serversStateFileText(spliced), `${HEADER}\n2 outputs 1 out1 198.18.1.2 2 0\n3 web 1 a 198.18.5.1 0 1\n3 web 2 b 198.18.5.2 2 0\n4 api 1 x 198.18.5.3 2 0\n`)
  assert.equal(spliced.backends.get('api'), file.backends.get('api'))
  // the file it was built on is unchanged
  assert.equal(serversStateFileText(file), FILE)
})

test('a backend the file did not have yet goes at the end; a fresh line not kept stays out', () => {
  const shop = `${HEADER}\n5 shop 1 s 198.18.5.9 2 0\n5 shop 2 t 198.18.5.10 2 0\n`
  const spliced = withBackendLines(fileOf(FILE), shop, 'shop', (_backend, server) => server !== 't')
  assert.ok(spliced !== null)
  assert.match(serversStateFileText(spliced), /4 api 1 x 198\.18\.5\.3 2 0\n5 shop 1 s 198\.18\.5\.9 2 0\n$/)
})

test('another format (other columns) or no header in the answer: null, and the whole state is asked', () => {
  assert.equal(withBackendLines(fileOf(FILE), '1\n# be_id be_name srv_id srv_name\n3 web 1 a\n', 'web'), null)
  assert.equal(withBackendLines(fileOf(FILE), 'Unknown command\n', 'web'), null)
})

test('fields apart by several spaces or tabs are read alike', () => {
  const file = fileOf(`${HEADER}\n3  web\t1   a 198.18.5.1 2 0\n`)
  assert.deepEqual([...file.backends.keys()], ['web'])
  assert.equal(parseServersStateFile(`${HEADER}\n3 web 1 a 198.18.5.1 2 0\n`, (backend, server) => backend === 'web' && server === 'a')?.backends.get('web')?.length, 1)
})

test('serversOfState: every server\'s backend, name, address and port by the header\'s names; no header, or a column missing: none', () => {
  // HAProxy 2.6.12's header, as it prints it (srv_port after srv_fqdn)
  const text = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n' +
    '3 web 1 a 198.18.5.1 2 0 1 1 9 6 3 4 6 0 0 0 - 80 - 0 0 - - 0\n' +
    '3 web 2 b 198.18.5.2 2 1 1 1 9 6 3 4 6 0 0 0 - 0 - 0 0 - - 0\n\n'
  assert.deepEqual(serversOfState(text), [
    { backend: 'web', server: 'a', address: '198.18.5.1', port: 80 },
    { backend: 'web', server: 'b', address: '198.18.5.2', port: 0 }
  ])
  assert.deepEqual(serversOfState(FILE), [])
  assert.deepEqual(serversOfState(''), [])
})
