// Precompiles templates/*.hbs into dist/templates/*.cjs at build time, so the agent loads
// Handlebars' runtime alone (about 2 MiB less of the agent's memory than the compiler,
// docs/limits.md) and parses no template at start. Run by `npm run build` after tsc.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import Handlebars from 'handlebars'

const source = new URL('../templates/', import.meta.url)
const target = new URL('../dist/templates/', import.meta.url)
mkdirSync(target, { recursive: true })
for (const file of readdirSync(source).filter((name) => name.endsWith('.hbs'))) {
  const text = readFileSync(new URL(file, source), 'utf8')
  // the options src/render/templates.ts compiled with: plain text, never HTML-escaped; a missing value is an error
  const spec = Handlebars.precompile(text, { noEscape: true, strict: true })
  writeFileSync(new URL(file.replace(/\.hbs$/, '.cjs'), target), `// Precompiled from templates/${file} by scripts/precompile-templates.mjs; edit the .hbs.\nmodule.exports = ${spec}\n`)
}
