/** Where the agent's parts write what happened: one line per event (agent/log.ts writes it to standard error). */
export interface Log {
  info (message: string): void
  warn (message: string): void
  error (message: string): void
}
