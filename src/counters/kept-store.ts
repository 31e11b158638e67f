/** The kept counters in $STATE_DIRECTORY (SPEC §3a), so maxima and totals outlive a restart of the agent. */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { L3lbError } from '../errors.js'
import { OUTPUT_NAMES } from '../properties/model.js'
import { SERVICE_NAME } from '../properties/service-file.js'
import { isFileServerKey } from '../state/server-key.js'
import { emptyKept, type KeptCounters, type KeptOutput } from './kept.js'

const FIELDS: ReadonlyArray<keyof KeptOutput> = ['sessionsMax', 'queueMax', 'sessionsTotalBase', 'errorsBase']

/** The kept counters saved in `file`; nothing kept when there is no file yet. */
export async function loadKeptCounters (file: string): Promise<KeptCounters> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyKept()
    throw new L3lbError('L3LB_COUNTERS_START', `could not initialize statistics reporting: cannot read ${file}: ${(error as Error).message}`, { cause: error })
  }
  return parseKeptCounters(text, file)
}

/**
 * Pure: the saved text to kept counters; anything malformed is refused with the file named.
 * A file from before service files (only `outputs` and `queueMax`) loads with nothing kept for them.
 */
export function parseKeptCounters (text: string, file: string): KeptCounters {
  const refuse = (why: string): never => {
    throw new L3lbError('L3LB_COUNTERS_START', `could not initialize statistics reporting: ${file} ${why}; remove it to start the kept counters from zero`)
  }
  let value: { outputs?: Record<string, Record<string, unknown>>, queueMax?: unknown, servers?: Record<string, Record<string, unknown>>, serviceQueueMax?: Record<string, unknown> }
  try {
    value = JSON.parse(text) as typeof value
  } catch (cause) {
    return refuse(`is not valid JSON (${(cause as Error).message})`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse('is not a JSON object')
  const keptOutput = (what: string, saved: Record<string, unknown>): KeptOutput => {
    const figures = FIELDS.map((field) => saved?.[field])
    if (!figures.every(isCount)) return refuse(`holds ${what} that is not four whole numbers`)
    return Object.fromEntries(FIELDS.map((field, i) => [field, figures[i]])) as unknown as KeptOutput
  }
  const kept = emptyKept()
  const outputs = { ...kept.outputs }
  for (const name of OUTPUT_NAMES) {
    const saved = value.outputs?.[name]
    if (saved !== undefined) outputs[name] = keptOutput(`an output ${name}`, saved)
  }
  const queueMax = value.queueMax ?? 0
  if (!isCount(queueMax)) return refuse('holds a queueMax that is not a whole number')
  const servers: Record<string, KeptOutput> = {}
  for (const [key, saved] of Object.entries(value.servers ?? {})) {
    if (!isFileServerKey(key)) return refuse(`holds a server ${JSON.stringify(key.slice(0, 80))} that is not SERVICE/SERVER`)
    servers[key] = keptOutput(`a server ${key}`, saved)
  }
  const serviceQueueMax: Record<string, number> = {}
  for (const [name, figure] of Object.entries(value.serviceQueueMax ?? {})) {
    if (!SERVICE_NAME.test(name) || !isCount(figure)) return refuse(`holds a serviceQueueMax ${JSON.stringify(name.slice(0, 80))} that is not a service name and a whole number`)
    serviceQueueMax[name] = figure
  }
  return { outputs, queueMax, servers, serviceQueueMax }
}

function isCount (figure: unknown): figure is number {
  return Number.isSafeInteger(figure) && (figure as number) >= 0
}

/** Saves the kept counters atomically (write beside, then rename). */
export async function saveKeptCounters (file: string, kept: KeptCounters): Promise<void> {
  const candidate = `${file}.new`
  try {
    await writeFile(candidate, JSON.stringify({ version: 2, ...kept }) + '\n', { mode: 0o600 })
    await rename(candidate, file)
  } catch (cause) {
    throw new L3lbError('L3LB_STATE_WRITE', `could not save the kept counters to ${file}: ${(cause as Error).message}`, { cause })
  }
}
