/** Desired states for tests, built through the real property parser. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Limits } from '../../src/limits/model.js'
import { entryValues, formatProblems, loadProperties } from '../../src/properties/load.js'
import { fileServices, validateConfiguration } from '../../src/properties/configuration.js'
import { parseEnvFile } from '../../src/properties/envfile.js'
import type { OutputName, Properties } from '../../src/properties/model.js'
import { desiredState, type DesiredState } from '../../src/state/desired.js'
import { appliancePaths } from '../../src/state/paths.js'

/** Properties from env-file text; throws with every problem when it is invalid. */
export function propertiesFrom (text: string): Properties {
  const result = loadProperties(text)
  if (!result.ok) throw new Error(`test properties are invalid:\n${formatProblems(result.problems)}`)
  return result.properties
}

export const TEST_LIMITS: Limits = Object.freeze({
  memoryBytes: 1024 * 1024 * 1024,
  cpus: 2,
  memoryMaxConnections: 40_265,
  descriptorMaxConnections: 9_800,
  maxConnections: 9_800,
  nbthread: 2,
  maxPipes: 25,
  ulimitN: 19_950
})

/** A desired state with paths in a new temporary folder. */
export function stateFrom (text: string, disabled: OutputName[] = [], limits: Limits = TEST_LIMITS): DesiredState {
  const root = mkdtempSync(join(tmpdir(), 'l3lb-test-'))
  const paths = appliancePaths({ RUNTIME_DIRECTORY: join(root, 'run'), STATE_DIRECTORY: join(root, 'state') })
  return desiredState(propertiesFrom(text), limits, disabled, paths)
}

/** A desired state of an env file and service files (name -> text), paths in a new temporary folder. */
export function stateWithServices (envText: string, files: Readonly<Record<string, string>>, limits: Limits = TEST_LIMITS): DesiredState {
  const env = parseEnvFile(envText)
  const serviceFiles = Object.entries(files).map(([name, text]) => {
    const parsed = parseEnvFile(text)
    return { name, file: `/etc/l3lb/services.d/${name}.env`, entries: entryValues(parsed), lineProblems: parsed.problems }
  })
  const result = validateConfiguration({ file: '/etc/l3lb/l3lb.env', entries: entryValues(env), lineProblems: env.problems }, serviceFiles)
  if (!result.ok) throw new Error(`test configuration is invalid:\n${formatProblems(result.problems)}`)
  const root = mkdtempSync(join(tmpdir(), 'l3lb-test-'))
  const paths = appliancePaths({ RUNTIME_DIRECTORY: join(root, 'run'), STATE_DIRECTORY: join(root, 'state') })
  return desiredState(result.configuration.properties, limits, [], paths, [], fileServices(result.configuration))
}
