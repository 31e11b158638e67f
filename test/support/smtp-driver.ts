/** Starts smtp-receiver.js in a namespace and collects what it received. */
import { fileURLToPath } from 'node:url'
import type { SpawnedProcess, SpawnOptions } from './topology.js'

const RECEIVER_PROGRAM = fileURLToPath(new URL('./smtp-receiver.js', import.meta.url))

export interface ReceivedMail {
  readonly from: string
  readonly to: readonly string[]
  readonly subject: string
  readonly text: string
}

export interface SmtpReceiver {
  readonly mails: readonly ReceivedMail[]
  /** Resolves with the mails once at least `count` arrived; rejects after `timeoutMs`. */
  waitFor (count: number, timeoutMs: number): Promise<readonly ReceivedMail[]>
  stop (): Promise<void>
}

type Spawner = (ns: string, file: string, args?: readonly string[], options?: SpawnOptions) => SpawnedProcess

export async function startSmtpReceiver (spawn: Spawner, ns: string, host: string, port: number): Promise<SmtpReceiver> {
  const child = spawn(ns, process.execPath, [RECEIVER_PROGRAM, '--host', host, '--port', String(port)])
  const mails: ReceivedMail[] = []
  child.onLine((line) => {
    if (line.startsWith('{"mail"')) mails.push((JSON.parse(line) as { mail: ReceivedMail }).mail)
  })
  await child.waitForLine('ready', 10_000)
  return {
    mails,
    async waitFor (count, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      while (mails.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
      if (mails.length < count) throw new Error(`${mails.length} mail(s) arrived in ${timeoutMs} ms, expected ${count}:\n${mails.map((mail) => mail.subject).join('\n')}`)
      return mails
    },
    async stop () { await child.stop() }
  }
}
