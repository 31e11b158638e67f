import type { PropertiesResult, PropertyProblem } from './model.js'
import { parseEnvFile } from './envfile.js'
import { validateProperties } from './validate.js'

/**
 * Parses an env file's text and validates what it names; the problems of both steps come
 * back together, so one run shows everything there is to fix.
 */
export function loadProperties (text: string): PropertiesResult {
  const file = parseEnvFile(text)
  const values = new Map([...file.entries].map(([name, entry]) => [name, entry.value]))
  const result = validateProperties(values)
  if (file.problems.length === 0) return result
  return { ok: false, problems: [...file.problems, ...(result.ok ? [] : result.problems)] }
}

/** One line per problem, `<property>: <message>`, for standard error and the system log. */
export function formatProblems (problems: readonly PropertyProblem[]): string {
  return problems.map((problem) => `${problem.property}: ${problem.message}`).join('\n')
}
