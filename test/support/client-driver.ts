/**
 * Typed driver for netns-client.js: starts it in a topology's client namespace and
 * turns each method call into one JSON command, bounded by a timeout on both sides.
 */
import { fileURLToPath } from 'node:url'
import { LineRpc } from './line-rpc.js'
import type { SpawnedProcess, Topology, TopologyNames } from './topology.js'

const CLIENT_PROGRAM = fileURLToPath(new URL('./netns-client.js', import.meta.url))
const DEFAULT_TIMEOUT_MS = 5000
// The driver waits a little longer than the client so the client's own answer wins.
const DRIVER_SLACK_MS = 3000

/** A held connection's state: `greeting` is the server's first line, null until it comes. */
export interface ConnectionState {
  conn: number
  greeting: string | null
  /** Connected, no greeting yet: e.g. queued behind max_connections. */
  pending: boolean
  /** The other side closed (or reset) the connection. */
  closed: boolean
}

export interface ConnectOptions {
  host: string
  port: number
  /** Source address: one of topology.addresses.client. */
  localAddress?: string
  /** For the TCP connect and the greeting together. Default 5000. */
  timeoutMs?: number
}

export interface HttpOptions {
  method?: string
  headers?: Record<string, string>
  body?: string
  timeoutMs?: number
}

export interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

export interface UdpOptions {
  host: string
  port: number
  payload: string
  localAddress?: string
  localPort?: number
  /** How long to wait for a reply. Default 5000. */
  timeoutMs?: number
}

/** A command the client answered with an error; `code` is the errno-like code (ECONNREFUSED, ETIMEDOUT...). */
export class ClientCommandError extends Error {
  readonly code: string
  readonly op: string

  constructor (op: string, code: string, message: string) {
    super(`${op}: ${message} (${code})`)
    this.name = 'ClientCommandError'
    this.op = op
    this.code = code
  }
}

export interface ClientDriver {
  /** The client process, for its output in failure messages. */
  readonly process: SpawnedProcess
  /** Opens and holds a TCP connection; rejects with ClientCommandError when it cannot connect. */
  connect (options: ConnectOptions): Promise<ConnectionState>
  /** Waits up to timeoutMs for a held connection's greeting; returns its state either way. */
  waitGreeting (conn: number, timeoutMs?: number): Promise<ConnectionState>
  /** Sends one line and returns the line echoed back. */
  send (conn: number, data: string, timeoutMs?: number): Promise<string>
  /** Closes a held connection (RST with reset: true). */
  close (conn: number, options?: { reset?: boolean }): Promise<void>
  /** One HTTP request from the client namespace. */
  http (url: string, options?: HttpOptions): Promise<HttpAnswer>
  /** Sends one datagram from a new socket; the first reply, or null when none came in time. */
  udp (options: UdpOptions): Promise<string | null>
  /** Stops the client process (its connections close with it). */
  stop (): Promise<void>
}

/** Starts netns-client in the topology's client namespace and waits until it is ready. */
export async function startClient (topology: Pick<Topology, 'spawn'> & { readonly names: Pick<TopologyNames, 'client'> }): Promise<ClientDriver> {
  const child = topology.spawn(topology.names.client, process.execPath, [CLIENT_PROGRAM], { stdin: 'pipe' })
  const driver = new Driver(child)
  await child.waitForLine('{"ready":true}', 10_000)
  return driver
}

class Driver implements ClientDriver {
  readonly process: SpawnedProcess
  readonly #rpc: LineRpc

  constructor (child: SpawnedProcess) {
    this.process = child
    this.#rpc = new LineRpc(child, {
      name: 'the client',
      slackMs: DRIVER_SLACK_MS,
      failure: (op, answer) => new ClientCommandError(op, String(answer.code), String(answer.error))
    })
  }

  async connect (options: ConnectOptions): Promise<ConnectionState> {
    return toState(await this.#rpc.call('connect', { ...options }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS))
  }

  async waitGreeting (conn: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ConnectionState> {
    return toState(await this.#rpc.call('wait', { conn, timeoutMs }, timeoutMs))
  }

  async send (conn: number, data: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const answer = await this.#rpc.call('send', { conn, data, timeoutMs }, timeoutMs)
    return String(answer.echo)
  }

  async close (conn: number, options: { reset?: boolean } = {}): Promise<void> {
    await this.#rpc.call('close', { conn, reset: options.reset ?? false }, 2000)
  }

  async http (url: string, options: HttpOptions = {}): Promise<HttpAnswer> {
    const answer = await this.#rpc.call('http', { url, ...options }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
    return { status: Number(answer.status), headers: answer.headers as HttpAnswer['headers'], body: String(answer.body) }
  }

  async udp (options: UdpOptions): Promise<string | null> {
    const answer = await this.#rpc.call('udp', { ...options }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
    return typeof answer.reply === 'string' ? answer.reply : null
  }

  async stop (): Promise<void> {
    this.process.stdin?.end()
    await this.process.stop(2000)
    this.#rpc.failAll('the client was stopped')
  }
}

function toState (answer: Record<string, unknown>): ConnectionState {
  return {
    conn: Number(answer.conn),
    greeting: typeof answer.greeting === 'string' ? answer.greeting : null,
    pending: answer.pending === true,
    closed: answer.closed === true
  }
}
