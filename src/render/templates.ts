/**
 * The Handlebars templates under templates/, precompiled at build time into dist/templates/
 * (scripts/precompile-templates.mjs): the agent loads Handlebars' runtime, not its compiler.
 */
import { createRequire } from 'node:module'
import type HandlebarsModule from 'handlebars'
import runtime from 'handlebars/runtime.js'

// the runtime's own type declaration is empty; it is the compiled templates' half of Handlebars' API
const Handlebars = runtime as unknown as typeof HandlebarsModule

// dist/src/render/ is two levels below dist/, where the build writes dist/templates/
const load = createRequire(new URL('../../templates/', import.meta.url))

const compiled = new Map<string, HandlebarsTemplateDelegate>()

/** The template `templates/<name>.hbs`; output is plain text, never HTML-escaped. */
export function template (name: string): HandlebarsTemplateDelegate {
  let found = compiled.get(name)
  if (found === undefined) {
    found = Handlebars.template(load(`./${name}.cjs`) as TemplateSpecification)
    compiled.set(name, found)
  }
  return found
}
