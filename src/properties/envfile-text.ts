/** Pure: entries written as env-file lines that parseEnvFile reads back as the same entries. */

import { parseEnvFile } from './envfile.js'

// what parseEnvFile takes unquoted and gives back as is
const PLAIN = /^[A-Za-z0-9_.,:/@%+=\-[\]]*$/
// the same, as words with one space between two: how a person writes a server line
const PLAIN_WORDS = /^[A-Za-z0-9_.,:/@%+=\-[\]]+(?: [A-Za-z0-9_.,:/@%+=\-[\]]+)*$/

/** `name=value` lines, one per entry in the order given; a value that needs it is double-quoted. */
export function envFileText (entries: Readonly<Record<string, string>>, header = ''): string {
  const lines = Object.entries(entries).map(([name, value]) => envLine(name, value))
  return `${header === '' ? '' : `# ${header}\n`}${lines.join('\n')}\n`
}

/** One `name=value` line; a value that needs it is double-quoted (with `words`, one of plain words is not). */
export function envLine (name: string, value: string, words = false): string {
  const plain = PLAIN.test(value) || (words && PLAIN_WORDS.test(value))
  return `${name}=${plain ? value : `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`}`
}

/**
 * `text` with `name` set to `value`, written as a person would (`server_a=198.18.5.1 weight=2`):
 * its line replaced where the file has one (comments and every other line kept as they are),
 * added at the end otherwise; with value null, its line removed.
 */
export function withEntry (text: string, name: string, value: string | null): string {
  const parsed = parseEnvFile(text)
  const at = parsed.entries.get(name)?.line
  const lines = text.split('\n')
  if (at !== undefined) {
    if (value === null) lines.splice(at - 1, 1)
    else lines[at - 1] = envLine(name, value, true)
    return lines.join('\n')
  }
  if (value === null) return text
  const body = text === '' || text.endsWith('\n') ? text : `${text}\n`
  return `${body}${envLine(name, value, true)}\n`
}
