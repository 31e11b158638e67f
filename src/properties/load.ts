import type { PropertiesResult, PropertyProblem } from './model.js'
import { parseEnvFile, type EnvFile } from './envfile.js'
import { validateProperties, NO_HOST_ADDRESSES, type HostAddresses } from './validate.js'

/**
 * Parses an env file's text and validates what it names; the problems of both steps come
 * back together, so one run shows everything there is to fix.
 */
export function loadProperties (text: string): PropertiesResult {
  const file = parseEnvFile(text)
  return validateEntries(entryValues(file), file.problems)
}

/** The file's entries as name -> value. */
export function entryValues (file: EnvFile): Map<string, string> {
  return new Map([...file.entries].map(([name, entry]) => [name, entry.value]))
}

/** Validates entries; the problems of the lines they came from are reported with the values' own. */
export function validateEntries (entries: ReadonlyMap<string, string>, lineProblems: readonly PropertyProblem[], host: HostAddresses = NO_HOST_ADDRESSES): PropertiesResult {
  const result = validateProperties(entries, host)
  if (lineProblems.length === 0) return result
  return { ok: false, problems: [...lineProblems, ...(result.ok ? [] : result.problems)] }
}

/** One line per problem, `<property>: <message>`, for standard error and the system log. */
export function formatProblems (problems: readonly PropertyProblem[]): string {
  return problems.map((problem) => `${problem.file === undefined ? '' : `${problem.file}: `}${problem.property}: ${problem.message}`).join('\n')
}
