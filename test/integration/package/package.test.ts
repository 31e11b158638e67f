// The Debian package for real (docs/package.md): built by scripts/package.mjs, checked by
// lintian, installed with apt-get on this machine, its agent started by the installed
// appliance.sh in a namespace topology, upgraded with the operator's edits kept, purged.
// It installs into /usr/lib/l3lb, /etc/l3lb...: it refuses to run where l3lb is installed, and
// purges (then removes by hand whatever is left) even when a step fails.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { startBackends } from '../../support/backend-driver.js'
import { startClient, type ClientDriver } from '../../support/client-driver.js'
import { createTopology, type Topology } from '../../support/topology.js'
import { waitFor } from '../../support/wait.js'

const CHECKOUT = fileURLToPath(new URL('../../../../', import.meta.url))
const PACKAGE_SCRIPT = join(CHECKOUT, 'scripts/package.mjs')
const MANIFEST = JSON.parse(readFileSync(join(CHECKOUT, 'package.json'), 'utf8')) as { version: string, files: string[] }
const UPGRADE_VERSION = `${MANIFEST.version}+test2`
const HOME = '/usr/lib/l3lb'
const APPLIANCE_SH = `${HOME}/appliance/appliance.sh`
const ENV_FILE = '/etc/l3lb/l3lb.env'
const PID_FILE = '/run/l3lb/agent.pid'
// everything the package, its scripts or its agent put on the machine
const INSTALLED_PATHS = [HOME, '/etc/l3lb', '/var/lib/l3lb', '/run/l3lb', '/lib/systemd/system/l3lb.service', '/usr/bin/l3lb',
  '/usr/share/doc/l3lb', '/usr/share/lintian/overrides/l3lb', '/usr/share/man/man1/l3lb.1.gz', '/var/log/l3lb.log']
// apt and dpkg wait for a lock another apt-get holds, bounded
const APT = ['-o', 'DPkg::Lock::Timeout=120']

let workDir: string
let firstDeb: string
let upgradeDeb: string
let topology: Topology | undefined
let client: ClientDriver
let operatorEnv: string
let packageTouched = false

interface Ran { exitCode: number | undefined, output: string }

/** Runs a program (bounded); its exit code and its stdout and stderr together. */
async function run (file: string, args: readonly string[], options: { env?: Record<string, string>, timeoutMs?: number } = {}): Promise<Ran> {
  const result = await execa(file, args, { reject: false, all: true, timeout: options.timeoutMs ?? 120_000, env: { DEBIAN_FRONTEND: 'noninteractive', ...options.env } })
  return { exitCode: result.exitCode, output: result.all ?? '' }
}

/** Runs a program that must succeed; its output. */
async function runOk (file: string, args: readonly string[], options: { env?: Record<string, string>, timeoutMs?: number } = {}): Promise<string> {
  const result = await run(file, args, options)
  assert.equal(result.exitCode, 0, `${file} ${args.join(' ')} failed:\n${result.output}`)
  return result.output
}

async function installedVersion (): Promise<string | undefined> {
  const result = await run('dpkg-query', ['--status', 'l3lb'])
  if (result.exitCode !== 0 || !/^Status: install ok installed$/m.test(result.output)) return undefined
  return /^Version: (.+)$/m.exec(result.output)?.[1]
}

/** Processes of the installed agent or of the HAProxy it runs, by their command lines. */
function agentProcesses (): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let cmdline: string
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
    } catch {
      continue // gone meanwhile
    }
    if (cmdline.includes(`${HOME}/`) || cmdline.includes('/run/l3lb/')) found.push(`${pid}: ${cmdline}`)
  }
  return found
}

const leftovers = (): string[] => INSTALLED_PATHS.filter((path) => existsSync(path))

async function buildPackage (version: string, conffile?: string): Promise<string> {
  const env: Record<string, string> = { L3LB_PACKAGE_VERSION: version, L3LB_PACKAGE_OUT: workDir, ...(conffile === undefined ? {} : { L3LB_PACKAGE_CONFFILE: conffile }) }
  const output = await runOk(process.execPath, [PACKAGE_SCRIPT], { env, timeoutMs: 300_000 })
  const deb = join(workDir, `l3lb_${version}_all.deb`)
  assert.ok(existsSync(deb), `scripts/package.mjs did not write ${deb}:\n${output}`)
  return deb
}

/** A greeting through the installed agent: `be1 80`, once it forwards (bounded). */
async function greetingOn (port: number): Promise<string> {
  let greeting = ''
  await waitFor(`a connection to port ${port} forwarded by the installed agent`, async () => {
    const connection = await client.connect({ host: topology!.addresses.lbClientSide, port, timeoutMs: 2000 }).catch(() => undefined)
    if (connection === undefined) return false
    greeting = String(connection.greeting)
    await client.close(connection.conn)
    return !connection.pending
  }, 20_000, { intervalMs: 200, context: () => existsSync('/var/log/l3lb.log') ? readFileSync('/var/log/l3lb.log', 'utf8').slice(-4000) : '(no /var/log/l3lb.log)' })
  return greeting
}

const agentPid = (): number => Number(readFileSync(PID_FILE, 'utf8').trim())

before(async () => {
  const installed = await installedVersion()
  if (installed !== undefined || leftovers().length > 0) {
    throw new Error(`this machine has l3lb ${installed ?? ''} installed or its files (${leftovers().join(', ')}): the package test installs and purges its own, so it does not run here`)
  }
  workDir = mkdtempSync(join(tmpdir(), 'l3lb-package-test-'))
  firstDeb = await buildPackage(MANIFEST.version)
  // the next release ships a changed env file: dpkg must keep the operator's without asking
  const newDefault = join(workDir, 'l3lb.env.next')
  writeFileSync(newDefault, readFileSync(join(CHECKOUT, 'appliance/l3lb.env.example'), 'utf8') + '# a line the next release adds\n')
  upgradeDeb = await buildPackage(UPGRADE_VERSION, newDefault)
  topology = await createTopology({ backends: 2 })
  await startBackends(topology, { ports: '80,81' })
  client = await startClient(topology)
})

after(async () => {
  if (topology !== undefined && existsSync(APPLIANCE_SH)) await run('ip', ['netns', 'exec', topology.names.lb, APPLIANCE_SH, 'stop'])
  if (packageTouched) {
    if ((await run('dpkg-query', ['-W', 'l3lb'])).exitCode === 0) {
      const purged = await run('apt-get', [...APT, 'purge', '-y', 'l3lb'])
      if (purged.exitCode !== 0) await run('dpkg', ['--purge', '--force-all', 'l3lb'])
    }
    // the last resort: the machine is left as it was found
    for (const path of INSTALLED_PATHS) rmSync(path, { recursive: true, force: true })
  }
  await topology?.destroy()
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true })
})

test('the package is l3lb_<package.json version>_all.deb, with what package.json "files" lists under /usr/lib/l3lb, and lintian finds no error or warning', async () => {
  assert.equal(firstDeb, join(workDir, `l3lb_${MANIFEST.version}_all.deb`))
  const fields = await runOk('dpkg-deb', ['-f', firstDeb, 'Package', 'Version', 'Architecture', 'Depends', 'Recommends'])
  assert.match(fields, /^Package: l3lb$/m)
  assert.match(fields, new RegExp(`^Version: ${MANIFEST.version.replaceAll('.', '\\.')}$`, 'm'))
  assert.match(fields, /^Architecture: all$/m)
  assert.match(fields, /^Depends: nodejs \(>= 20\.19\), haproxy \(>= 2\.6\), iptables, iproute2, /m)
  assert.match(fields, /^Recommends: keepalived, conntrackd, socat$/m)
  assert.equal((await runOk('dpkg-deb', ['--info', firstDeb, 'conffiles'])).trim(), ENV_FILE)
  const listing = await runOk('dpkg-deb', ['--contents', firstDeb])
  // a folder or a file: whatever package.json "files" lists now, the console's included
  for (const entry of MANIFEST.files) assert.match(listing, new RegExp(` \\./usr/lib/l3lb/${entry.replaceAll('.', '\\.')}(/|$)`, 'm'), `package.json "files" lists ${entry}; the package has no /usr/lib/l3lb/${entry}`)
  for (const path of ['usr/lib/l3lb/dist/src/cli/main.js', 'usr/lib/l3lb/package.json', 'usr/lib/l3lb/node_modules/fastify/package.json',
    'usr/lib/l3lb/appliance/appliance.sh', 'usr/lib/l3lb/appliance/health-check.sh', 'lib/systemd/system/l3lb.service', 'etc/l3lb/services.d/',
    'usr/share/doc/l3lb/copyright', 'usr/share/lintian/overrides/l3lb']) {
    assert.match(listing, new RegExp(` \\./${path.replaceAll('.', '\\.')}$`, 'm'), `the package has no /${path}`)
  }
  assert.match(listing, / \.\/usr\/bin\/l3lb -> \.\.\/lib\/l3lb\/appliance\/l3lb$/m)
  assert.doesNotMatch(listing, /node_modules\/(typescript|eslint|@types)\//, 'a development dependency is in the package')
  assert.doesNotMatch(listing, /\.node$/m, 'a native addon is in an Architecture: all package')
  const lintian = await run('lintian', ['--fail-on', 'error,warning', firstDeb], { timeoutMs: 300_000 })
  assert.equal(lintian.exitCode, 0, `lintian:\n${lintian.output}`)
  assert.doesNotMatch(lintian.output, /^[EW]: /m, `lintian:\n${lintian.output}`)
})

test('apt-get installs it and starts nothing; l3lb check accepts the shipped env file; systemd-analyze verifies the unit', async () => {
  packageTouched = true
  await runOk('apt-get', [...APT, 'install', '-y', firstDeb])
  assert.equal(await installedVersion(), MANIFEST.version)
  assert.deepEqual(agentProcesses(), [], 'the package started the agent before the operator configured and enabled it')
  assert.equal(statSync('/var/lib/l3lb').mode & 0o777, 0o700)
  assert.equal(statSync(ENV_FILE).mode & 0o777, 0o600)
  assert.ok(statSync('/etc/l3lb/services.d').isDirectory())
  // through /usr/bin/l3lb: the launcher finds /usr/lib/l3lb through the symlink
  const checked = await runOk('/usr/bin/l3lb', ['check', '--env', ENV_FILE])
  assert.match(checked, /l3lb\.env: valid/)
  const unit = readFileSync('/lib/systemd/system/l3lb.service', 'utf8')
  assert.match(unit, /^ExecStart=\/usr\/lib\/l3lb\/appliance\/l3lb start --env \$\{L3LB_ENV\}$/m)
  assert.doesNotMatch(unit, /\/opt\//)
  const verified = await run('systemd-analyze', ['verify', '/lib/systemd/system/l3lb.service'])
  assert.equal(verified.exitCode, 0, `systemd-analyze verify:\n${verified.output}`)
  assert.doesNotMatch(verified.output, /l3lb\.service/, `systemd-analyze verify:\n${verified.output}`)
})

test('the installed appliance.sh starts the installed agent in the lb namespace, and it forwards a connection', async () => {
  const [be1, be2] = topology!.addresses.backends
  const lb = topology!.addresses.lbClientSide
  // the operator's edits: the conffile and one service file
  operatorEnv = `mode=tcp_roundrobin\nports=80\nout1=${be1}\nhealthcheck_interval=1\nctl_addr=${lb}\nctl_port=8080\nui_addr=${lb}\n`
  writeFileSync(ENV_FILE, operatorEnv)
  writeFileSync('/etc/l3lb/services.d/web.env', `mode=tcp_roundrobin\nports=81\nserver_web2=${be2}\n`)
  await runOk('/usr/bin/l3lb', ['check', '--env', ENV_FILE])
  await runOk('ip', ['netns', 'exec', topology!.names.lb, APPLIANCE_SH, 'start'], { timeoutMs: 30_000 })
  const cmdline = readFileSync(`/proc/${agentPid()}/cmdline`, 'utf8')
  assert.ok(cmdline.includes(`${HOME}/dist/src/cli/main.js`), `the agent runs ${cmdline.replaceAll('\0', ' ')}, not the installed one`)
  assert.equal(await greetingOn(80), 'be1 80')
  assert.equal(await greetingOn(81), 'be2 81')
})

test('an upgrade to a rebuilt package keeps the operator\'s env file, services.d and /var/lib/l3lb, and restarts the running agent on the new files', async () => {
  writeFileSync('/var/lib/l3lb/kept-by-the-test', 'state\n')
  const before = agentPid()
  // dpkg in the lb namespace: postinst restarts the agent where it ran (no systemd here)
  const upgraded = await runOk('ip', ['netns', 'exec', topology!.names.lb, 'apt-get', ...APT, 'install', '-y', '-o', 'Dpkg::Options::=--force-confold', upgradeDeb])
  assert.equal(await installedVersion(), UPGRADE_VERSION)
  assert.equal(readFileSync(ENV_FILE, 'utf8'), operatorEnv, `the operator's env file was replaced:\n${upgraded}`)
  assert.match(readFileSync(`${ENV_FILE}.dpkg-dist`, 'utf8'), /# a line the next release adds/, 'dpkg kept the new release\'s env file beside it')
  assert.match(readFileSync('/etc/l3lb/services.d/web.env', 'utf8'), /^server_web2=/m)
  assert.equal(readFileSync('/var/lib/l3lb/kept-by-the-test', 'utf8'), 'state\n')
  assert.equal(statSync('/var/lib/l3lb').mode & 0o777, 0o700)
  assert.notEqual(agentPid(), before, `the agent was not restarted by the upgrade:\n${upgraded}`)
  assert.equal(await greetingOn(80), 'be1 80')
  assert.equal(await greetingOn(81), 'be2 81')
})

test('apt-get purge stops the agent and leaves nothing behind', async () => {
  await runOk('apt-get', [...APT, 'purge', '-y', 'l3lb'])
  assert.equal(await installedVersion(), undefined)
  assert.equal((await run('dpkg-query', ['-W', 'l3lb'])).exitCode, 1, 'dpkg still knows l3lb (not purged)')
  assert.deepEqual(leftovers(), [])
  assert.deepEqual(agentProcesses(), [])
  // HAProxy's workers finish their exit on their own time, bounded
  await waitFor('the lb namespace without processes', async () => (await runOk('ip', ['netns', 'pids', topology!.names.lb])).trim() === '', 5000, { intervalMs: 100 })
})
