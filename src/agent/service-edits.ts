/**
 * (SPEC §12) The management API's changes: each one edits one service file, is checked with
 * every other file exactly as a SIGHUP checks them, is written atomically and applied at once,
 * as one job of the agent's change queue, so concurrent calls never lose each other's change.
 * A refused change writes nothing and changes nothing that runs; a change that cannot be
 * applied puts the file back as it was.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { validateConfiguration } from '../properties/configuration.js'
import { parseEnvFile } from '../properties/envfile.js'
import { envFileText, withEntry } from '../properties/envfile-text.js'
import { entryValues } from '../properties/load.js'
import { DEFAULT_SERVICE, OUTPUT_NAMES, type PropertyProblem, type Service } from '../properties/model.js'
import type { PairServices } from '../properties/pair-settings.js'
import { SERVER_PREFIX } from '../properties/server-line.js'
import { fieldOf, parseServerBody, parseServiceBody, serverLine, serverNameProblem, serviceEntries, type BodyProblem } from '../properties/service-json.js'
import { RESERVED_SERVICE_NAMES, SERVICE_NAME, type ServiceFileEntries } from '../properties/service-file.js'
import type { AppliedHow, ManagementResult } from '../model/management.js'
import type { NodeRole } from '../model/pair.js'
import type { ReconcileAction } from '../reconcile/reconciler.js'
import { writeFileAtomically } from '../state/atomic-file.js'
import { hostAddresses, type LoadedConfiguration } from './boot.js'

/** What runs, as the editor needs it: the env file's entries, the service files' and their folder. */
export interface RunningFiles {
  readonly envFile: string
  readonly envEntries: ReadonlyMap<string, string>
  readonly folder: string
  readonly services: PairServices
  /** The service files' services as they run. */
  readonly running: readonly Service[]
}

export interface ServiceEditsDeps {
  /** Runs `job` as one job of the agent's change queue. */
  readonly run: <T>(job: () => Promise<T>) => Promise<T>
  readonly running: () => RunningFiles
  /**
   * Brings every part to these service files (with the env file's entries in force); throws and keeps what ran when it cannot.
   * `validated` is what they gave when checked here, with those entries: not checked a second time (2-3.5 ms at 256 services).
   */
  readonly apply: (files: readonly ServiceFileEntries[], validated: LoadedConfiguration) => Promise<ReconcileAction>
  /** The node's role in a pair; null outside one. */
  readonly role: () => NodeRole | null
}

/** Said at the top of a file a whole-service PUT writes. */
const WRITTEN_BY_API = 'written by l3lb\'s management API (PUT /api/services/NAME); a later PUT of the whole service replaces this file'

// one service file's text after an edit: null removes the file; a refusal says why
type Edit = { readonly text: string | null, readonly done: string } | { readonly refused: 400 | 404, readonly message: string }

export class ServiceEdits {
  readonly #deps: ServiceEditsDeps

  constructor (deps: ServiceEditsDeps) {
    this.#deps = deps
  }

  /** `PUT /api/services/NAME`: the service created, or replaced whole. */
  async putService (name: string, body: unknown): Promise<ManagementResult> {
    const parsed = parseServiceBody(body)
    if (!parsed.ok) return refusedBody(parsed.problems)
    const text = envFileText(Object.fromEntries(serviceEntries(parsed.value)), WRITTEN_BY_API.replace('NAME', name))
    return await this.#edit(name, (before) => ({ text, done: `service ${name} ${before === null ? 'created' : 'replaced'}` }))
  }

  /** `DELETE /api/services/NAME`: its listeners close once their sessions end. */
  async deleteService (name: string): Promise<ManagementResult> {
    return await this.#edit(name, (before) => before === null
      ? { refused: 404, message: `no service is named ${JSON.stringify(name)}` }
      : { text: null, done: `service ${name} removed` })
  }

  /** `PUT /api/services/NAME/servers/SERVER`: one server added or changed; the file's other lines are kept as they are. */
  async putServer (name: string, server: string, body: unknown): Promise<ManagementResult> {
    const badName = serverNameProblem(server)
    if (badName !== null) return refusedBody([{ field: 'server', message: badName }])
    const parsed = parseServerBody(body)
    if (!parsed.ok) return refusedBody(parsed.problems)
    const line = serverLine(parsed.value)
    return await this.#edit(name, (before) => {
      if (before === null) return { refused: 404, message: `no service is named ${JSON.stringify(name)}: create it with PUT /api/services/${name}` }
      const given = serverProperty(before, server)
      // a server given as outN= becomes a server_ line: one line per server
      const text = withEntry(given === `${SERVER_PREFIX}${server}` ? before : withEntry(before, server, null), `${SERVER_PREFIX}${server}`, line)
      return { text, done: `server ${server} of service ${name} ${given === null ? 'added' : 'changed'}` }
    })
  }

  /** `DELETE /api/services/NAME/servers/SERVER`: the server out of the file and of new traffic at once; its sessions finish. */
  async deleteServer (name: string, server: string): Promise<ManagementResult> {
    return await this.#edit(name, (before) => {
      if (before === null) return { refused: 404, message: `no service is named ${JSON.stringify(name)}` }
      const given = serverProperty(before, server)
      if (given === null) return { refused: 404, message: `service ${name} has no server ${JSON.stringify(server.slice(0, 80))}` }
      return { text: withEntry(before, given, null), done: `server ${server} of service ${name} removed` }
    })
  }

  // One job: the file's text now, the edit, every file checked together, written, applied; put back on failure.
  async #edit (name: string, edit: (before: string | null) => Edit): Promise<ManagementResult> {
    return await this.#deps.run(async () => {
      const refusal = this.#refusedHere(name)
      if (refusal !== null) return refusal
      const running = this.#deps.running()
      const file = join(running.folder, `${name}.env`)
      // the file as it is on disk: the files are the configuration, the API edits them (SPEC §12)
      const before = Object.hasOwn(running.services, name) ? readText(file) : null
      const change = edit(before)
      if ('refused' in change) return { outcome: 'refused', status: change.refused, message: change.message }
      const parsed = change.text === null ? null : parseEnvFile(change.text)
      const entries = parsed === null ? null : entryValues(parsed)
      const files = Object.entries(running.services).filter(([other]) => other !== name)
        .map(([other, values]): ServiceFileEntries => ({ name: other, file: join(running.folder, `${other}.env`), entries: new Map(Object.entries(values)), lineProblems: [] }))
      if (parsed !== null && entries !== null) files.push({ name, file, entries, lineProblems: parsed.problems })
      const checked = validateConfiguration({ file: running.envFile, entries: running.envEntries, lineProblems: [] }, files, hostAddresses)
      if (!checked.ok) return refusedFiles(checked.problems, file)
      // the same service however it is spelled (a default written out, lines in another order): the file stays as it is
      const now = checked.configuration.services.find((service) => service.name === name)
      if (now !== undefined && sameService(now, running.running.find((service) => service.name === name))) {
        return { outcome: 'done', code: 10, message: `nothing changed: ${change.done.replace(/ (created|replaced|added|changed)$/, '')} is already so`, applied: 'none' }
      }
      writeServiceFile(file, change.text)
      try {
        const action = await this.#deps.apply(files, { configuration: checked.configuration, warnings: checked.warnings })
        return { outcome: 'done', code: 0, message: change.done, applied: appliedHow(action) }
      } catch (error) {
        // what runs is what ran: so is the file
        try { writeServiceFile(file, before) } catch {}
        throw error
      }
    })
  }

  #refusedHere (name: string): ManagementResult | null {
    if (name === DEFAULT_SERVICE) return { outcome: 'refused', status: 400, message: 'service default is the env file\'s: change it in the env file and send SIGHUP (the API edits the files of services_dir)' }
    // before any file is touched: the name becomes a file's name
    if (!SERVICE_NAME.test(name) || RESERVED_SERVICE_NAMES.has(name)) return { outcome: 'refused', status: 400, message: `name: ${JSON.stringify(name.slice(0, 80))} is not accepted as a service name: 1 to 32 lower-case letters, digits and -, starting with a letter or digit, and not ${[...RESERVED_SERVICE_NAMES].join(', ')}` }
    if (this.#deps.role() === 'standby') return { outcome: 'refused', status: 400, message: 'this node is the pair\'s standby: the active node decides the service files; send the change to it (or to the virtual address)' }
    return null
  }
}

/** How a reconciler's action reached what runs, as the API says it. */
export function appliedHow (action: ReconcileAction): AppliedHow {
  if (action === 'none') return 'none'
  // the kernel's rules replaced, or HAProxy's runtime API: no process started
  return action === 'runtime' || action === 'apply' ? 'runtime' : 'reload'
}

// the property that gives `server` in a file's text: server_<name>, or outN for the env file's way
function serverProperty (text: string, server: string): string | null {
  const { entries } = parseEnvFile(text)
  if (entries.has(`${SERVER_PREFIX}${server}`)) return `${SERVER_PREFIX}${server}`
  return (OUTPUT_NAMES as readonly string[]).includes(server) && entries.has(server) ? server : null
}

function sameService (next: Service, running: Service | undefined): boolean {
  return running !== undefined && JSON.stringify({ ...next, file: '' }) === JSON.stringify({ ...running, file: '' })
}

function readText (file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return null
  }
}

// written beside and renamed (a reader never sees half a file); null removes it
function writeServiceFile (file: string, text: string | null): void {
  if (text === null) {
    rmSync(file, { force: true })
    return
  }
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o755 })
  writeFileAtomically(file, text, 0o644)
}

function refusedBody (problems: readonly BodyProblem[]): ManagementResult {
  return { outcome: 'refused', status: 400, message: problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ') }
}

// the edited file's problems by the body's field names; any other file's by its file and property
function refusedFiles (problems: readonly PropertyProblem[], file: string): ManagementResult {
  const said = problems.map((problem) => problem.file === file || problem.file === undefined
    ? `${fieldOf(problem)}: ${problem.message}`
    : `${problem.file}: ${problem.property}: ${problem.message}`)
  return { outcome: 'refused', status: 400, message: said.join('; ') }
}
