/**
 * The ctl service under 10,000 random and malformed requests sent as raw bytes from the
 * client namespace (test/support/ctl-fuzzer.ts), then a storm of 500 concurrent
 * enable/disable requests on one output, then the same junk without the token once
 * ctl_token is set. Every answer must keep the seed's shape, the agent must stay up,
 * the state must follow the requests, and traffic must still flow.
 *
 * The cases come from a seeded generator; set L3LB_FUZZ_SEED to replay a run.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ctlEnv, startAgent, type AgentHandle } from '../../support/agent-driver.js'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { parseAnswers, type FuzzerReport, type RawAnswer } from '../../support/ctl-fuzzer.js'
import { int, pick, seededRandom, shuffled, type Random } from '../../support/seeded-random.js'
import { backendsGreeting } from '../../support/traffic.js'

const FUZZER = fileURLToPath(new URL('../../support/ctl-fuzzer.js', import.meta.url))
const SEED = Number(process.env.L3LB_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32))
const FUZZ_CASES = 10_000
const STORM_CASES = 500
const TOKEN_CASES = 1_000
const TOKEN = 'fuzz-token-7f3a'

let topology: Topology
let client: ClientDriver
let agent: AgentHandle
let env: string

before(async () => {
  topology = await createTopology({ backends: 3 })
  await startBackends(topology, { ports: '80' })
  client = await startClient(topology)
  const [be1, be2, be3] = topology.addresses.backends
  env = `mode=tcp_roundrobin\nports=80\nout1=${be1}\nout2=${be2}\nout3=${be3}\nhealthcheck_interval=1\n` + ctlEnv(topology)
  agent = await startAgent(topology, client, { env })
})

after(async () => {
  await agent?.stop().catch(() => undefined)
  agent?.removeFiles()
  await topology?.destroy()
})

// ---------------------------------------------------------------------------------------
// Seeded randomness (mulberry32): the same seed gives the same cases.

// ---------------------------------------------------------------------------------------
// The cases.

/** One connection's worth of bytes, and what the test knows about it. */
interface FuzzCase {
  readonly kind: string
  readonly bytes: Buffer
  /** Method of each complete request in it, in order (HEAD answers carry no body). */
  readonly methods: readonly string[]
  /** The HTTP statuses of the answers when the test knows them exactly. */
  readonly expected?: readonly number[]
  /** Half-close at once: the request is cut short on purpose. */
  readonly halfClose?: boolean
}

const CTL_PATHS = ['/api/enable', '/api/disable', '/api/status', '/api/outputs', '/api/counters', '/metrics']
const ODD_METHODS = ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'POST', 'HEAD', 'PROPFIND', 'MKCOL', 'PURGE', 'LINK', 'SEARCH', 'QUERY']
const GARBAGE_METHODS = ['get', 'GeT', 'G3T', 'FOO', 'XYZZY', 'GET\x00', 'GE T', '\x7f\x7f', 'ÄÖÜ', 'GETGETGETGETGETGETGETGET', '-', '*']

function request (method: string, target: string, headers: readonly string[] = ['Host: lb'], body = '', version = 'HTTP/1.1', eol = '\r\n'): string {
  return `${method} ${target} ${version}${eol}${headers.map((header) => header + eol).join('')}${eol}${body}`
}

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1')

function selector (random: Random, topology: Topology): string {
  const [be1, be2, be3] = topology.addresses.backends as [string, string, string]
  return pick(random, [
    () => `channel=out${int(random, 0, 9)}`,
    () => `channel=${pick(random, ['', 'OUT1', 'out', 'out01', 'out1 ', 'out1%00', 'out%31', 'out1&channel=out2'])}`,
    () => pick(random, [be1, be2, be3, '198.18.9.9', '10.11.12.13', `address=${be2}`, `address=${be3}`]),
    () => pick(random, ['300.1.1.1', '1.2.3', '1.2.3.4.5', '::g', '[::1', '::1]', '[fd00:1b::5]', 'fd00%3A1b%3A%3A5', '%5B%3A%3A1%5D', 'localhost', 'a..b', `${'a'.repeat(64)}.example`, 'host_name', '-lead']),
    () => pick(random, ['channel', 'address', 'address=', '=', '&', '&&&', '=out1', 'channel==out1', 'channel=out1&', '?channel=out1', 'x=1', 'a&b&c&d']),
    () => Array.from({ length: int(random, 1, 40) }, () => String.fromCharCode(int(random, 0x21, 0x7e))).join('')
  ])()
}

const ENCODING_TRICKS = [
  '%00', 'channel=out1%00', 'channel=%6fut1', 'channel%3Dout1', 'channel=out1%26channel=out2', '%', '%%', '%G1', '%1', '%zz',
  '%C0%AE%C0%AE', '%E0%80%AE', '%F0%80%80%AE', '%ED%A0%80', '%FF%FE', '%2e%2e', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '%252e%252e',
  '%25%32%65', 'channel=%25%36%66ut1', '%C3%A9t%C3%A9', '%E2%80%AE1.2.3.4', '%EF%BB%BF198.18.1.2', '%0d%0aSet-Cookie:%20x=1', '%0a', '%20', '+', '%2B'
]

const ENCODED_PATHS = [
  '/api/%2e%2e/api/status', '/api/../api/status', '/api/./status', '//api/status', '/api//status', '/API/STATUS', '/api/status/',
  '/api/stat%75s', '/api%2Fstatus', '/%61pi/status', '/api/status%00', '/api/status%', '/api/status%C0%AF', '/api/%ZZ', '/%2e%2e/%2e%2e/etc/passwd',
  '/api/status;x=1', '/api/status#frag', '*', 'api/status', 'http://lb/api/status', 'http://evil.example/api/disable?channel=out1', '/api/enable/%2e%2e/disable'
]

const HEADER_JUNK: readonly (readonly string[])[] = [
  [], // no Host on HTTP/1.1
  ['Host: a', 'Host: b'],
  ['Host lb'],
  ['Host: lb', 'X-Junk'],
  ['Host: lb', ': empty-name'],
  ['Host: lb', 'Bad Name: x'],
  ['Host: lb', 'X-Nul: a\x00b'],
  ['Host: lb', 'X-Ctl: a\x01\x02\x7fb'],
  ['Host: lb', 'X-Folded: a', ' continued'],
  ['Host: lb', 'X-High: \xff\xfe\xc0\xaf'],
  ['Host: lb', 'Content-Length: -1'],
  ['Host: lb', 'Content-Length: 1, 2'],
  ['Host: lb', 'Content-Length: 5', 'Content-Length: 6'],
  ['Host: lb', 'Content-Length: 99999999999999999999'],
  ['Host: lb', 'Transfer-Encoding: chunked', 'Content-Length: 3'],
  ['Host: lb', 'Transfer-Encoding: gzip'],
  ['Host: lb', 'Transfer-Encoding: chunked, chunked'],
  ['Host: lb', 'Expect: 100-continue'],
  ['Host: lb', 'Expect: the-unexpected'],
  ['Host: lb', 'Connection: Upgrade', 'Upgrade: websocket'],
  ['Host: lb', 'Connection: Upgrade', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAAQAAP__'],
  ['Host: lb', 'Connection: keep-alive, close, foo'],
  ['Host: lb', 'Authorization: Bearer nothing-needed'],
  ['Host: lb', 'Authorization: Basic Zm9vOmJhcg=='],
  ['Host: lb', `Cookie: ${'c'.repeat(8000)}`],
  ['Host: lb', `X-Big: ${'b'.repeat(20_000)}`],
  ['Host: lb', ...Array.from({ length: 300 }, (_, i) => `X-Many-${i}: ${i}`)],
  ['Host: lb', 'Content-Type: application/json'],
  ['Host: lb', 'Content-Type: multipart/form-data; boundary=x'],
  ['Host: \xff\xfe'],
  ['Host: [fd00::1'],
  ['Host: lb', 'X-Forwarded-For: 198.18.1.2']
]

/** One request to a ctl path that the test can predict, for pipelining: [bytes, method, HTTP status]. */
function predictable (random: Random): [string, string, number] {
  return pick(random, [
    (): [string, string, number] => [request('GET', '/api/status'), 'GET', 200],
    (): [string, string, number] => [request('GET', '/api/nothing'), 'GET', 404],
    (): [string, string, number] => [request('GET', '/api/disable?channel=out9'), 'GET', 400],
    (): [string, string, number] => [request('GET', '/api/enable?channel=out4'), 'GET', 200],
    (): [string, string, number] => [request('GET', '/api/enable?198.18.99.99'), 'GET', 200],
    (): [string, string, number] => [request('POST', '/api/status', ['Host: lb', 'Content-Length: 0']), 'POST', 405],
    (): [string, string, number] => [request('HEAD', '/api/status'), 'HEAD', 405],
    (): [string, string, number] => [request('GET', `/api/status?${'q'.repeat(3000)}`), 'GET', 414],
    (): [string, string, number] => [request('GET', '/api/status', ['Host: lb', 'Content-Length: 4'], 'body'), 'GET', 200]
  ])()
}

function fuzzCase (random: Random, topology: Topology): FuzzCase {
  const path = (): string => pick(random, CTL_PATHS)
  const kind = pick(random, ['valid', 'query', 'encoding', 'path', 'huge-url', 'method', 'garbage-method', 'header-junk', 'truncated', 'pipelined', 'get-body', 'version', 'binary', 'line-endings'])
  switch (kind) {
    case 'valid': {
      const target = pick(random, ['/api/status', '/api/outputs', '/api/counters', '/metrics', `/api/${pick(random, ['enable', 'disable'])}?channel=out${int(random, 1, 4)}`])
      // a client that half-closes after its request (nc -N) still gets its answer
      return { kind, bytes: latin1(request('GET', target)), methods: ['GET'], halfClose: random() < 0.3 }
    }
    case 'query':
      return { kind, bytes: latin1(request('GET', `${path()}?${selector(random, topology)}`)), methods: ['GET'] }
    case 'encoding':
      return { kind, bytes: latin1(request('GET', `${path()}?${pick(random, ENCODING_TRICKS)}`)), methods: ['GET'] }
    case 'path':
      return { kind, bytes: latin1(request(pick(random, ['GET', 'GET', 'POST']), pick(random, ENCODED_PATHS))), methods: ['GET'] }
    case 'huge-url': {
      const length = pick(random, [int(random, 2049, 4000), int(random, 4000, 15_000), int(random, 17_000, 65_536)])
      const prefix = `${path()}?`
      const filler = pick(random, ['a', '%41', '&', 'channel=out1&', '%', '\xff'])
      const target = (prefix + filler.repeat(Math.ceil(length / filler.length))).slice(0, length)
      return { kind, bytes: latin1(request('GET', target)), methods: ['GET'] }
    }
    case 'method': {
      const method = pick(random, ODD_METHODS)
      const target = pick(random, [path(), '/api/nothing', `${path()}?channel=out2`])
      return { kind, bytes: latin1(request(method, target)), methods: [method] }
    }
    case 'garbage-method':
      return { kind, bytes: latin1(request(pick(random, [...GARBAGE_METHODS, 'CONNECT']), pick(random, [path(), '198.18.0.1:8080', 'lb:443']))), methods: ['?'] }
    case 'header-junk':
      return { kind, bytes: latin1(request('GET', `${path()}?channel=out${int(random, 1, 9)}`, pick(random, HEADER_JUNK))), methods: ['GET'] }
    case 'truncated': {
      const whole = latin1(request('GET', `${path()}?${selector(random, topology)}`, ['Host: lb', 'User-Agent: fuzz', 'Accept: */*']))
      return { kind, bytes: whole.subarray(0, int(random, 1, whole.length - 1)), methods: ['GET'], halfClose: true }
    }
    case 'pipelined': {
      const parts = Array.from({ length: int(random, 2, 6) }, () => predictable(random))
      const text = parts.map(([bytes]) => bytes).join('')
      return { kind, bytes: latin1(text), methods: parts.map(([, method]) => method), expected: parts.map(([, , status]) => status) }
    }
    case 'get-body': {
      const size = pick(random, [1, 10, 1024, 1025, int(random, 2000, 60_000)])
      const body = 'x'.repeat(size)
      const headers = pick(random, [
        ['Host: lb', `Content-Length: ${size}`],
        ['Host: lb', 'Content-Type: application/json', `Content-Length: ${size}`],
        ['Host: lb', 'Transfer-Encoding: chunked']
      ])
      const sent = headers.includes('Transfer-Encoding: chunked') ? `${size.toString(16)}\r\n${body}\r\n0\r\n\r\n` : body
      return { kind, bytes: latin1(request('GET', `/api/${pick(random, ['enable', 'disable', 'status'])}?channel=out${int(random, 1, 3)}`, headers, sent)), methods: ['GET'] }
    }
    case 'version': {
      const version = pick(random, ['HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 extra', 'HTTPS/1.1', 'http/1.1', 'HTTP/1', 'HTTP/01.1', ''])
      return { kind, bytes: latin1(request('GET', '/api/status', ['Host: lb'], '', version)), methods: ['GET'] }
    }
    case 'binary': {
      const bytes = pick(random, [
        () => Buffer.from(Array.from({ length: int(random, 1, 2000) }, () => int(random, 0, 255))),
        () => latin1('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
        () => Buffer.from('16030100a5010000a10303', 'hex'), // a TLS ClientHello's start
        () => latin1('\r\n\r\n\r\n'),
        () => latin1(' GET /api/status HTTP/1.1\r\nHost: lb\r\n\r\n'),
        () => latin1('GET /api/status HTTP/1.1\r\nHost: lb\r\n\r\n').subarray(0, 0)
      ])()
      return { kind, bytes, methods: ['?'], halfClose: bytes.length === 0 }
    }
    default: {
      const eol = pick(random, ['\n', '\r', '\n\r', '\r\r\n'])
      return { kind, bytes: latin1(request('GET', '/api/status', ['Host: lb'], '', 'HTTP/1.1', eol)), methods: ['GET'] }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Running the fuzzer and reading what came back.

/** Sends the cases from the client namespace to the ctl service; one report per case, by id. */
async function runFuzzer (cases: readonly FuzzCase[], concurrency: number, caseTimeoutMs: number, quietMs = 3000): Promise<FuzzerReport[]> {
  const settings = { host: topology.addresses.lbClientSide, port: 8080, concurrency, caseTimeoutMs, quietMs }
  const lines = cases.map((item, id) => JSON.stringify({ id, chunks: [item.bytes.toString('base64')], methods: item.methods, halfClose: item.halfClose ?? false }))
  const input = [JSON.stringify(settings), ...lines].join('\n') + '\n'
  const result = await topology.exec(topology.names.client, process.execPath, [FUZZER], { input, timeoutMs: 240_000 })
  const reports: FuzzerReport[] = []
  for (const line of result.stdout.split('\n')) {
    if (line === '') continue
    const parsed = JSON.parse(line) as FuzzerReport & { summary?: true }
    if (parsed.summary !== true) reports[parsed.id] = parsed
  }
  assert.equal(reports.filter(Boolean).length, cases.length, `the fuzzer reported every case (seed ${SEED})`)
  return reports
}

/** Why an answer is not what the ctl service may say, or null when it is fine. */
function answerProblem (answer: RawAnswer, method: string | undefined): string | null {
  const type = answer.headers.get('content-type') ?? ''
  // HEAD is refused like any other method (405, 404 off the ctl paths, 401 without a token); Node drops the body
  if (method === 'HEAD') return [401, 404, 405].includes(answer.status) && type.startsWith('application/json') ? null : `HEAD answered ${answer.status} ${type}`
  if (answer.status === 200 && type.startsWith('text/plain; version=0.0.4')) {
    return /^l3lb_output_status\{output="out1"\} \d+$/m.test(answer.body.toString('utf8')) ? null : 'a /metrics answer without l3lb_output_status'
  }
  if (!type.startsWith('application/json')) return `HTTP ${answer.status} with content-type ${JSON.stringify(type)}`
  let body: unknown
  try {
    body = JSON.parse(answer.body.toString('utf8'))
  } catch {
    return `HTTP ${answer.status} body is not JSON: ${JSON.stringify(answer.body.subarray(0, 200).toString('utf8'))}`
  }
  if (answer.status === 200 && (isCountersDocument(body) || isOutputsAnswer(body))) return null
  return seedShapeProblem(answer.status, body)
}

// /api/outputs: code 0 and a list of outputs, each with every member
function isOutputsAnswer (body: unknown): boolean {
  const answer = body as { status?: { code?: unknown, message?: unknown }, outputs?: unknown }
  if (Object.keys(answer).join() !== 'status,outputs' || answer.status?.code !== 0 || answer.status.message !== '' || !Array.isArray(answer.outputs)) return false
  return answer.outputs.every((output: Record<string, unknown>) =>
    Object.keys(output).join() === 'name,address,role,state,reason,for_seconds' && ['up', 'down', 'disabled'].includes(String(output.state)))
}

function isCountersDocument (body: unknown): boolean {
  const document = body as { group?: unknown, counters?: Record<string, unknown> }
  return document.group === 'L3LB' && typeof document.counters === 'object' && typeof document.counters?.out1_status === 'number'
}

function seedShapeProblem (httpStatus: number, body: unknown): string | null {
  const text = JSON.stringify(body).slice(0, 300)
  if (typeof body !== 'object' || body === null || Object.keys(body).join() !== 'status') return `not {"status":...}: ${text}`
  const status = (body as { status: Record<string, unknown> }).status
  if (status.code !== 0 && status.code !== 10 && status.code !== 100) return `code is not 0, 10 or 100: ${text}`
  if (typeof status.message !== 'string') return `message is not a string: ${text}`
  for (const [name, value] of Object.entries(status)) {
    if (name !== 'code' && name !== 'message' && !(/^out[1-8]$/.test(name) && (value === 'up' || value === 'down'))) return `unexpected member ${name}: ${text}`
  }
  if (status.code === 100 && httpStatus < 400) return `code 100 with HTTP ${httpStatus}: ${text}`
  if (status.code !== 100 && httpStatus !== 200) return `code ${String(status.code)} with HTTP ${httpStatus}: ${text}`
  if (httpStatus >= 500) return `HTTP ${httpStatus}, an internal error: ${text}`
  return null
}

/** How each case ended: answered (all answers fine), silent (closed, nothing sent back) or a problem. */
interface Verdict {
  readonly answers: RawAnswer[]
  readonly silent: boolean
  readonly problem: string | null
}

function judge (item: FuzzCase, report: FuzzerReport): Verdict {
  const received = Buffer.from(report.received, 'base64')
  if (report.outcome === 'timeout') return { answers: [], silent: false, problem: `no close within the case timeout; received ${received.length} bytes` }
  if (received.length === 0) {
    const closedQuietly = report.outcome === 'closed' || report.code === 'ECONNRESET' || report.code === 'EPIPE'
    return { answers: [], silent: closedQuietly, problem: closedQuietly ? null : `connection error ${String(report.code)}` }
  }
  const { answers, rest, junk } = parseAnswers(received, item.methods)
  if (junk !== null) return { answers, silent: false, problem: junk }
  if (rest.length > 0) return { answers, silent: false, problem: `an incomplete answer: ${JSON.stringify(rest.subarray(0, 200).toString('latin1'))}` }
  for (const [index, answer] of answers.entries()) {
    const problem = answerProblem(answer, item.methods[index])
    if (problem !== null) return { answers, silent: false, problem }
  }
  if (item.expected !== undefined) {
    const statuses = answers.map((answer) => answer.status)
    if (statuses.join() !== item.expected.join()) return { answers, silent: false, problem: `expected HTTP ${item.expected.join(', ')}, got ${statuses.join(', ')}` }
  }
  return { answers, silent: false, problem: null }
}

const describeCase = (item: FuzzCase): string => `${item.kind} ${JSON.stringify(item.bytes.subarray(0, 160).toString('latin1'))}`

// ---------------------------------------------------------------------------------------
// Helpers on the running appliance.

async function backendsInUse (): Promise<Set<string>> {
  return new Set(await backendsGreeting(client, topology.addresses.lbClientSide, 9))
}

async function statusWhenAllUp (headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const { status } = await agent.ctl('/api/status', headers)
    if (['out1', 'out2', 'out3'].every((name) => status[name] === 'up') || Date.now() > deadline) return status
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

function assertAgentUp (when: string): void {
  assert.equal(agent.process.hasExited(), false, `the agent exited ${when} (seed ${SEED}); its output:\n${agent.process.output()}`)
}

// ---------------------------------------------------------------------------------------

test(`${FUZZ_CASES} random and malformed requests: every answer in the seed's shape, the agent stays up, traffic flows`, { timeout: 300_000 }, async (t) => {
  t.diagnostic(`seed ${SEED} (replay with L3LB_FUZZ_SEED=${SEED})`)
  const random = seededRandom(SEED)
  const cases = Array.from({ length: FUZZ_CASES }, () => fuzzCase(random, topology))
  const reports = await runFuzzer(cases, 20, 15_000)
  assertAgentUp('during the fuzzing')

  const problems: string[] = []
  const silent = new Map<string, number>()
  const byStatus = new Map<number, number>()
  cases.forEach((item, id) => {
    const verdict = judge(item, reports[id] as FuzzerReport)
    if (verdict.problem !== null) problems.push(`#${id} ${describeCase(item)}: ${verdict.problem}`)
    if (verdict.silent) silent.set(item.kind, (silent.get(item.kind) ?? 0) + 1)
    for (const answer of verdict.answers) byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1)
  })
  t.diagnostic(`answers by HTTP status: ${JSON.stringify(Object.fromEntries([...byStatus].sort(([a], [b]) => a - b)))}`)
  t.diagnostic(`closed without an answer, by kind: ${JSON.stringify(Object.fromEntries(silent))}`)
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} bad answers (seed ${SEED})`)
  // Only a connection that sent no request at all (nothing, or blank lines) may end without an answer.
  const unexplained = cases.filter((item, id) => judge(item, reports[id] as FuzzerReport).silent && item.bytes.toString('latin1').trim() !== '')
  assert.deepEqual(unexplained.slice(0, 10).map(describeCase), [], `${unexplained.length} requests were closed without an answer (seed ${SEED})`)
  for (const status of [200, 400, 404, 405, 414, 431]) assert.ok((byStatus.get(status) ?? 0) > 0, `the fuzzing reached HTTP ${status}`)

  const { httpStatus, status } = await agent.ctl('/api/status')
  assert.equal(httpStatus, 200)
  assert.equal(status.code, 0)
  for (const name of ['out1', 'out2', 'out3']) assert.ok([0, 10].includes((await agent.ctl(`/api/enable?channel=${name}`)).status.code))
  assert.deepEqual(await statusWhenAllUp(), { code: 0, message: '', out1: 'up', out2: 'up', out3: 'up' })
  assert.deepEqual(await backendsInUse(), new Set(['be1', 'be2', 'be3']), 'traffic reaches every back end after the fuzzing')
  assertAgentUp('after the fuzzing')
})

test(`a storm of ${STORM_CASES} concurrent enable/disable requests on out2: answers add up, the last request decides`, { timeout: 180_000 }, async (t) => {
  const random = seededRandom(SEED ^ 0x5bd1e995)
  assert.ok([0, 10].includes((await agent.ctl('/api/enable?channel=out2')).status.code), 'out2 starts enabled')
  const verbs = shuffled(random, Array.from({ length: STORM_CASES }, (_, i) => (i % 2 === 0 ? 'enable' : 'disable')))
  const reports = await runFuzzer(verbs.map((verb) => ({ kind: 'storm', bytes: latin1(request('GET', `/api/${verb}?channel=out2`)), methods: ['GET'] })), STORM_CASES, 90_000, 90_000)
  assertAgentUp('during the storm')

  const counts = { enable: 0, disable: 0 }
  verbs.forEach((verb, id) => {
    const report = reports[id] as FuzzerReport
    const [answer] = parseAnswers(Buffer.from(report.received, 'base64'), ['GET']).answers
    assert.ok(answer !== undefined, `storm request #${id} (${verb}) got no answer: ${report.outcome} ${String(report.code)} (seed ${SEED})`)
    const body = JSON.parse(answer.body.toString('utf8')) as { status: { code: number, message: string } }
    assert.equal(answer.status, 200, `storm request #${id} (${verb}): ${JSON.stringify(body)}`)
    assert.ok(body.status.code === 0 || body.status.code === 10, `storm request #${id} (${verb}): ${JSON.stringify(body)}`)
    if (body.status.code === 0) counts[verb as 'enable' | 'disable']++
  })
  t.diagnostic(`changes done: ${JSON.stringify(counts)}`)
  // Applied one at a time from enabled, the changes that happened alternate disable, enable, ...
  const flips = counts.disable - counts.enable
  assert.ok(flips === 0 || flips === 1, `done disables ${counts.disable} and enables ${counts.enable} cannot alternate (seed ${SEED})`)
  assert.ok(counts.disable > 0, 'the storm changed something')
  const status = await statusWhenAllUpOrDisabled()
  assert.equal('out2' in status, flips === 0, `status ${JSON.stringify(status)} after ${JSON.stringify(counts)}`)

  // The last request, alone, decides; status, the admin file and the traffic all follow it.
  const last = pick(random, ['enable', 'disable'])
  const answer = await agent.ctl(`/api/${last}?channel=out2`)
  assert.ok(answer.status.code === 0 || answer.status.code === 10, JSON.stringify(answer.status))
  const enabled = last === 'enable'
  assert.equal('out2' in (await agent.ctl('/api/status')).status, enabled)
  const saved = JSON.parse(readFileSync(join(agent.stateDir, 'admin-state.json'), 'utf8')) as { disabled: string[] }
  assert.equal(saved.disabled.includes('out2'), !enabled)
  assert.equal((await backendsInUse()).has('be2'), enabled, `traffic to be2 after a lone ${last}`)
  await agent.ctl('/api/enable?channel=out2')
  assert.deepEqual(await backendsInUse(), new Set(['be1', 'be2', 'be3']))
})

async function statusWhenAllUpOrDisabled (): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const { status } = await agent.ctl('/api/status')
    if (Object.keys(status).every((name) => !name.startsWith('out') || status[name] === 'up') || Date.now() > deadline) return status
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

test(`with ctl_token set, ${TOKEN_CASES} random requests without it change nothing and learn nothing`, { timeout: 180_000 }, async () => {
  agent.writeEnv(env + `ctl_token=${TOKEN}\n`)
  assert.match(await agent.reload(), /properties reloaded|: reload$/)
  const auth = { authorization: `Bearer ${TOKEN}` }
  for (const name of ['out1', 'out2']) assert.ok([0, 10].includes((await agent.ctl(`/api/enable?channel=${name}`, auth)).status.code))
  assert.ok([0, 10].includes((await agent.ctl('/api/disable?channel=out3', auth)).status.code))
  const before = await agent.ctl('/api/status', auth)

  const random = seededRandom(SEED ^ 0x27d4eb2f)
  // The valid requests matter most here: each would change something if it got through.
  const cases = Array.from({ length: TOKEN_CASES }, (_, i) => i % 2 === 0
    ? { kind: 'valid', bytes: latin1(request('GET', pick(random, ['/api/enable?channel=out3', '/api/disable?channel=out1', '/api/status', '/api/outputs', '/api/counters', '/metrics', '/api/nothing']), ['Host: lb', pick(random, ['X-None: 1', 'Authorization: Bearer wrong', `Authorization: Bearer ${TOKEN}x`, `Authorization: Bearer ${TOKEN.slice(0, -1)}`, `Authorization: Basic ${TOKEN}`, `Authorization: ${TOKEN}`, 'Authorization: Bearer', `Authorization: Bearer  ${TOKEN.toUpperCase()}`])])), methods: ['GET'] }
    // without the token the statuses a pipeline would get otherwise are 401s
    : { ...fuzzCase(random, topology), expected: undefined })
  const reports = await runFuzzer(cases, 20, 15_000)
  assertAgentUp('during the fuzzing with a token')

  const leaks: string[] = []
  cases.forEach((item, id) => {
    const verdict = judge(item, reports[id] as FuzzerReport)
    if (verdict.problem !== null) leaks.push(`#${id} ${describeCase(item)}: ${verdict.problem}`)
    for (const answer of verdict.answers) {
      // Without the token only a refusal may come back: 401, a request too broken to read (400, 414, 431),
      // or what Node refuses before any route (CONNECT: 405, an unknown Expect: 417).
      const refusal = [400, 401, 414, 431].includes(answer.status) ||
        (answer.status === 405 && item.bytes.toString('latin1').startsWith('CONNECT ')) ||
        (answer.status === 417 && /\r\nExpect: /i.test(item.bytes.toString('latin1')))
      if (!refusal) leaks.push(`#${id} ${describeCase(item)}: HTTP ${answer.status} without the token`)
      if (answer.body.includes(TOKEN)) leaks.push(`#${id} ${describeCase(item)}: the answer repeats the token`)
    }
  })
  assert.deepEqual(leaks.slice(0, 20), [], `${leaks.length} answers without the token (seed ${SEED})`)
  assert.deepEqual(await agent.ctl('/api/status', auth), before, 'requests without the token changed nothing')
  assert.equal((await agent.ctl('/api/enable?channel=out3', auth)).status.code, 0)
  assert.deepEqual(await statusWhenAllUp(auth), { code: 0, message: '', out1: 'up', out2: 'up', out3: 'up' })
  assertAgentUp('after the fuzzing with a token')
})
