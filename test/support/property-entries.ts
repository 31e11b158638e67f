/** Property validation from name/value pairs, for the properties' unit tests. */
import assert from 'node:assert/strict'
import type { Properties, PropertiesResult } from '../../src/properties/model.js'
import { validateProperties } from '../../src/properties/validate.js'

/** Validates the given properties (absent ones take their defaults). */
export function validate (entries: Record<string, string>): PropertiesResult {
  return validateProperties(new Map(Object.entries(entries)))
}

/** The validated properties; fails the test with every problem when they are refused. */
export function accept (entries: Record<string, string>): Properties {
  const result = validate(entries)
  assert.ok(result.ok, result.ok ? '' : result.problems.map((problem) => problem.message).join('\n'))
  return result.properties
}
