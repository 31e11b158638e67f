/**
 * Runs the real agent (`l3lb start`) inside a topology's lb namespace, with its env file,
 * runtime and state folders in a temporary folder, and talks to its ctl service from the
 * client namespace.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClientDriver } from './client-driver.js'
import type { ExitStatus, SpawnedProcess, Topology } from './topology.js'
import type { OutputMember } from '../../src/ctl/answer.js'

export const CLI_PROGRAM = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

/** Every ctl answer: the seed's `{status:{code,message}}` plus status members. */
export interface CtlStatus {
  readonly code: number
  readonly message: string
  readonly [member: string]: unknown
}

export interface AgentHandle {
  readonly dir: string
  readonly envFile: string
  readonly runtimeDir: string
  readonly stateDir: string
  readonly process: SpawnedProcess
  /** GET on the ctl service from the client namespace; the answer's `status`. */
  ctl (pathAndQuery: string, headers?: Record<string, string>): Promise<{ httpStatus: number, status: CtlStatus }>
  /** `l3lb status --env <its env file>` run in the lb namespace: the table, and what `--json` prints. */
  cliStatus (): Promise<{ table: string, json: CliStatusJson }>
  /** Rewrites the env file (the next reload or start reads it). */
  writeEnv (text: string): void
  /** SIGHUP; resolves with the log line that says how the reload ended. */
  reload (): Promise<string>
  /** SIGTERM; resolves once the agent has exited. */
  stop (): Promise<ExitStatus>
  /** Starts the agent again on the same files (after stop()). */
  restart (): Promise<AgentHandle>
  /** Removes the temporary folder. */
  removeFiles (): void
}

/** What `l3lb status --json` prints. */
export interface CliStatusJson {
  readonly status: CtlStatus
  readonly outputs: readonly OutputMember[]
  readonly counters: Readonly<Record<string, number>>
}

export interface AgentOptions {
  /** The env file's text; ctl and ui addresses default to the lb's client-side address. */
  readonly env: string
  /** Reuse this folder (a restart); a new temporary one by default. */
  readonly dir?: string
  /** More environment for the agent (PATH to a stand-in program, say). */
  readonly extraEnv?: Record<string, string>
  /** A program that starts the CLI (appliance/l3lb, which sets the heap bound); `node main.js` by default. */
  readonly launcher?: string
  /** Where the runtime files go (the benchmark's tmpfs, as systemd's RuntimeDirectory= is under /run); `dir`/run by default. */
  readonly runtimeDir?: string
}

/** The env lines every test agent needs: ctl reachable from the client namespace. */
export function ctlEnv (topology: Topology): string {
  return `ctl_addr=${topology.addresses.lbClientSide}\nctl_port=8080\nui_addr=${topology.addresses.lbClientSide}\n`
}

/** Writes the env file and each service file (services.d/NAME.env) into `dir`: what `startAgent({ env, dir })` starts from. */
export function writeAgentFiles (dir: string, env: string, services: Readonly<Record<string, string>>): void {
  writeFileSync(join(dir, 'l3lb.env'), env)
  mkdirSync(join(dir, 'services.d'), { recursive: true })
  for (const [name, text] of Object.entries(services)) writeFileSync(join(dir, 'services.d', `${name}.env`), text)
}

/** Starts the agent and resolves once its ctl service listens; rejects with its output if it exits first. */
export async function startAgent (topology: Topology, client: ClientDriver, options: AgentOptions): Promise<AgentHandle> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'l3lb-agent-'))
  const envFile = join(dir, 'l3lb.env')
  const runtimeDir = options.runtimeDir ?? join(dir, 'run')
  const stateDir = join(dir, 'state')
  if (options.dir === undefined) writeFileSync(envFile, options.env)
  const [program, args] = options.launcher === undefined ? [process.execPath, [CLI_PROGRAM]] : [options.launcher, []]
  const child = topology.spawn(topology.names.lb, program, [...args, 'start', '--env', envFile], {
    env: { RUNTIME_DIRECTORY: runtimeDir, STATE_DIRECTORY: stateDir, ...options.extraEnv }
  })
  try {
    await child.waitForLine(/ctl service on /, 20_000)
  } catch (error) {
    await child.stop().catch(() => undefined)
    // a folder this call made goes with the failed start; one passed in belongs to the caller
    if (options.dir === undefined) rmSync(dir, { recursive: true, force: true })
    throw error
  }
  const ctlBase = `http://${topology.addresses.lbClientSide}:8080`
  const handle: AgentHandle = {
    dir,
    envFile,
    runtimeDir,
    stateDir,
    process: child,
    async ctl (pathAndQuery, headers = {}) {
      const answer = await client.http(`${ctlBase}${pathAndQuery}`, { headers, timeoutMs: 10_000 })
      const body = JSON.parse(answer.body) as { status: CtlStatus }
      return { httpStatus: answer.status, status: body.status }
    },
    async cliStatus () {
      const run = async (...args: string[]): Promise<string> => (await topology.exec(topology.names.lb, process.execPath, [CLI_PROGRAM, 'status', ...args, '--env', envFile])).stdout
      return { table: await run(), json: JSON.parse(await run('--json')) as CliStatusJson }
    },
    writeEnv (text) {
      writeFileSync(envFile, text)
    },
    async reload () {
      return await reloadAgent(child)
    },
    async stop () {
      return await child.stop(15_000)
    },
    async restart () {
      return await startAgent(topology, client, { ...options, dir })
    },
    removeFiles () {
      rmSync(dir, { recursive: true, force: true })
      rmSync(runtimeDir, { recursive: true, force: true })
    }
  }
  return handle
}

/** Sends the agent `child` a SIGHUP; resolves with the line that says how this reload went (not an earlier one's). */
export async function reloadAgent (child: SpawnedProcess): Promise<string> {
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`no reload outcome within 20 s; output:\n${child.output()}`)) }, 20_000)
    const stop = child.onLine((line) => {
      if (/properties reloaded|reload refused/.test(line)) {
        clearTimeout(timer)
        stop()
        resolve(line)
      }
    })
  })
  process.kill(child.pid, 'SIGHUP')
  return await done
}
