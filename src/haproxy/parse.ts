/** Pure parsers for what HAProxy's CLI prints: `show stat`, `show servers state`, `show proc`. */
import type { PartReader } from '../process/slices.js'

export type Row = Readonly<Record<string, string>>

/** The `show stat` columns the agent reads of every row: counters, status, time since its last change. */
export const STAT_COLUMNS: ReadonlySet<string> = new Set([
  'pxname', 'svname', 'qcur', 'qmax', 'scur', 'smax', 'stot', 'status', 'chkfail', 'lastchg'
])

/**
 * The last check's columns, which say why a server is down, failing or in maintenance:
 * read only for a row whose status is not a plain `UP` (they are far along each line, and at
 * 256 services nearly every row is up).
 */
export const CHECK_COLUMNS: ReadonlySet<string> = new Set(['check_status', 'last_chk', 'check_desc'])

/**
 * `show stat` CSV: one record per line keyed by the header's column names, never by
 * position; with `columns`, those alone, and `checkColumns` too for a row whose status is
 * not `UP` (left empty in the others). At 256 services a `show stat` is 1,500 rows of 100
 * columns, read every second on the agent's one event loop: each line is split natively up
 * to the last column wanted (cutting field by field was slower, and splitting whole rows
 * made most of the agent's garbage).
 */
export function parseShowStat (text: string, columns?: ReadonlySet<string>, checkColumns: ReadonlySet<string> = NO_COLUMNS): Row[] {
  const reader = showStatReader(text, columns, checkColumns)
  reader.next(Number.POSITIVE_INFINITY)
  return reader.rows
}

/** parseShowStat a part at a time: the rows read so far, and `next(count)` reading up to `count` more lines, true while lines are left. */
export type ShowStatReader = PartReader<Row>

/**
 * Pure: parseShowStat's rows a part at a time, so that a caller can let the event loop run
 * between parts (at 256 services the whole parse held it for 1.5-2 ms: the ctl latency aim,
 * SPEC §13). The rows are the very ones parseShowStat gives.
 */
export function showStatReader (text: string, columns?: ReadonlySet<string>, checkColumns: ReadonlySet<string> = NO_COLUMNS): ShowStatReader {
  const lines = text.split('\n')
  let first = 0
  while (first < lines.length && isBlank(lines[first]!)) first++
  const header = lines[first]
  const rows: Row[] = []
  if (header === undefined || !header.startsWith('# ')) return { rows, next: () => false }
  const named = header.slice(2).split(',').map((name, index) => ({ name, index })).filter(({ name }) => name !== '')
  const wanted = named.filter(({ name }) => columns === undefined || columns.has(name))
  const checks = columns === undefined ? [] : named.filter(({ name }) => checkColumns.has(name) && !columns.has(name))
  const fieldCount = lastIndex(wanted) + 1
  const checkFieldCount = lastIndex(checks) + 1
  // every row a copy of one template of the wanted shape; a short line leaves the rest empty
  const template: Record<string, string> = {}
  for (const { name } of [...wanted, ...checks]) template[name] = ''
  let at = first + 1
  const next = (count: number): boolean => {
    const end = Math.min(lines.length, at + count)
    for (; at < end; at++) {
      const line = lines[at]!
      if (isBlank(line)) continue
      const row = { ...template }
      fill(row, splitCsv(line, fieldCount), wanted)
      if (checks.length > 0 && row.status !== 'UP') fill(row, splitCsv(line, checkFieldCount), checks)
      rows.push(row)
    }
    return at < lines.length
  }
  return { rows, next }
}

const NO_COLUMNS: ReadonlySet<string> = new Set()

/**
 * The first `limit` fields of one CSV line. HAProxy quotes a field that holds a comma or a
 * quote (`"Detected 2 consecutive errors, last one was: …"`, quotes doubled inside): such a
 * line is read field by field, any other split natively, as nearly every line is.
 */
export function splitCsv (line: string, limit: number): string[] {
  if (!line.includes('"')) return line.split(',', limit)
  const fields: string[] = []
  let at = 0
  while (fields.length < limit && at <= line.length) {
    const quoted = line[at] === '"'
    let value = ''
    if (quoted) {
      // to the closing quote; a doubled one inside is one quote
      let from = at + 1
      for (;;) {
        const quote = line.indexOf('"', from)
        if (quote === -1) { value += line.slice(from); at = line.length; break }
        value += line.slice(from, quote)
        if (line[quote + 1] !== '"') { at = quote + 1; break }
        value += '"'
        from = quote + 2
      }
    }
    const comma = line.indexOf(',', at)
    const end = comma === -1 ? line.length : comma
    fields.push(quoted ? value : line.slice(at, end))
    at = end + 1
  }
  return fields
}

function lastIndex (columns: ReadonlyArray<{ readonly index: number }>): number {
  return Math.max(-1, ...columns.map(({ index }) => index))
}

function fill (row: Record<string, string>, fields: readonly string[], columns: ReadonlyArray<{ readonly name: string, readonly index: number }>): void {
  for (let k = 0; k < columns.length; k++) {
    const { name, index } = columns[k]!
    const value = fields[index]
    if (value !== undefined) row[name] = value
  }
}

function isBlank (line: string): boolean {
  return line.length === 0 || line.trim() === ''
}

// each `show stat`'s rows by proxy and server, built the first time one is looked up
const INDEXES = new WeakMap<readonly Row[], Map<string, Row>>()

/**
 * The row of `server` (or `BACKEND`, `FRONTEND`) in `proxy`: at 256 services a `show stat` has
 * about 1,500 rows, which a search per server would walk a million times for one answer.
 */
export function findRow (rows: readonly Row[], proxy: string, server: string): Row | undefined {
  let index = INDEXES.get(rows)
  if (index === undefined) {
    index = new Map(rows.map((row) => [`${row.pxname ?? ''}/${row.svname ?? ''}`, row]))
    INDEXES.set(rows, index)
  }
  return index.get(`${proxy}/${server}`)
}

/** `show info;show stat` in one answer: the answering worker's pid and the stat rows. */
export function parseInfoAndStat (text: string, columns?: ReadonlySet<string>, checkColumns?: ReadonlySet<string>): { readonly workerPid: number | null, readonly rows: Row[] } {
  const { workerPid, statText } = splitInfoAndStat(text)
  return { workerPid, rows: parseShowStat(statText, columns, checkColumns) }
}

/** `show info;show stat` in one answer: the answering worker's pid, and the `show stat` text (empty when there is none). */
export function splitInfoAndStat (text: string): { readonly workerPid: number | null, readonly statText: string } {
  const pid = /^Pid: (\d+)$/m.exec(text)
  const header = text.indexOf('# pxname')
  return { workerPid: pid === null ? null : Number(pid[1]), statText: header === -1 ? '' : text.slice(header) }
}

export interface ProcessTable {
  readonly masterPid: number
  readonly reloads: number
  readonly failedReloads: number
  /** Current workers (not the old ones still finishing their connections). */
  readonly workers: ReadonlyArray<{ readonly pid: number, readonly reloads: number }>
}

/** The master CLI's `show proc` (2.6): `PID master RELOADS [failed: N] …`, then `# workers` rows. */
export function parseShowProc (text: string): ProcessTable | null {
  let master: { pid: number, reloads: number, failed: number } | null = null
  const workers: Array<{ pid: number, reloads: number }> = []
  for (const { section, line, fields } of showProcRows(text)) {
    if (fields[1] === 'master') {
      const failed = /\[failed: (\d+)\]/.exec(line)
      master = { pid: Number(fields[0]), reloads: Number(fields[2]), failed: failed === null ? 0 : Number(failed[1]) }
    } else if (fields[1] === 'worker' && section === 'workers') {
      workers.push({ pid: Number(fields[0]), reloads: Number(fields[2]) })
    }
  }
  if (master === null) return null
  return { masterPid: master.pid, reloads: master.reloads, failedReloads: master.failed, workers }
}

/** The `# old workers` of `show proc`: the workers reloads replaced, still finishing their sessions. */
export function oldWorkerPids (text: string): number[] {
  return [...showProcRows(text)].filter(({ section, fields }) => section === 'old workers' && fields[1] === 'worker').map(({ fields }) => Number(fields[0]))
}

// each row of `show proc` under the `# SECTION` line before it ('' above the first)
function * showProcRows (text: string): Generator<{ readonly section: string, readonly line: string, readonly fields: readonly string[] }> {
  let section = ''
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      section = line.startsWith('# ') ? line.slice(2).trim() : section
      continue
    }
    yield { section, line, fields: line.trim().split(/\s+/) }
  }
}

/**
 * PEERS_F_RESYNC_LOCAL | PEERS_F_RESYNC_REMOTE: the worker has learnt its table from the old
 * worker and from remote peers, or stopped waiting for each (5 s apiece, one after the other).
 */
const PEERS_RESYNC_DONE = 0x3

/**
 * From `show peers`: whether every peers section has finished learning its table. Until it
 * has, HAProxy 2.6 hands nothing to the next worker: a reload then empties the stick table.
 */
export function peersLocallySynced (text: string): boolean {
  const sections = [...text.matchAll(/^0x[0-9a-f]+: \[[^\]]*\] id=\S+ .*?\bflags=0x([0-9a-f]+)/gm)]
  return sections.every((match) => (Number.parseInt(match[1] ?? '0', 16) & PEERS_RESYNC_DONE) === PEERS_RESYNC_DONE)
}

/**
 * From `show sess`: the ids of the streams of server `server` of backend `backend`, for
 * `shutdown session ID` (`0x55f6609158a0: proto=tcpv4 src=… fe=web be=web srv=c ts=00 …`).
 */
export function streamsOfServer (text: string, backend: string, server: string): string[] {
  const streams: string[] = []
  for (const line of text.split('\n')) {
    const stream = /^(0x[0-9a-f]+): /.exec(line)
    if (stream === null) continue
    const fields = line.split(' ')
    if (fields.includes(`be=${backend}`) && fields.includes(`srv=${server}`)) streams.push(stream[1] ?? '')
  }
  return streams
}
