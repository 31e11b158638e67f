/** Waiting in tests for something the system does on its own time: bounded in rounds and in time. */

export interface WaitOptions {
  /** Between two checks; 50 ms by default. */
  readonly intervalMs?: number
  /** Added to the error when it never came: the agents' logs, say. */
  readonly context?: () => string
}

const MAX_ROUNDS = 1000

/** Polls `check` until it is true and resolves with the time it took; throws `<what>: not within N ms` otherwise. */
export async function waitFor (what: string, check: () => Promise<boolean>, timeoutMs: number, options: WaitOptions = {}): Promise<number> {
  const started = Date.now()
  for (let round = 0; round < MAX_ROUNDS && Date.now() - started < timeoutMs; round++) {
    if (await check()) return Date.now() - started
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50))
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${options.context === undefined ? '' : `\n${options.context()}`}`)
}
