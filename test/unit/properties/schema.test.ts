import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { PROPERTY_DEFAULTS, PROPERTY_NAMES, PROPERTY_SCHEMAS } from '../../../src/properties/schema.js'

const reference = readFileSync(new URL('../../../../docs/properties.md', import.meta.url), 'utf8')

test('every default is itself an accepted value', () => {
  for (const name of PROPERTY_NAMES) assert.ok(PROPERTY_SCHEMAS[name].safeParse(PROPERTY_DEFAULTS[name]).success, name)
})

test('docs/properties.md has a row for every property with its default', () => {
  for (const name of PROPERTY_NAMES) {
    const row = reference.split('\n').find((line) => line.startsWith(`| \`${name}\` |`))
    assert.ok(row !== undefined, `no row for ${name}`)
    const defaultCell = row.split('|')[3]?.trim()
    assert.equal(defaultCell, `\`${JSON.stringify(PROPERTY_DEFAULTS[name])}\``, name)
  }
})

test('docs/properties.md documents no property that does not exist', () => {
  const documented = [...reference.matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map((match) => match[1])
  assert.deepEqual(documented.sort(), [...PROPERTY_NAMES].sort())
})
