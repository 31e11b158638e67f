// Copies the web console's files (console/) and uPlot's minified script and styles into
// dist/console, the one folder the agent serves them from (src/ctl/console-files.ts) and
// the package ships. Run by `npm run build` after tsc; no bundler: the files go as written.
import { copyFileSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const target = join(root, 'dist', 'console')
// uplot's main is dist/uPlot.cjs.js: the minified files sit beside it
const uplot = dirname(createRequire(import.meta.url).resolve('uplot'))
mkdirSync(target, { recursive: true })
for (const file of ['index.html', 'console.js', 'console.css']) copyFileSync(join(root, 'console', file), join(target, file))
for (const file of ['uPlot.iife.min.js', 'uPlot.min.css']) copyFileSync(join(uplot, file), join(target, file))
