import type { PropertyProblem } from './model.js'
import { SECRET_PROPERTIES } from './schema.js'

/** One `name=value` line of an env file: the value as given, unquoted, and its line number. */
export interface EnvEntry {
  readonly value: string
  readonly line: number
}

/** What `parseEnvFile` found: every well-formed entry, and a problem for every other line. */
export interface EnvFile {
  readonly entries: Map<string, EnvEntry>
  readonly problems: PropertyProblem[]
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const EXPORT_PREFIX = /^export\s+/
// After a closing quote only blanks and a `# comment` may follow.
const AFTER_QUOTE = /^\s*(#.*)?$/

type ValueResult = { readonly ok: true, readonly value: string } | { readonly ok: false, readonly reason: string }

/**
 * Parses an env file in the shape both AppLogic's `/etc/applogic.sh` and systemd's
 * `EnvironmentFile=` use: `name=value` lines, an optional leading `export `, `#` (and
 * systemd's `;`) comment lines, blank lines; values unquoted, 'single-quoted' (literal) or
 * "double-quoted" (with `\"` and `\\` escapes). Every malformed line and every name given
 * twice is a problem; the first of two equal names stays in `entries`.
 */
export function parseEnvFile (text: string): EnvFile {
  const entries = new Map<string, EnvEntry>()
  const problems: PropertyProblem[] = []
  const lines = text.replace(/^\uFEFF/, '').split('\n')
  lines.forEach((raw, index) => {
    const line = index + 1
    const content = raw.replace(/\r$/, '').trim()
    if (content === '' || content.startsWith('#') || content.startsWith(';')) return
    const assignment = content.replace(EXPORT_PREFIX, '')
    const equals = assignment.indexOf('=')
    if (equals < 0) {
      problems.push({
        property: `line ${line}`,
        value: content,
        message: `${JSON.stringify(content)} is not accepted: a line must be name=value, a # comment or blank`
      })
      return
    }
    const name = assignment.slice(0, equals).trim()
    if (!NAME.test(name)) {
      problems.push({
        property: `line ${line}`,
        value: content,
        message: `${JSON.stringify(name)} is not accepted as a name: a name is letters, digits and _, not starting with a digit`
      })
      return
    }
    const given = assignment.slice(equals + 1).trim()
    // a secret's value, or any piece of it, is never given back (as in validate.ts)
    const secret = SECRET_PROPERTIES.has(name)
    const value = readValue(given, secret)
    if (!value.ok) {
      problems.push({ property: name, value: secret ? '(hidden)' : given, message: `line ${line}: ${value.reason}` })
      return
    }
    const earlier = entries.get(name)
    if (earlier !== undefined) {
      problems.push({
        property: name,
        value: secret ? '(hidden)' : value.value,
        message: `given on line ${earlier.line} and again on line ${line}: give each property once, so that no typo silently wins`
      })
      return
    }
    entries.set(name, { value: value.value, line })
  })
  return { entries, problems }
}

// Reads the text after `=`, already trimmed.
function readValue (text: string, secret: boolean): ValueResult {
  if (text.startsWith("'")) return readSingleQuoted(text, secret)
  if (text.startsWith('"')) return readDoubleQuoted(text, secret)
  if (/\s#/.test(text)) {
    return { ok: false, reason: 'a # after an unquoted value is ambiguous (a comment to the shell, part of the value to systemd): quote the value or put the comment on a line of its own' }
  }
  if (/["']/.test(text)) {
    return { ok: false, reason: 'a quote inside an unquoted value is not accepted: quote the whole value with \'...\' or "..."' }
  }
  return { ok: true, value: text }
}

function readSingleQuoted (text: string, secret: boolean): ValueResult {
  const close = text.indexOf("'", 1)
  if (close < 0) return { ok: false, reason: "the value starts with ' but the closing ' is missing" }
  return afterQuote(text.slice(1, close), text.slice(close + 1), secret)
}

function readDoubleQuoted (text: string, secret: boolean): ValueResult {
  let value = ''
  for (let at = 1; at < text.length; at++) {
    const char = text[at]
    if (char === '"') return afterQuote(value, text.slice(at + 1), secret)
    const next = text[at + 1]
    if (char === '\\' && (next === '"' || next === '\\')) {
      value += next
      at++
    } else {
      value += char
    }
  }
  return { ok: false, reason: 'the value starts with " but the closing " is missing' }
}

function afterQuote (value: string, rest: string, secret: boolean): ValueResult {
  if (AFTER_QUOTE.test(rest)) return { ok: true, value }
  const shown = secret ? 'text' : JSON.stringify(rest.trim())
  return { ok: false, reason: `${shown} after the closing quote is not accepted: only a # comment may follow it` }
}
