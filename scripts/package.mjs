#!/usr/bin/env node
// Builds l3lb_<version>_all.deb with dpkg-deb (docs/package.md): what `npm pack` would ship
// (package.json "files", read now, so a new folder comes along) under /usr/lib/l3lb, the
// production node_modules from `npm ci --omit=dev`, the unit, the conffile and debian/.
// Packages the dist/ that exists: `npm run package` builds it first.
//   L3LB_PACKAGE_VERSION  the Debian version (default: package.json's version)
//   L3LB_PACKAGE_OUT      the folder the .deb is written to (default: the checkout)
//   L3LB_PACKAGE_CONFFILE the file shipped as /etc/l3lb/l3lb.env (default: appliance/l3lb.env.example)
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { spawnSync } from 'node:child_process'

const ROOT = new URL('..', import.meta.url).pathname
const DEBIAN = join(ROOT, 'debian')
const HOME = '/usr/lib/l3lb'
const UNIT = 'lib/systemd/system/l3lb.service'
const CONFFILES = ['/etc/l3lb/l3lb.env']
// a single node in any mode needs these; the HA pair's programs are recommended (docs/package.md)
const DEPENDS = ['nodejs (>= 20.19)', 'haproxy (>= 2.6)', 'iptables', 'iproute2', 'procps', 'conntrack', 'iputils-ping']
const RECOMMENDS = ['keepalived', 'conntrackd', 'socat']

class PackageError extends Error {}

/** Runs a program, failing with its output when it fails; its stdout. */
function run (file, args, options = {}) {
  const result = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options })
  if (result.error !== undefined) throw new PackageError(`${file} could not run: ${result.error.message}`, { cause: result.error })
  if (result.status !== 0) throw new PackageError(`${file} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}${result.stdout}`)
  return result.stdout
}

/** package.json's semver as a Debian version: a pre-release sorts before its release (`~`). */
function debianVersion (semver) {
  return semver.replace(/-/, '~').replace(/-/g, '.')
}

function checkVersion (version) {
  if (!/^[0-9][A-Za-z0-9.+~]*$/.test(version)) {
    throw new PackageError(`package version "${version}" is not accepted: a digit, then letters, digits and . + ~ (no "-": the package has no Debian revision)`)
  }
}

/** The paths `npm pack` would put in the tarball: package.json "files", package.json, README. */
function packedFiles () {
  const [packed] = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT }))
  return packed.files.map((file) => file.path).sort()
}

function * walk (dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    const stat = lstatSync(path)
    yield { path, stat }
    if (stat.isDirectory()) yield * walk(path)
  }
}

/** Production dependencies, exactly as package-lock.json pins them, installed without their scripts. */
function productionModules (into) {
  const work = mkdtempSync(join(tmpdir(), 'l3lb-npm-'))
  try {
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(ROOT, file), join(work, file))
    run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: work })
    renameSync(join(work, 'node_modules'), into)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** A compiled addon is built for one architecture: such a tree cannot go in an `all` package. */
function refuseNativeAddons (modules) {
  const native = [...walk(modules)].filter(({ path, stat }) => stat.isFile() && (/\.node$/.test(path) || /binding\.gyp$/.test(path)))
  if (native.length > 0) {
    throw new PackageError(`the production node_modules holds native addons (${native.map(({ path }) => relative(modules, path)).join(', ')}): the package cannot be Architecture: all`)
  }
}

// Files npm authors leave in their tarballs that an installed tree does not use (lintian names them).
const UNUSED = /^(\.npmignore|\.gitignore|\.gitattributes|\.gitmodules|\.editorconfig|\.eslintrc(\..*)?|\.eslintignore|\.prettierrc(\..*)?|\.prettierignore|\.travis\.yml|\.nycrc(\..*)?|\.taprc|\.c8rc(\.json)?|\.airtap\.yml|\.jshintrc|\.npmrc|\.DS_Store)$|\.orig$|\.rej$/
const UNUSED_ANYWHERE = new Set(['.github', '.vscode', '.idea', '.husky'])
// a package's own tests, examples and benchmarks, at its top level only (its code never loads them)
const UNUSED_AT_TOP = new Set(['test', 'tests', '__tests__', 'example', 'examples', 'benchmark', 'benchmarks', 'bench', 'integration'])

/** Removes npm's development leftovers; checks every package's entry points are still there. */
function tidyModules (modules) {
  const packages = modulesOf(modules)
  const tops = new Set(packages)
  for (const { path, stat } of [...walk(modules)].reverse()) {
    const name = basenameOf(path)
    if (stat.isDirectory() && (UNUSED_ANYWHERE.has(name) || (UNUSED_AT_TOP.has(name) && tops.has(dirname(path))))) rmSync(path, { recursive: true })
    else if (stat.isFile() && UNUSED.test(name)) rmSync(path)
  }
  for (const dir of packages) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    for (const target of entryPoints(manifest)) {
      if (!existsSync(join(dir, target))) throw new PackageError(`npm package ${manifest.name}: its entry point ${target} is missing after the tidy-up (scripts/package.mjs removes test/, examples/...: keep what it needs)`)
    }
  }
}

/** The files a package.json names as its code (main, bin, exports), without patterns. */
function entryPoints (manifest) {
  const targets = []
  const collect = (value) => {
    if (typeof value === 'string') targets.push(value)
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(collect)
  }
  collect(manifest.main)
  collect(manifest.bin)
  collect(manifest.exports)
  return targets.filter((target) => !target.includes('*'))
}

/** Directories 0755; files 0755 where they are scripts (a #! line), else 0644. */
function normalizeModes (dir) {
  for (const { path, stat } of walk(dir)) {
    if (stat.isDirectory()) chmodSync(path, 0o755)
    else if (stat.isFile()) chmodSync(path, startsWithShebang(path) ? 0o755 : 0o644)
  }
}

function startsWithShebang (path) {
  return readFileSync(path).subarray(0, 2).toString() === '#!'
}

function copyInto (stage, from, to, mode) {
  const target = join(stage, to)
  mkdirSync(dirname(target), { recursive: true })
  copyFileSync(from, target)
  chmodSync(target, mode)
}

/** appliance/l3lb.service, which starts the launcher where the package puts it. */
function packagedUnit () {
  const text = readFileSync(join(ROOT, 'appliance/l3lb.service'), 'utf8')
  if (!text.includes(`\nExecStart=${HOME}/appliance/l3lb `)) throw new PackageError(`appliance/l3lb.service does not start ${HOME}/appliance/l3lb, where the package puts the launcher`)
  return text
}

/** The first copyright lines of a dependency's licence file, or its author. */
function copyrightOf (dir, manifest) {
  const licence = readdirSync(dir).find((name) => /^(licen[cs]e|copying)/i.test(name))
  const lines = licence === undefined
    ? []
    : readFileSync(join(dir, licence), 'utf8').split('\n').map((line) => line.trim().replaceAll('\\<', '<').replaceAll('\\>', '>'))
      .filter((line) => /^copyright\s*(\(c\)|©|\d)/i.test(line))
  if (lines.length > 0) return [...new Set(lines)]
  const author = typeof manifest.author === 'string' ? manifest.author : manifest.author?.name
  return [author ?? `the ${manifest.name} authors`]
}

/** Every package under node_modules (nested ones included), by folder. */
function modulesOf (modules) {
  const found = []
  for (const { path, stat } of walk(modules)) {
    if (stat.isFile() && path.endsWith('/package.json') && basenameOf(dirname(dirname(path))) === 'node_modules') found.push(dirname(path))
    else if (stat.isFile() && path.endsWith('/package.json') && /\/node_modules\/@[^/]+$/.test(dirname(dirname(path)))) found.push(dirname(path))
  }
  return found
}

const basenameOf = (path) => path.slice(path.lastIndexOf('/') + 1)

/** debian/copyright in DEP-5 form: l3lb, then one paragraph per dependency, then each licence's text. */
function copyrightFile (modules, manifest) {
  const used = new Set([manifest.license])
  const paragraphs = [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n' +
    `Upstream-Name: ${manifest.name}\n` +
    'Comment: l3lb and the npm packages it runs with, as npm ci --omit=dev installs them under /usr/lib/l3lb/node_modules',
    `Files: *\nCopyright: the l3lb authors\nLicense: ${manifest.license}`
  ]
  for (const dir of modulesOf(modules)) {
    const dependency = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const licence = dependency.license
    if (typeof licence !== 'string' || !existsSync(join(DEBIAN, 'licenses', licence))) {
      throw new PackageError(`npm package ${dependency.name} has the licence ${JSON.stringify(licence)}, which has no text in debian/licenses/ (add it, named by its SPDX identifier)`)
    }
    used.add(licence)
    paragraphs.push(`Files: ${relative('/', HOME)}/${relative(modules, dir).replace(/^/, 'node_modules/')}/*\n` +
      `Copyright: ${copyrightOf(dir, dependency).join('\n ')}\nLicense: ${licence}`)
  }
  for (const licence of [...used].sort()) {
    const text = readFileSync(join(DEBIAN, 'licenses', licence), 'utf8').trimEnd().split('\n')
    paragraphs.push(`License: ${licence}\n${text.map((line) => line === '' ? ' .' : ` ${line}`).join('\n')}`)
  }
  return paragraphs.join('\n\n') + '\n'
}

/** The date of the last commit (reproducible builds), or now outside a git checkout. */
function buildEpoch () {
  const result = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' })
  const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? (result.status === 0 ? result.stdout.trim() : NaN))
  return Number.isInteger(epoch) && epoch > 0 ? epoch : Math.floor(Date.now() / 1000)
}

function changelog (version, maintainer, epoch) {
  const date = run('date', ['-R', '-u', '-d', `@${epoch}`]).trim()
  return `l3lb (${version}) unstable; urgency=medium\n\n  * Built from l3lb ${version} with npm run package.\n\n -- ${maintainer}  ${date}\n`
}

function controlFile (manifest, version, installedKiB) {
  return [
    'Package: l3lb',
    `Version: ${version}`,
    'Architecture: all',
    `Maintainer: ${manifest.author}`,
    `Installed-Size: ${installedKiB}`,
    `Depends: ${DEPENDS.join(', ')}`,
    `Recommends: ${RECOMMENDS.join(', ')}`,
    'Section: net',
    'Priority: optional',
    'Description: TCP/UDP load balancer appliance driving HAProxy and iptables',
    ' l3lb spreads TCP and UDP connections over real servers: an agent renders',
    ' HAProxy\'s configuration and iptables rules from one env file and service',
    ' files, checks the servers, and answers a ctl API with counters. Two nodes',
    ' form an active/standby pair with keepalived (and conntrackd for UDP flows).',
    ''
  ].join('\n')
}

/** Every regular file's md5 (conffiles excepted, as dh_md5sums does), for dpkg --verify. */
function md5sums (stage) {
  const lines = []
  for (const { path, stat } of walk(stage)) {
    const name = relative(stage, path)
    if (!stat.isFile() || name.startsWith('DEBIAN/') || CONFFILES.includes(`/${name}`)) continue
    lines.push(`${createHash('md5').update(readFileSync(path)).digest('hex')}  ${name}`)
  }
  return lines.join('\n') + '\n'
}

function installedSizeKiB (stage) {
  let bytes = 0
  for (const { stat } of walk(stage)) bytes += stat.isFile() ? Math.ceil(stat.size / 1024) * 1024 : 0
  return Math.ceil(bytes / 1024)
}

function build () {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  const version = process.env.L3LB_PACKAGE_VERSION ?? debianVersion(manifest.version)
  checkVersion(version)
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) throw new PackageError(`${join(ROOT, 'dist/src/cli/main.js')} is missing: build first (npm run package does)`)
  const out = process.env.L3LB_PACKAGE_OUT ?? ROOT
  const deb = join(out, `l3lb_${version}_all.deb`)
  const stage = mkdtempSync(join(tmpdir(), 'l3lb-package-'))
  try {
    chmodSync(stage, 0o755)
    for (const file of packedFiles()) copyInto(stage, join(ROOT, file), join(HOME, file), 0o644)
    const modules = join(stage, HOME, 'node_modules')
    productionModules(modules)
    refuseNativeAddons(modules)
    tidyModules(modules)
    normalizeModes(join(stage, HOME))
    mkdirSync(join(stage, 'usr/bin'), { recursive: true })
    // the launcher finds its home through readlink -f
    symlinkSync(relative(join(stage, 'usr/bin'), join(stage, HOME, 'appliance/l3lb')), join(stage, 'usr/bin/l3lb'))
    mkdirSync(dirname(join(stage, UNIT)), { recursive: true })
    writeFileSync(join(stage, UNIT), packagedUnit(), { mode: 0o644 })
    // the env file may hold ctl_token, ui_password and mail_password
    copyInto(stage, process.env.L3LB_PACKAGE_CONFFILE ?? join(ROOT, 'appliance/l3lb.env.example'), 'etc/l3lb/l3lb.env', 0o600)
    mkdirSync(join(stage, 'etc/l3lb/services.d'), { mode: 0o755 })
    const doc = join(stage, 'usr/share/doc/l3lb')
    mkdirSync(doc, { recursive: true })
    writeFileSync(join(doc, 'copyright'), copyrightFile(modules, manifest), { mode: 0o644 })
    const epoch = buildEpoch()
    // a native package (this checkout is upstream and packager): changelog.gz, not changelog.Debian.gz
    writeFileSync(join(doc, 'changelog'), changelog(version, manifest.author, epoch), { mode: 0o644 })
    run('gzip', ['-9n', join(doc, 'changelog')])
    copyInto(stage, join(DEBIAN, 'l3lb.1'), 'usr/share/man/man1/l3lb.1', 0o644)
    run('gzip', ['-9n', join(stage, 'usr/share/man/man1/l3lb.1')])
    copyInto(stage, join(DEBIAN, 'l3lb.lintian-overrides'), 'usr/share/lintian/overrides/l3lb', 0o644)
    for (const { path, stat } of walk(stage)) if (stat.isDirectory()) chmodSync(path, 0o755)
    mkdirSync(join(stage, 'DEBIAN'), { mode: 0o755 })
    for (const script of ['postinst', 'prerm', 'postrm']) copyInto(stage, join(DEBIAN, script), join('DEBIAN', script), 0o755)
    writeFileSync(join(stage, 'DEBIAN/conffiles'), CONFFILES.join('\n') + '\n', { mode: 0o644 })
    writeFileSync(join(stage, 'DEBIAN/md5sums'), md5sums(stage), { mode: 0o644 })
    writeFileSync(join(stage, 'DEBIAN/control'), controlFile(manifest, version, installedSizeKiB(stage)), { mode: 0o644 })
    mkdirSync(out, { recursive: true })
    run('dpkg-deb', ['--build', '--root-owner-group', '-Zxz', stage, deb], { env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) } })
  } finally {
    rmSync(stage, { recursive: true, force: true })
  }
  return deb
}

try {
  console.log(build())
} catch (error) {
  if (!(error instanceof PackageError)) throw error
  console.error(`package: ${error.message}`)
  process.exit(1)
}
