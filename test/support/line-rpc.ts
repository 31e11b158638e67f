/**
 * Requests to a program run in a namespace, one JSON line each way: `{id, op, ...}` out,
 * `{id, ok, ...}` or `{id, ok: false, error, code?}` back. The client and the browser
 * drivers both talk to their programs this way.
 */
import type { SpawnedProcess } from './topology.js'

interface Pending {
  readonly op: string
  readonly resolve: (value: Record<string, unknown>) => void
  readonly reject: (error: Error) => void
  readonly timer: NodeJS.Timeout
}

export interface LineRpcOptions {
  /** What the program is, for messages: "the client", "the browser program". */
  readonly name: string
  /** Added to each call's own timeout before the driver gives up on an answer. */
  readonly slackMs: number
  /** The error for an answer with ok: false. */
  readonly failure: (op: string, answer: Record<string, unknown>) => Error
}

export class LineRpc {
  readonly #process: SpawnedProcess
  readonly #options: LineRpcOptions
  readonly #pending = new Map<number, Pending>()
  #nextId = 1

  constructor (process: SpawnedProcess, options: LineRpcOptions) {
    this.#process = process
    this.#options = options
    process.onLine((line) => this.#onLine(line))
    process.exited.then(() => this.failAll(`${options.name} exited`), () => {})
  }

  /** Sends one request and resolves with its answer, or rejects after timeoutMs plus the slack. */
  call (op: string, fields: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    const stdin = this.#process.stdin
    const { name, slackMs } = this.#options
    if (this.#process.hasExited() || stdin === null || !stdin.writable) {
      return Promise.reject(new Error(`${op}: ${name} is not running; its output:\n${this.#process.output()}`))
    }
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new Error(`${op}: no answer from ${name} within ${timeoutMs + slackMs} ms; its output:\n${this.#process.output().slice(-2000)}`))
      }, timeoutMs + slackMs)
      this.#pending.set(id, { op, resolve, reject, timer })
      stdin.write(`${JSON.stringify({ ...fields, id, op })}\n`)
    })
  }

  /** Rejects every request still waiting. */
  failAll (reason: string): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer)
      pending.reject(new Error(`${pending.op}: ${reason}`))
      this.#pending.delete(id)
    }
  }

  #onLine (line: string): void {
    let answer: Record<string, unknown>
    try {
      answer = JSON.parse(line) as Record<string, unknown>
    } catch {
      return
    }
    if (typeof answer.id !== 'number') return
    const pending = this.#pending.get(answer.id)
    if (pending === undefined) return
    this.#pending.delete(answer.id)
    clearTimeout(pending.timer)
    if (answer.ok === true) pending.resolve(answer)
    else pending.reject(this.#options.failure(pending.op, answer))
  }
}
