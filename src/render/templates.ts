/** The Handlebars templates under templates/, compiled once. */
import { readFileSync } from 'node:fs'
import Handlebars from 'handlebars'

// dist/src/render/ and src/render/ are both three levels below the package root
const TEMPLATE_DIR = new URL('../../../templates/', import.meta.url)

const compiled = new Map<string, HandlebarsTemplateDelegate>()

/** The compiled template `templates/<name>.hbs`; output is plain text, never HTML-escaped. */
export function template (name: string): HandlebarsTemplateDelegate {
  let found = compiled.get(name)
  if (found === undefined) {
    const text = readFileSync(new URL(`${name}.hbs`, TEMPLATE_DIR), 'utf8')
    found = Handlebars.compile(text, { noEscape: true, strict: true })
    compiled.set(name, found)
  }
  return found
}
