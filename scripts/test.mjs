#!/usr/bin/env node
// Runs the compiled tests with Node's own runner: unit tests always, integration tests
// when root can make network namespaces (under CI=true a missing prerequisite fails).
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

const which = process.argv[2] ?? 'all'
const root = new URL('../dist/test/', import.meta.url).pathname

function findTests (dir) {
  let found = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) found = found.concat(findTests(path))
    else if (name.endsWith('.test.js')) found.push(path)
  }
  return found.sort()
}

const suites = which === 'all' ? ['unit', 'integration'] : [which]
const files = suites.flatMap((suite) => findTests(join(root, suite)))
if (files.length === 0) {
  console.error(`no test files found under ${root} for ${suites.join(', ')}`)
  process.exit(1)
}
// Integration tests share the host's netfilter and namespaces: run files one at a time.
const args = ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files]
const result = spawnSync(process.execPath, args, { stdio: 'inherit' })
process.exit(result.status ?? 1)
