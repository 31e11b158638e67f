/**
 * loadProperties on 10,000 random env files from a seeded generator: it never throws, and
 * every rejection names a property and says what was wrong and what is accepted. Then
 * random valid files, written in every accepted syntax, load to the properties they name.
 * Set L3LB_FUZZ_SEED to replay a run.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadProperties } from '../../../src/properties/load.js'
import { MODES, OUTPUT_NAMES, type Mode, type PortRange, type PropertiesResult } from '../../../src/properties/model.js'
import { PROPERTY_NAMES } from '../../../src/properties/schema.js'
import { int, pick, seededRandom, shuffled, type Random } from '../../support/seeded-random.js'

const SEED = Number(process.env.L3LB_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32))
const RANDOM_FILES = 10_000
const VALID_FILES = 2_000

const chance = (random: Random, p: number): boolean => random() < p

// ---------------------------------------------------------------------------------------
// Random files.

// A known name, or one a typo away from it, or no name at all.
function randomName (random: Random): string {
  const known = pick(random, PROPERTY_NAMES)
  const at = int(random, 0, known.length - 1)
  return pick(random, [
    () => known,
    () => known,
    () => known.toUpperCase(),
    () => known.slice(0, at) + known.slice(at + 1),
    () => known.slice(0, at) + pick(random, ['x', '_', '1', 'e']) + known.slice(at),
    () => known.slice(0, at) + (known[at + 1] ?? '') + (known[at] ?? '') + known.slice(at + 2),
    () => `${known}2`,
    () => pick(random, ['out0', 'out9', 'out10', 'port', 'mod', 'ctl-port', '1abc', 'a b', 'ctl.port', 'über', '', '_', 'x'.repeat(300), 'export', 'PATH', '$mode', 'mode\u00a0'])
  ])()
}

const CONTROL = Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)).filter((char) => char !== '\n')

function randomValue (random: Random): string {
  return pick(random, [
    () => String(int(random, 0, 70_000)),
    () => pick(random, ['0', '-1', '+5', '1e3', '0x10', '1.5', '12abc', '007', ' 80 ', '65536', '99999999999999999999999', '9'.repeat(400), 'NaN', 'Infinity']),
    () => pick(random, ['tcp_roundrobin', 'tcp_source', 'udp_roundrobin', 'TCP_ROUNDROBIN', 'tcp', 'round robin', 'on', 'off', 'yes']),
    () => pick(random, ['80', '80,81 90-99', '80-70', '1:65535', '0', '80,,81', '80 - 90', '443:80', 'http', '80-']),
    () => pick(random, ['198.18.1.2', '[fd00:1b::2]', 'fd00:1b::2', '0.0.0.0', '::', '300.1.1.1', '198.18.1.2:80', '[::1]:80', 'fe80::1%eth0', 'host.example', '-bad-.example', 'a'.repeat(300), 'out1', 'out1-out3', 'out1,out9']),
    () => pick(random, ['http://mon.example/x', 'ftp://x', 'http://', 'https://[::1]:9/p', 'http://a b']),
    () => pick(random, ['', '""', "''", '"', "'", '"a"b', "'a'#c", '"a" # c', 'a # c', 'a#c', '"\\"x\\""', '"\\\\"', "'it''s'", '`id`', '$(id)', '$' + '{HOME}', 'a\\', '"unterminated', "'unterminated"]),
    () => Array.from({ length: int(random, 1, 12) }, () => pick(random, ['é', '日本', '🙂', '\u202e', '\u00a0', '\uFEFF', '\u2028', '\ud800', 'ß'])).join(''),
    () => Array.from({ length: int(random, 1, 8) }, () => pick(random, CONTROL)).join(''),
    () => 'v'.repeat(int(random, 1000, 100_000)),
    () => Array.from({ length: int(random, 1, 30) }, () => String.fromCharCode(int(random, 0x20, 0x7e))).join('')
  ])()
}

function randomLine (random: Random): string {
  return pick(random, [
    () => '',
    () => pick(random, ['# comment', '; systemd comment', '   # indented', '#mode=udp_roundrobin', '  ', '\t']),
    () => pick(random, ['export', 'export ', 'just words', '=value', '==', 'mode', 'mode:tcp_source', '[section]', '\uFEFFmode=tcp_source', 'export  export mode=x']),
    () => `${chance(random, 0.3) ? pick(random, ['export ', 'export\t', 'EXPORT ', 'export  ']) : ''}${randomName(random)}${pick(random, ['=', ' = ', '= ', ' =', '\t=\t', '=='])}${randomValue(random)}`
  ])()
}

function randomFile (random: Random): string {
  const lines = Array.from({ length: int(random, 0, 24) }, () => randomLine(random))
  const eol = pick(random, ['\n', '\r\n', '\n', '\r'])
  return (chance(random, 0.1) ? '\uFEFF' : '') + lines.join(eol) + (chance(random, 0.5) ? eol : '')
}

// ---------------------------------------------------------------------------------------
// What a rejection must look like.

const SHAPES: readonly RegExp[] = [
  // a value (or a name) quoted, then what is accepted
  /^"(?:[^"\\]|\\.)*" is not accepted(?: as a name| in udp_roundrobin)?: \S/s,
  // a secret is never quoted back
  /^the value given \(hidden, \d+ characters\) is not accepted: \S/,
  /^"(?:[^"\\]|\\.)*" is not a known property: (?:did you mean [a-z0-9_]+\?|see docs\/properties\.md for the known names)$/s,
  /^line \d+: (?:the value starts with (?:'|") but the closing (?:'|") is missing|a # after an unquoted value is ambiguous .+|a quote inside an unquoted value is not accepted: .+|(?:"(?:[^"\\]|\\.)*"|text) after the closing quote is not accepted: .+)$/s,
  /^given on line \d+ and again on line \d+: give each property once/
]

/** Why a result breaks the contract, or null. */
function contractProblem (text: string, result: PropertiesResult): string | null {
  if (result.ok) return Object.isFrozen(result.properties) && Object.isFrozen(result.properties.outputs) ? null : 'accepted properties are not frozen'
  if (result.problems.length === 0) return 'refused with no problem'
  for (const problem of result.problems) {
    if (typeof problem.property !== 'string' || problem.property.trim() === '') return `a problem without a property: ${JSON.stringify(problem)}`
    if (!SHAPES.some((shape) => shape.test(problem.message))) return `a message of no known shape: ${JSON.stringify(problem)}`
  }
  // a secret's value is never repeated, neither whole nor any quoted piece of it
  const secrets = [...text.matchAll(/^[\s\uFEFF]*(?:export\s+)?(ctl_token|ui_password)\s*=(.*)$/gm)]
  for (const problem of result.problems.filter((each) => each.property === 'ctl_token' || each.property === 'ui_password')) {
    if (problem.value !== '(hidden)') return `a secret's value is given back: ${JSON.stringify(problem)}`
    const quoted = [...problem.message.matchAll(/"(?:[^"\\]|\\.)*"/g)].map((match) => JSON.parse(match[0]) as string)
    const leak = quoted.find((piece) => piece.trim().length >= 4 && secrets.some((secret) => secret[1] === problem.property && (secret[2] ?? '').includes(piece)))
    if (leak !== undefined) return `a secret is repeated: ${JSON.stringify(problem)}`
  }
  return null
}

test(`${RANDOM_FILES} random env files: loadProperties never throws; every refusal names a property and what is accepted`, (t) => {
  t.diagnostic(`seed ${SEED} (replay with L3LB_FUZZ_SEED=${SEED})`)
  const random = seededRandom(SEED)
  let accepted = 0
  const shapes = new Map<string, number>()
  for (let i = 0; i < RANDOM_FILES; i++) {
    const text = randomFile(random)
    let result: PropertiesResult
    try {
      result = loadProperties(text)
    } catch (error) {
      assert.fail(`file #${i} (seed ${SEED}) threw ${String(error)}:\n${JSON.stringify(text.slice(0, 2000))}`)
    }
    const problem = contractProblem(text, result)
    assert.equal(problem, null, `file #${i} (seed ${SEED}):\n${JSON.stringify(text.slice(0, 2000))}`)
    if (result.ok) accepted++
    else for (const { message } of result.problems) shapes.set(String(SHAPES.findIndex((shape) => shape.test(message))), (shapes.get(String(SHAPES.findIndex((shape) => shape.test(message)))) ?? 0) + 1)
  }
  t.diagnostic(`accepted ${accepted}; problems by shape ${JSON.stringify(Object.fromEntries(shapes))}`)
  // the generator reaches both outcomes and every shape of message
  assert.ok(accepted > 0 && accepted < RANDOM_FILES, `accepted ${accepted} of ${RANDOM_FILES}`)
  assert.equal(shapes.size, SHAPES.length, `every message shape was reached: ${JSON.stringify(Object.fromEntries(shapes))}`)
})

test('the contract check itself refuses what it must', () => {
  const refusal = (message: string, property = 'ports'): PropertiesResult => ({ ok: false, problems: [{ property, value: 'x', message }] })
  assert.match(String(contractProblem('', refusal('ports are bad'))), /no known shape/)
  assert.match(String(contractProblem('', refusal('"x" is not accepted: a port', ' '))), /without a property/)
  assert.match(String(contractProblem('', { ok: false, problems: [] })), /no problem/)
  assert.match(String(contractProblem('ctl_token=hunter2hunter2', refusal('"hunter2hunter2" is not accepted: a credential', 'ctl_token'))), /secret's value is given back/)
  const hidden = (message: string): PropertiesResult => ({ ok: false, problems: [{ property: 'ctl_token', value: '(hidden)', message }] })
  assert.match(String(contractProblem('ctl_token="ab"cdefgh', hidden('line 1: "cdefgh" after the closing quote is not accepted: x'))), /secret is repeated/)
  assert.equal(contractProblem('ctl_token="ab"cdefgh', hidden('line 1: text after the closing quote is not accepted: x')), null)
  assert.equal(contractProblem('', refusal('"x" is not accepted: a port')), null)
})

// ---------------------------------------------------------------------------------------
// Valid files whose properties are known.

interface Expected {
  readonly mode: Mode
  readonly ports: readonly PortRange[]
  readonly healthcheckPort: number
  readonly outputs: ReadonlyArray<{ name: string, address: string, backup: boolean }>
  readonly numbers: Readonly<Record<string, number>>
  readonly ctlPort: number
  readonly uiPort: number
  readonly ctlToken: string
  readonly uiUser: string
  readonly uiPassword: string
  readonly inAddrs: readonly string[]
  readonly udpSnat: boolean
}

const CREDENTIAL_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$%&()*+,-./;<=>?@[]^_`{|}~']

// One value written in one of the accepted spellings.
function spell (random: Random, name: string, value: string): string {
  const quoted = pick(random, [
    () => value,
    () => `'${value}'`,
    () => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
    () => `"${value}"   # a comment after the quote`
  ])()
  // a value with blanks inside must be quoted for the shell; the file format keeps it either way
  const safe = /[\s#'"]/.test(value) && !quoted.startsWith("'") && !quoted.startsWith('"') ? `'${value}'` : quoted
  return `${pick(random, ['', 'export ', '  export '])}${name}${pick(random, ['=', ' = ', '\t= '])}${safe}${pick(random, ['', '  '])}`
}

function validFile (random: Random): { text: string, expected: Expected } {
  const mode = pick(random, MODES)
  // ranges in 1000..2999 apart from each other, written in any order: merged they are the same ranges, sorted
  const ranges: PortRange[] = []
  let low = int(random, 1000, 1100)
  for (let i = int(random, 1, 5); i > 0; i--) {
    const high = low + int(random, 0, 30)
    ranges.push({ low, high })
    low = high + int(random, 2, 100)
  }
  const written = shuffled(random, ranges)
  const portsText = written.map((range) => range.low === range.high ? String(range.low) : `${range.low}${pick(random, ['-', ':'])}${range.high}`).join(pick(random, [',', ' ', ', ', ' ,  ']))
  const connected = OUTPUT_NAMES.filter(() => chance(random, 0.5))
  const outputs = connected.map((name, index) => {
    const kind = mode === 'udp_roundrobin' ? int(random, 0, 1) : int(random, 0, 2)
    const [given, address] = kind === 0
      ? [`198.18.${index + 1}.${int(random, 2, 250)}`, '']
      : kind === 1 ? ['v6', ''] : [`be${index}.example.test`, '']
    if (given === 'v6') {
      const v6 = `fd00:1b:0:${index + 1}::${int(random, 2, 0xfff).toString(16)}`
      return { name, given: chance(random, 0.5) ? `[${v6}]` : v6, address: v6 }
    }
    return { name, given, address: address === '' ? given : address }
  })
  const unconnected = OUTPUT_NAMES.filter((name) => !connected.includes(name))
  const backups = outputs.filter(() => chance(random, 0.3)).map((output) => output.name)
  const numbers: Record<string, number> = {
    max_connections: int(random, 0, 1_000_000),
    healthcheck_interval: int(random, 0, 86_400),
    healthcheck_rise: int(random, 1, 100),
    healthcheck_fall: int(random, 1, 100),
    client_timeout: int(random, 1, 86_400),
    server_timeout: int(random, 1, 86_400),
    conn_timeout: int(random, 1, 86_400),
    mon_interval: int(random, 1, 86_400)
  }
  if (mode === 'udp_roundrobin') for (const name of ['max_connections', 'client_timeout', 'server_timeout', 'conn_timeout']) delete numbers[name]
  const credential = (length: number, colon: boolean): string => Array.from({ length }, () => pick(random, CREDENTIAL_CHARS.filter((char) => colon || char !== ':'))).join('')
  const withUi = chance(random, 0.5)
  const expected: Expected = {
    mode,
    ports: ranges,
    healthcheckPort: written[0]?.low ?? 0,
    outputs: outputs.map((output) => ({ name: output.name, address: output.address, backup: backups.includes(output.name) })),
    numbers,
    ctlPort: int(random, 3000, 3999),
    uiPort: int(random, 4000, 4999),
    ctlToken: chance(random, 0.5) ? credential(int(random, 1, 64), true) : '',
    uiUser: withUi ? credential(int(random, 1, 20), false) : '',
    uiPassword: withUi ? credential(int(random, 1, 40), true) : '',
    inAddrs: chance(random, 0.5) ? [] : ['198.18.0.1'],
    udpSnat: chance(random, 0.5)
  }
  const lines = [
    spell(random, 'mode', mode),
    spell(random, 'ports', portsText),
    ...outputs.map((output) => spell(random, output.name, output.given)),
    ...(unconnected.length > 0 && chance(random, 0.3) ? [spell(random, pick(random, unconnected), '')] : []),
    spell(random, 'backup_outputs', backups.join(pick(random, [',', ' ', ', ']))),
    ...Object.entries(numbers).map(([name, value]) => spell(random, name, String(value))),
    spell(random, 'ctl_port', String(expected.ctlPort)),
    spell(random, 'ui_port', String(expected.uiPort)),
    spell(random, 'ctl_token', expected.ctlToken),
    spell(random, 'ui_user', expected.uiUser),
    spell(random, 'ui_password', expected.uiPassword),
    spell(random, 'in_addr', expected.inAddrs.join(' ')),
    spell(random, 'udp_snat', expected.udpSnat ? 'on' : 'off')
  ]
  const decorated = shuffled(random, lines).flatMap((line) => chance(random, 0.2) ? [pick(random, ['# note', '', '; note', '   ']), line] : [line])
  const eol = pick(random, ['\n', '\r\n'])
  return { text: (chance(random, 0.2) ? '\uFEFF' : '') + decorated.join(eol) + eol, expected }
}

test(`${VALID_FILES} random valid env files, in every accepted spelling, load to the properties they name`, (t) => {
  t.diagnostic(`seed ${SEED} (replay with L3LB_FUZZ_SEED=${SEED})`)
  const random = seededRandom(SEED ^ 0x9e3779b9)
  for (let i = 0; i < VALID_FILES; i++) {
    const { text, expected } = validFile(random)
    const result = loadProperties(text)
    const where = `file #${i} (seed ${SEED}):\n${text}`
    assert.ok(result.ok, `${where}\nrefused: ${result.ok ? '' : JSON.stringify(result.problems)}`)
    const { properties } = result
    assert.equal(properties.mode, expected.mode, where)
    assert.deepEqual(properties.ports, expected.ports, where)
    assert.equal(properties.healthcheckPort, expected.healthcheckPort, where)
    assert.deepEqual(properties.outputs.map(({ name, address, backup }) => ({ name, address, backup })), expected.outputs, where)
    const numbers = {
      max_connections: properties.maxConnections,
      healthcheck_interval: properties.healthcheckInterval,
      healthcheck_rise: properties.healthcheckRise,
      healthcheck_fall: properties.healthcheckFall,
      client_timeout: properties.clientTimeout,
      server_timeout: properties.serverTimeout,
      conn_timeout: properties.connTimeout,
      mon_interval: properties.monInterval
    }
    for (const [name, value] of Object.entries(expected.numbers)) assert.equal(numbers[name as keyof typeof numbers], value, `${name} in ${where}`)
    assert.deepEqual(
      [properties.ctlPort, properties.uiPort, properties.ctlToken, properties.uiUser, properties.uiPassword, properties.inAddrs, properties.udpSnat],
      [expected.ctlPort, expected.uiPort, expected.ctlToken, expected.uiUser, expected.uiPassword, expected.inAddrs, expected.udpSnat],
      where
    )
  }
})
