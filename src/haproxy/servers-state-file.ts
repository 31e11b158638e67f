/**
 * Pure: the server-state file (`show servers state`, which HAProxy loads at a start or reload)
 * held as its header and each backend's lines. An admin change replaces one backend's lines
 * and writes the file again, without reading the other servers' lines again: at 1,000
 * servers, splitting every line of the file on every enable or disable was most of its time
 * and of the garbage collector's.
 */

/** The file as a header (its version line and `# be_id …` names) and every backend's server lines, in file order. */
export interface ServersStateFile {
  readonly header: string
  readonly backends: ReadonlyMap<string, readonly string[]>
}

/** Whether a server's line goes into the file (one whose address changed must not: HAProxy would keep the old one). */
export type KeepServer = (backend: string, server: string) => boolean

/** Reads `show servers state` text; null when it has no `# ` header to keep lines under. */
export function parseServersStateFile (text: string, keep: KeepServer = () => true): ServersStateFile | null {
  const lines = text.split('\n')
  const headerAt = lines.findIndex((line) => line.startsWith('# '))
  if (headerAt === -1) return null
  const names = lines[headerAt]!.slice(2).trim().split(/\s+/)
  const backendColumn = names.indexOf('be_name')
  const serverColumn = names.indexOf('srv_name')
  if (backendColumn === -1 || serverColumn === -1) return null
  const wanted = Math.max(backendColumn, serverColumn) + 1
  const backends = new Map<string, string[]>()
  for (const line of lines.slice(headerAt + 1)) {
    if (line.startsWith('#') || !line.includes(' ')) continue
    const fields = leadingFields(line, wanted)
    const backend = fields[backendColumn] ?? ''
    if (!keep(backend, fields[serverColumn] ?? '')) continue
    const list = backends.get(backend)
    if (list === undefined) backends.set(backend, [line])
    else list.push(line)
  }
  return { header: lines.slice(0, headerAt + 1).filter((line) => line.trim() !== '').join('\n'), backends }
}

/**
 * `file` with `backend`'s lines replaced by those of `backendState` (`show servers state
 * <backend>`) where the old ones were, or added at the end; the other backends' lists are
 * shared, not copied. Null when `backendState` has another format than `file`.
 */
export function withBackendLines (file: ServersStateFile, backendState: string, backend: string, keep?: KeepServer): ServersStateFile | null {
  const fresh = parseServersStateFile(backendState, keep)
  if (fresh === null || lastLine(fresh.header) !== lastLine(file.header)) return null
  const backends = new Map(file.backends)
  backends.set(backend, fresh.backends.get(backend) ?? [])
  return { header: file.header, backends }
}

/** The file's text: header, every line, a final newline. */
export function serversStateFileText (file: ServersStateFile): string {
  return [file.header, ...[...file.backends.values()].flat(), ''].join('\n')
}

/** A server as `show servers state` gives it: its backend, name, address and port (0: the client's). */
export interface StateServer {
  readonly backend: string
  readonly server: string
  readonly address: string
  readonly port: number
}

/** Every server of `show servers state` text, in its order; none when it has no header. */
export function serversOfState (text: string): StateServer[] {
  const lines = text.split('\n')
  const headerAt = lines.findIndex((line) => line.startsWith('# '))
  if (headerAt === -1) return []
  const names = lines[headerAt]!.slice(2).trim().split(/\s+/)
  const columns = ['be_name', 'srv_name', 'srv_addr', 'srv_port'].map((name) => names.indexOf(name))
  if (columns.includes(-1)) return []
  const [backend, server, address, port] = columns as [number, number, number, number]
  const wanted = Math.max(...columns) + 1
  const servers: StateServer[] = []
  for (const line of lines.slice(headerAt + 1)) {
    if (line.startsWith('#') || !line.includes(' ')) continue
    const fields = leadingFields(line, wanted)
    servers.push({ backend: fields[backend] ?? '', server: fields[server] ?? '', address: fields[address] ?? '', port: Number(fields[port] ?? 0) || 0 })
  }
  return servers
}

// the first `count` space-separated fields of a line, without splitting the rest of it
function leadingFields (line: string, count: number): string[] {
  const fields: string[] = []
  let at = 0
  while (fields.length < count && at < line.length) {
    while (at < line.length && (line[at] === ' ' || line[at] === '\t')) at++
    const start = at
    while (at < line.length && line[at] !== ' ' && line[at] !== '\t') at++
    if (at > start) fields.push(line.slice(start, at))
  }
  return fields
}

function lastLine (text: string): string {
  return text.slice(text.lastIndexOf('\n') + 1)
}
