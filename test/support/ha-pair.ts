/**
 * The two nodes of an HA test: each runs the real agent (`l3lb start`) in its lb namespace on
 * its own env file and temporary folders, and the test reads what keepalived and HAProxy did
 * from the agent's log and HAProxy's stats socket.
 * Invariants: every folder made here is removed by stop(); stop() stops every agent started.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI_PROGRAM } from './agent-driver.js'
import type { HaTopology } from './ha-topology.js'
import type { SpawnedProcess } from './topology.js'
import { parseShowStat } from '../../src/haproxy/parse.js'
import { sendCommand } from '../../src/haproxy/socket-client.js'
import { waitFor } from './wait.js'

export type NodeName = 'lb1' | 'lb2'

/** A VRRP state keepalived logged through the agent, and when the test saw the line. */
export interface StateLine {
  readonly state: string
  readonly at: number
}

const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 15_000
const VRRP_STATE_LINE = /keepalived: \(l3lb\) Entering (\w+) STATE/

export class HaPair {
  readonly #topology: HaTopology
  readonly #dirs = new Map<NodeName, string>()
  readonly #agents = new Map<NodeName, SpawnedProcess>()

  /** Writes each node's env file (`envFor`) into a new temporary folder. */
  constructor (topology: HaTopology, envFor: (name: NodeName) => string) {
    this.#topology = topology
    for (const name of ['lb1', 'lb2'] as const) {
      const dir = mkdtempSync(join(tmpdir(), `l3lb-ha-${name}-`))
      this.#dirs.set(name, dir)
      writeFileSync(join(dir, 'l3lb.env'), envFor(name))
    }
  }

  /** The node's runtime folder: keepalived.conf, HAProxy's sockets. */
  runtimeDir (name: NodeName): string {
    return join(this.#dirs.get(name) ?? '', 'run')
  }

  /** The node's env file, which a test may rewrite before a SIGHUP. */
  envFile (name: NodeName): string {
    return join(this.#dirs.get(name) ?? '', 'l3lb.env')
  }

  /** The node's running agent; throws when it was not started. */
  agent (name: NodeName): SpawnedProcess {
    const agent = this.#agents.get(name)
    if (agent === undefined) throw new Error(`the agent of ${name} was not started`)
    return agent
  }

  /** Starts the agent of `name`, with `env` added to its environment, and resolves once keepalived runs (the ctl service listens by then). */
  async start (name: NodeName, env: Readonly<Record<string, string>> = {}): Promise<SpawnedProcess> {
    const dir = this.#dirs.get(name) ?? ''
    const child = this.#topology.spawn(this.#topology.names[name], process.execPath, [CLI_PROGRAM, 'start', '--env', this.envFile(name)], {
      env: { ...env, RUNTIME_DIRECTORY: join(dir, 'run'), STATE_DIRECTORY: join(dir, 'state') }
    })
    this.#agents.set(name, child)
    await child.waitForLine(/keepalived running: /, START_TIMEOUT_MS)
    return child
  }

  /**
   * Starts lb1, waits until it holds `virtual` (alone on the link it becomes MASTER once no
   * advert came for three intervals), then starts lb2 and waits until it is BACKUP.
   */
  async startActiveThenStandby (virtual: string): Promise<void> {
    await this.start('lb1')
    await this.waitFor('lb1 holds the virtual address', () => this.#topology.holds(this.#topology.names.lb1, virtual), START_TIMEOUT_MS)
    await (await this.start('lb2')).waitForLine(/keepalived: \(l3lb\) Entering BACKUP STATE/, 5000)
  }

  /** Polls `check` every 50 ms (at most 1000 rounds); the time it took, or an error with both agents' logs. */
  async waitFor (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
    return await waitFor(what, check, timeoutMs, { context: () => this.logs() })
  }

  /** The end of both agents' logs, for failure messages. */
  logs (): string {
    return (['lb1', 'lb2'] as const).map((name) => `${name}:\n${this.#agents.get(name)?.output().slice(-3000) ?? '(not started)'}`).join('\n')
  }

  /** Every VRRP state the agent of `name` logs from now on; call the returned stop when done. */
  watchStates (name: NodeName): { readonly lines: StateLine[], stop: () => void } {
    const lines: StateLine[] = []
    const stop = this.agent(name).onLine((line) => {
      const state = VRRP_STATE_LINE.exec(line)?.[1]
      if (state !== undefined) lines.push({ state, at: Date.now() })
    })
    return { lines, stop }
  }

  /** Stops both agents (SIGTERM, SIGKILL after 15 s) and removes the folders. */
  async stop (): Promise<void> {
    for (const agent of this.#agents.values()) await agent.stop(STOP_TIMEOUT_MS).catch(() => undefined)
    for (const dir of this.#dirs.values()) rmSync(dir, { recursive: true, force: true })
  }
}

/** Connections the node's `in` frontend has taken so far (`stot`), read on its stats socket. */
export async function frontendSessions (runtimeDir: string): Promise<number> {
  const text = await sendCommand(join(runtimeDir, 'haproxy.sock'), 'show stat', 2000)
  const row = parseShowStat(text).find((candidate) => candidate.pxname === 'in' && candidate.svname === 'FRONTEND')
  if (row === undefined) throw new Error(`no "in" FRONTEND row in show stat: ${JSON.stringify(text.slice(0, 300))}`)
  return Number(row.stot)
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
