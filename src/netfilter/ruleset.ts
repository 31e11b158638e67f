/**
 * Pure text work for the netfilter adapter (rules.ts): reading `iptables-save`
 * output, checking a rules text against the l3lb chain contract, and writing the
 * `iptables-restore --noflush` inputs that fix jumps, put rules back or remove them.
 */
import { isL3lbChain, L3LB_CHAINS, L3LB_JUMPS } from '../render/iptables-chains.js'

/** A table l3lb has chains in. */
export type L3lbTable = keyof typeof L3LB_CHAINS

/** One table of an `iptables-save` output: chains in declaration order, `-A` lines in order. */
export interface SavedTable {
  chains: string[]
  rules: string[]
}

/** An `iptables-save` output by table name. */
export type SavedRuleset = Map<string, SavedTable>

const L3LB_TABLES = Object.keys(L3LB_CHAINS) as L3lbTable[]

/** The chains of l3lb in `table`, or none when l3lb has no chain there. */
export function l3lbChainsOf (table: string): readonly string[] {
  return (L3LB_TABLES as string[]).includes(table) ? L3LB_CHAINS[table as L3lbTable] : []
}

/** Splits an `iptables-save` output into tables, keeping chain declarations and `-A` lines. */
export function parseSave (text: string): SavedRuleset {
  const tables: SavedRuleset = new Map()
  let current: SavedTable | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line.startsWith('*')) {
      current = { chains: [], rules: [] }
      tables.set(line.slice(1), current)
    } else if (current === undefined) {
      continue
    } else if (line.startsWith(':')) {
      current.chains.push(line.slice(1).split(/\s+/)[0] ?? '')
    } else if (line.startsWith('-A ')) {
      current.rules.push(line.split(/\s+/).join(' '))
    } else if (line === 'COMMIT') {
      current = undefined
    }
  }
  return tables
}

/** The lines of an `iptables-save` output that mention an l3lb chain, in order. */
export function l3lbLines (text: string): string[] {
  return text.split('\n').filter((line) => line.includes('L3LB-'))
}

/** The chain an `-A CHAIN ...` line appends to. */
function chainOfRule (rule: string): string {
  return rule.split(/\s+/)[1] ?? ''
}

/**
 * What is wrong with a rules text, by the contract of docs/netfilter.md: tables nat
 * and filter only, each block closed by COMMIT, only `:CHAIN` declarations and `-A`
 * lines, only l3lb's chains, and every chain of L3LB_CHAINS declared (so an apply
 * replaces all of l3lb's rules and applying twice leaves one copy). Empty when fine.
 */
export function rulesTextProblems (text: string): string[] {
  const problems: string[] = []
  const declared = new Map<string, Set<string>>()
  let table: string | undefined
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    const where = `line ${index + 1}: "${line}"`
    if (line === '' || line.startsWith('#')) return
    if (line.startsWith('*')) {
      if (table !== undefined) problems.push(`${where}: table ${table} is not closed by COMMIT`)
      table = line.slice(1)
      if (l3lbChainsOf(table).length === 0) problems.push(`${where}: l3lb has no chain in table '${table}' (only ${L3LB_TABLES.join(', ')})`)
      if (declared.has(table)) problems.push(`${where}: table '${table}' appears twice`)
      declared.set(table, declared.get(table) ?? new Set())
      return
    }
    if (table === undefined) {
      problems.push(`${where}: outside a table (expected *nat or *filter first)`)
      return
    }
    const chains = l3lbChainsOf(table)
    const tableDeclared = declared.get(table) ?? new Set<string>()
    if (line === 'COMMIT') {
      table = undefined
    } else if (line.startsWith(':')) {
      const chain = line.slice(1).split(/\s+/)[0] ?? ''
      if (!isL3lbChain(table, chain)) problems.push(`${where}: '${chain}' is not a chain of l3lb in table '${table}' (${chainsText(table, chains)})`)
      tableDeclared.add(chain)
    } else if (line.startsWith('-A ')) {
      const chain = chainOfRule(line)
      if (!isL3lbChain(table, chain)) problems.push(`${where}: appends to '${chain}', not a chain of l3lb in table '${table}' (${chainsText(table, chains)})`)
      else if (!tableDeclared.has(chain)) problems.push(`${where}: appends to '${chain}' before declaring it with ':${chain} - [0:0]'`)
    } else {
      problems.push(`${where}: only ':CHAIN - [0:0]' declarations, '-A' lines and COMMIT are accepted`)
    }
  })
  if (table !== undefined) problems.push(`table '${table}' is not closed by COMMIT`)
  for (const name of L3LB_TABLES) {
    const missing = L3LB_CHAINS[name].filter((chain) => declared.get(name)?.has(chain) !== true)
    if (missing.length > 0) problems.push(`table '${name}' must declare every chain of l3lb; missing: ${missing.join(', ')}`)
  }
  return problems
}

// l3lb's chains of a table as messages list them: the fixed ones, and the services' pattern in nat.
function chainsText (table: string, chains: readonly string[]): string {
  return table === 'nat' ? [...chains, 'L3LB-SPREAD-<n>'].join(', ') : chains.join(', ')
}

/** The chains of l3lb that `saved` holds in `table`, fixed and UDP services' alike, in its order. */
function l3lbChainsIn (saved: SavedRuleset, table: string): string[] {
  return (saved.get(table)?.chains ?? []).filter((chain) => isL3lbChain(table, chain))
}

/**
 * `text` (a rules text that passed rulesTextProblems) with, before each table's COMMIT, the
 * deletion of every chain of l3lb that `saved` has and `text` no longer declares: a UDP
 * service whose file went. In the same commit, so its chain and the jumps to it go at once.
 */
export function withStaleChainsDeleted (text: string, saved: SavedRuleset): string {
  const declared = new Set<string>()
  let table: string | undefined
  const out: string[] = []
  for (const line of text.split('\n')) {
    const trimmed = line.trim()
    if (trimmed.startsWith('*')) table = trimmed.slice(1)
    else if (trimmed.startsWith(':')) declared.add(trimmed.slice(1).split(/\s+/)[0] ?? '')
    else if (trimmed === 'COMMIT' && table !== undefined) {
      const stale = l3lbChainsIn(saved, table).filter((chain) => !declared.has(chain))
      // flushed first: nothing refers to it any more once the text's own chains are refilled
      out.push(...stale.map((chain) => `-F ${chain}`), ...stale.map((chain) => `-X ${chain}`))
      declared.clear()
    }
    out.push(line)
  }
  return out.join('\n')
}

/** The exact rule text of a jump, as `iptables-save` prints it. */
function jumpRule (from: string, to: string): string {
  return `-A ${from} -j ${to}`
}

/** How many rules of `saved` are exactly the jump, and whether the first rule of its chain is one. */
function jumpCopies (saved: SavedRuleset, table: string, from: string, to: string): { count: number, first: boolean } {
  const rules = (saved.get(table)?.rules ?? []).filter((rule) => chainOfRule(rule) === from)
  const jump = jumpRule(from, to)
  return { count: rules.filter((rule) => rule === jump).length, first: rules[0] === jump }
}

/** Wraps lines by table into restore input; tables without lines are left out. */
function restoreText (byTable: Map<string, string[]>): string {
  let text = ''
  for (const [table, lines] of byTable) {
    if (lines.length > 0) text += `*${table}\n${lines.join('\n')}\nCOMMIT\n`
  }
  return text
}

function linesFor (byTable: Map<string, string[]>, table: string): string[] {
  const lines = byTable.get(table) ?? []
  byTable.set(table, lines)
  return lines
}

/**
 * Restore input that leaves each jump of L3LB_JUMPS exactly once, first in its
 * built-in chain; '' when that is already so. Copies are deleted by their rule text,
 * never by number, so a rule someone adds meanwhile cannot be deleted instead.
 */
export function jumpFixText (saved: SavedRuleset): string {
  const byTable = new Map<string, string[]>()
  for (const { table, from, to } of L3LB_JUMPS) {
    const { count, first } = jumpCopies(saved, table, from, to)
    if (count === 1 && first) continue
    const lines = linesFor(byTable, table)
    for (let i = 0; i < count; i++) lines.push(`-D ${from} -j ${to}`)
    lines.push(`-I ${from} 1 -j ${to}`)
  }
  return restoreText(byTable)
}

/** Restore input that deletes every jump of L3LB_JUMPS and every chain of l3lb present; '' when none is. */
export function removalText (saved: SavedRuleset): string {
  const byTable = new Map<string, string[]>()
  for (const { table, from, to } of L3LB_JUMPS) {
    const { count } = jumpCopies(saved, table, from, to)
    for (let i = 0; i < count; i++) linesFor(byTable, table).push(`-D ${from} -j ${to}`)
  }
  for (const table of L3LB_TABLES) {
    const services = l3lbChainsIn(saved, table).filter((chain) => !l3lbChainsOf(table).includes(chain))
    const present = [...l3lbChainsOf(table).filter((chain) => saved.get(table)?.chains.includes(chain) === true), ...services]
    // Flush all before deleting any: one chain of l3lb may jump to another.
    linesFor(byTable, table).push(...present.map((chain) => `-F ${chain}`), ...present.map((chain) => `-X ${chain}`))
  }
  return restoreText(byTable)
}

/**
 * Restore input that puts l3lb's chains back as they were in `before`, given how
 * they are now (`after`, a failed apply having changed some tables): chains that
 * existed get their old rules, chains that did not are deleted with their jumps.
 */
export function rollbackText (before: SavedRuleset, after: SavedRuleset): string {
  const byTable = new Map<string, string[]>()
  for (const table of L3LB_TABLES) {
    const existed = l3lbChainsIn(before, table)
    const exists = l3lbChainsIn(after, table)
    const added = exists.filter((chain) => !existed.includes(chain))
    const lines = linesFor(byTable, table)
    for (const { table: jumpTable, from, to } of L3LB_JUMPS) {
      if (jumpTable !== table || !added.includes(to)) continue
      const { count } = jumpCopies(after, table, from, to)
      for (let i = 0; i < count; i++) lines.push(`-D ${from} -j ${to}`)
    }
    // In --noflush mode a declaration empties the chain (docs/netfilter.md).
    lines.push(...[...existed, ...added].map((chain) => `:${chain} - [0:0]`))
    lines.push(...(before.get(table)?.rules ?? []).filter((rule) => existed.includes(chainOfRule(rule))))
    lines.push(...added.map((chain) => `-X ${chain}`))
  }
  return restoreText(byTable)
}

/** The input line iptables-restore blames in its message, when it names one. */
export function blamedLine (stderr: string): number | undefined {
  const match = /Error occurred at line: (\d+)/.exec(stderr) ??
    /\bline (\d+)(?::| failed)/.exec(stderr)
  return match?.[1] === undefined ? undefined : Number(match[1])
}

/** iptables-restore's message without its usage hint, and the input line it blames, quoted. */
export function describeRestoreFailure (stderr: string, input: string): string {
  const message = stderr.split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('Try `'))
    .map((line) => line.trim())
    .join(' ')
  const number = blamedLine(stderr)
  const line = number === undefined ? undefined : input.split('\n')[number - 1]
  return line === undefined ? message : `${message} (input line ${number}: "${line.trim()}")`
}
