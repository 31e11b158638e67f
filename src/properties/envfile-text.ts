/** Pure: entries written as env-file lines that parseEnvFile reads back as the same entries. */

// what parseEnvFile takes unquoted and gives back as is
const PLAIN = /^[A-Za-z0-9_.,:/@%+=\-[\]]*$/

/** `name=value` lines, one per entry in the order given; a value that needs it is double-quoted. */
export function envFileText (entries: Readonly<Record<string, string>>, header = ''): string {
  const lines = Object.entries(entries).map(([name, value]) => `${name}=${PLAIN.test(value) ? value : `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`}`)
  return `${header === '' ? '' : `# ${header}\n`}${lines.join('\n')}\n`
}
