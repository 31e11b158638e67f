/**
 * Nothing in src/ runs through a shell, so no user-supplied text (a property, a ctl
 * query, an output's host name) can become a command. Scans the source text for the
 * ways a shell gets involved; the detector is tested on samples first.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

/** What a shell looks like in TypeScript source, each with why it is refused. */
const SHELL_PATTERNS: ReadonlyArray<{ readonly name: string, readonly pattern: RegExp }> = [
  { name: 'shell: true', pattern: /\bshell\s*:\s*(?!false\b)[^\s,}]/ },
  { name: 'child_process exec()', pattern: /(?<![.\w])exec\s*\(|child_process['"]?\)?\.exec\s*\(|\bcp\.exec\s*\(/ },
  { name: 'child_process exec imported', pattern: /import\s*\{[^}]*\bexec\b(?!File|a)[^}]*\}\s*from\s*['"](?:node:)?child_process['"]/ },
  { name: 'execSync()', pattern: /\bexecSync\s*\(/ },
  { name: 'execa with a template string as the command', pattern: /\bexeca(?:Sync|Node)?\s*\(\s*`/ },
  { name: 'execa template tag ($`...` or execa`...`)', pattern: /(?:\$|\bexeca(?:Sync)?)(?:\([^)]*\))?\s*`/ },
  { name: 'execaCommand()', pattern: /\bexecaCommand(?:Sync)?\s*\(/ },
  { name: 'sh -c / bash -c', pattern: /['"`](?:\/(?:usr\/)?bin\/)?(?:ba|da|z)?sh['"`]\s*,\s*\[\s*['"`]-c['"`]|\b(?:ba|da|z)?sh\s+-c\b/ }
]

/** Every use of a shell in `text`: `line N: <pattern name>: <the line>`. */
export function shellUses (text: string): string[] {
  const found: string[] = []
  text.split('\n').forEach((line, index) => {
    // comments may mention a shell; code may not use one
    const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '')
    for (const { name, pattern } of SHELL_PATTERNS) {
      if (pattern.test(code)) found.push(`line ${index + 1}: ${name}: ${line.trim()}`)
    }
  })
  return found
}

function sourceFiles (folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.(?:ts|js|mjs|cjs)$/.test(entry.name) ? [path] : []
  })
}

/* eslint-disable no-template-curly-in-string -- the samples are source text, not templates */
test('the detector finds each way of reaching a shell', () => {
  const samples = [
    "spawn('haproxy', args, { shell: true })",
    'spawn(file, args, { shell: "/bin/sh" })',
    "child_process.exec('ip netns ' + name)",
    'exec(`iptables -A ${chain}`)',
    "import { exec, spawn } from 'node:child_process'",
    "execSync('ls')",
    'execa(`ping -c 1 ${address}`)',
    'await $`ping ${address}`',
    'await execa({ reject: false })`haproxy -c -f ${file}`',
    "execaCommand('ping ' + address)",
    "execa('sh', ['-c', command])",
    "execa('/bin/bash', ['-c', command])",
    'const line = `sh -c "${command}"`'
  ]
  for (const sample of samples) assert.notDeepEqual(shellUses(sample), [], sample)
  const harmless = [
    "execa(file, ['-c', '-f', configFile], { reject: false })",
    "execa('haproxy', ['-c', '-f', file])",
    "import { execFile } from 'node:child_process'",
    'spawn(file, args, { shell: false })',
    "const result = await execa(binary, ['-W', '-S', `${masterSocket},mode,600`])",
    '// never through a shell: sh -c would expand $ in a host name',
    'regex.exec(text)',
    'const match = PATTERN.exec(line)'
  ]
  for (const sample of harmless) assert.deepEqual(shellUses(sample), [], sample)
})
/* eslint-enable no-template-curly-in-string */

test('nothing in src/ runs a command through a shell', () => {
  const found = sourceFiles(join(ROOT, 'src')).flatMap((file) => shellUses(readFileSync(file, 'utf8')).map((use) => `${relative(ROOT, file)} ${use}`))
  assert.deepEqual(found, [], `shell uses in src/:\n${found.join('\n')}`)
})
