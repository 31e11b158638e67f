/**
 * A long-lived client for integration tests, run inside the client namespace:
 *
 *   node dist/test/support/netns-client.js
 *
 * Reads one JSON command per line on stdin and answers one JSON line per command
 * on stdout, `{id, ok: true, ...}` or `{id, ok: false, error, code}`, in the order
 * they finish. Holding connections here lets a test keep them open across steps.
 * Prints `{"ready":true}` first. client-driver.ts is its typed counterpart.
 *
 * Commands (every wait bounded by timeoutMs, default 5000):
 *   connect {host, port, localAddress?, timeoutMs?} -> {conn, greeting, pending, closed}
 *   wait    {conn, timeoutMs?}                      -> {conn, greeting, pending, closed}
 *   send    {conn, data, timeoutMs?}                -> {echo}
 *   close   {conn, reset?}                          -> {}
 *   http    {url, method?, headers?, body?, timeoutMs?} -> {status, headers, body}
 *   udp     {host, port, payload, localAddress?, localPort?, timeoutMs?} -> {reply}
 */
import { connect as tcpConnect, isIPv6, type Socket } from 'node:net'
import { createSocket } from 'node:dgram'
import { request } from 'node:http'
import { createInterface } from 'node:readline'

const DEFAULT_TIMEOUT_MS = 5000
const MAX_TIMEOUT_MS = 120_000
const MAX_CONNECTIONS = 5000
const MAX_BODY = 1024 * 1024

type Command = Record<string, unknown> & { id: number, op: string }

class CommandError extends Error {
  readonly code: string

  constructor (code: string, message: string) {
    super(message)
    this.code = code
  }
}

/** One held TCP connection: its first line is the greeting, later lines are echoes. */
class Connection {
  readonly socket: Socket
  greeting: string | null = null
  closed = false
  readonly #lines: string[] = []
  #partial = ''
  #waiters: Array<() => void> = []

  constructor (socket: Socket) {
    this.socket = socket
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n')
      this.#partial = parts.pop() ?? ''
      for (const line of parts) {
        if (this.greeting === null) this.greeting = line
        else this.#lines.push(line)
      }
      this.#wake()
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      this.closed = true
      this.#wake()
    })
  }

  /** Resolves when `ready()` holds, the connection closes, or `ms` pass. */
  async until (ready: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms
    while (!ready() && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now())
        this.#waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  nextLine (): string | undefined {
    return this.#lines.shift()
  }

  hasLine (): boolean {
    return this.#lines.length > 0
  }

  state (id: number): Record<string, unknown> {
    return { conn: id, greeting: this.greeting, pending: this.greeting === null && !this.closed, closed: this.closed }
  }

  #wake (): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }
}

const connections = new Map<number, Connection>()
let nextConnection = 1

function text (command: Command, field: string): string {
  const value = command[field]
  if (typeof value !== 'string' || value === '') throw new CommandError('EINVAL', `${field} must be a non-empty string, got ${JSON.stringify(value)}`)
  return value
}

function optionalText (command: Command, field: string): string | undefined {
  return command[field] === undefined ? undefined : text(command, field)
}

function integer (command: Command, field: string, low: number, high: number): number {
  const value = command[field]
  if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high) {
    throw new CommandError('EINVAL', `${field} must be an integer ${low}..${high}, got ${JSON.stringify(value)}`)
  }
  return value
}

function timeoutOf (command: Command): number {
  return command.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : integer(command, 'timeoutMs', 1, MAX_TIMEOUT_MS)
}

function connection (command: Command): [number, Connection] {
  const id = integer(command, 'conn', 1, Number.MAX_SAFE_INTEGER)
  const found = connections.get(id)
  if (found === undefined) throw new CommandError('ENOCONN', `no connection ${id}`)
  return [id, found]
}

async function connect (command: Command): Promise<Record<string, unknown>> {
  if (connections.size >= MAX_CONNECTIONS) throw new CommandError('EMFILE', `already holding ${MAX_CONNECTIONS} connections`)
  const host = text(command, 'host')
  const port = integer(command, 'port', 1, 65535)
  const localAddress = optionalText(command, 'localAddress')
  const timeoutMs = timeoutOf(command)
  const started = Date.now()
  const socket = tcpConnect({ host, port, ...(localAddress === undefined ? {} : { localAddress }) })
  const held = new Connection(socket)
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new CommandError('ETIMEDOUT', `no TCP connection to ${host}:${port} within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.once('connect', () => { clearTimeout(timer); resolve() })
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(new CommandError(error.code ?? 'ECONNECT', `connect to ${host}:${port} failed: ${error.message}`))
    })
  })
  const id = nextConnection++
  connections.set(id, held)
  await held.until(() => held.greeting !== null, timeoutMs - (Date.now() - started))
  return held.state(id)
}

async function wait (command: Command): Promise<Record<string, unknown>> {
  const [id, held] = connection(command)
  await held.until(() => held.greeting !== null, timeoutOf(command))
  return held.state(id)
}

async function send (command: Command): Promise<Record<string, unknown>> {
  const [id, held] = connection(command)
  const data = text(command, 'data')
  const timeoutMs = timeoutOf(command)
  if (held.closed) throw new CommandError('ECLOSED', `connection ${id} is closed`)
  held.socket.write(data.endsWith('\n') ? data : `${data}\n`)
  // Without a greeting yet, the first line back would be it: wait for both.
  await held.until(() => held.greeting !== null && held.hasLine(), timeoutMs)
  const echo = held.greeting === null ? undefined : held.nextLine()
  if (echo === undefined) {
    throw new CommandError(held.closed ? 'ECLOSED' : 'ETIMEDOUT', `no echo on connection ${id} within ${timeoutMs} ms${held.closed ? ' (closed)' : ''}`)
  }
  return { echo }
}

async function close (command: Command): Promise<Record<string, unknown>> {
  const [id, held] = connection(command)
  connections.delete(id)
  if (command.reset === true) held.socket.resetAndDestroy()
  else held.socket.end()
  await held.until(() => false, 2000)
  held.socket.destroy()
  return {}
}

async function http (command: Command): Promise<Record<string, unknown>> {
  const url = new URL(text(command, 'url'))
  const method = optionalText(command, 'method') ?? 'GET'
  const headers = (command.headers ?? {}) as Record<string, string>
  const body = optionalText(command, 'body')
  const timeoutMs = timeoutOf(command)
  return await new Promise((resolve, reject) => {
    // a fresh connection each time: Node's global agent would reuse a kept-alive socket the
    // server may be closing (a ctl service moved by SIGHUP), a reset instead of a refusal
    const req = request(url, { method, headers, agent: false }, (res) => {
      let received = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        received += chunk
        if (received.length > MAX_BODY) req.destroy(new CommandError('E2BIG', `response body over ${MAX_BODY} bytes`))
      })
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode, headers: res.headers, body: received }) })
      res.on('error', reject)
    })
    const timer = setTimeout(() => req.destroy(new CommandError('ETIMEDOUT', `no HTTP answer from ${url.href} within ${timeoutMs} ms`)), timeoutMs)
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(error instanceof CommandError ? error : new CommandError(error.code ?? 'EHTTP', `${method} ${url.href} failed: ${error.message}`))
    })
    req.end(body)
  })
}

async function udp (command: Command): Promise<Record<string, unknown>> {
  const host = text(command, 'host')
  const port = integer(command, 'port', 1, 65535)
  const payload = text(command, 'payload')
  const localAddress = optionalText(command, 'localAddress')
  const localPort = command.localPort === undefined ? 0 : integer(command, 'localPort', 1, 65535)
  const timeoutMs = timeoutOf(command)
  const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4')
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve({ reply: null }), timeoutMs)
      socket.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        reject(new CommandError(error.code ?? 'EUDP', `udp to ${host}:${port} failed: ${error.message}`))
      })
      socket.on('message', (message) => { clearTimeout(timer); resolve({ reply: message.toString('utf8') }) })
      socket.bind({ port: localPort, ...(localAddress === undefined ? {} : { address: localAddress }) }, () => {
        socket.send(payload, port, host)
      })
    })
  } finally {
    socket.close()
  }
}

const handlers: Record<string, (command: Command) => Promise<Record<string, unknown>>> = { connect, wait, send, close, http, udp }

function answer (value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

async function run (line: string): Promise<void> {
  let id: unknown
  try {
    const command = JSON.parse(line) as Command
    id = command.id
    const handler = handlers[command.op]
    if (handler === undefined) throw new CommandError('EINVAL', `unknown op ${JSON.stringify(command.op)}; known: ${Object.keys(handlers).join(', ')}`)
    answer({ id, ok: true, ...await handler(command) })
  } catch (error) {
    const code = error instanceof CommandError ? error.code : 'EFAIL'
    answer({ id, ok: false, code, error: (error as Error).message })
  }
}

process.on('SIGTERM', () => process.exit(0))
process.on('SIGINT', () => process.exit(0))
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== '') run(line).catch(() => {})
}).on('close', () => process.exit(0))
answer({ ready: true })
