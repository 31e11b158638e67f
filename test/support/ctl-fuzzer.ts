/**
 * Sends raw bytes to a TCP service, one connection per case, a bounded number at once,
 * and reports what came back: malformed HTTP that no HTTP client would send, and
 * thousands of requests in seconds. Run it in a namespace (topology.exec) with the cases
 * on stdin:
 *
 *   first line  {"host":"198.18.0.1","port":8080,"concurrency":20,"caseTimeoutMs":10000,"quietMs":2000}
 *   then        {"id":0,"chunks":["<base64>"],"methods":["GET"],"halfClose":false}  one line per case
 *
 * Each case connects and writes its chunks. It then reads until the server closes, or
 * until it holds one complete answer per entry of `methods` (then it closes itself, as a
 * client does). `halfClose: true` half-closes right after writing: the request is cut
 * there. Otherwise, when nothing at all has come back after `quietMs`, it half-closes then
 * (the server may be waiting for the rest of a request that will never come).
 *
 * Output, one JSON line per case in the order they finished, then a summary line:
 *
 *   {"id":0,"done":1,"outcome":"closed","received":"<base64>","ms":3,"halfClosed":"no"}
 *   {"summary":true,"cases":1,"ms":40}
 *
 * outcome: "closed" (the server closed; received may be empty), "answered" (every answer
 * came; the fuzzer closed), "timeout" (neither within caseTimeoutMs), "error" (connect or
 * socket error before any byte came back; `code` says which).
 * halfClosed: "no", "at-once" (asked by the case) or "quiet" (after quietMs of silence).
 */
import { connect } from 'node:net'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'

interface Settings {
  readonly host: string
  readonly port: number
  readonly concurrency: number
  readonly caseTimeoutMs: number
  readonly quietMs: number
}

/** One connection's worth of bytes. */
export interface FuzzerCase {
  readonly id: number
  /** base64 */
  readonly chunks: readonly string[]
  /** The method of each complete request in `chunks`: how many answers to wait for, and which carry no body (HEAD). */
  readonly methods: readonly string[]
  readonly halfClose: boolean
}

export interface FuzzerReport {
  readonly id: number
  readonly done: number
  readonly outcome: 'closed' | 'answered' | 'timeout' | 'error'
  /** base64 */
  readonly received: string
  readonly ms: number
  readonly halfClosed: 'no' | 'at-once' | 'quiet'
  readonly code?: string
}

/** One HTTP answer read from raw bytes. */
export interface RawAnswer {
  readonly status: number
  /** Names in lower case. */
  readonly headers: ReadonlyMap<string, string>
  readonly body: Buffer
}

/** The complete answers at the start of `bytes` and what is left after them (an incomplete answer, or junk). */
export interface ParsedAnswers {
  readonly answers: RawAnswer[]
  readonly rest: Buffer
  /** Why `rest` is not the start of an answer, when it cannot be one. */
  readonly junk: string | null
}

const MAX_CONCURRENCY = 1000
const MAX_CASE_TIMEOUT_MS = 120_000

/**
 * Reads HTTP/1.1 answers with a Content-Length (what the ctl service sends) from raw
 * bytes. `methods[i]` is the method of the request answered i-th: a HEAD answer has no
 * body. Interim answers (100 Continue) are skipped.
 */
export function parseAnswers (bytes: Buffer, methods: readonly string[]): ParsedAnswers {
  const answers: RawAnswer[] = []
  let at = 0
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at)
    const statusLine = bytes.subarray(at, Math.min(bytes.length, at + 64)).toString('latin1').split('\r\n')[0] ?? ''
    if (!/^HTTP\/1\.1 \d{3} /.test(statusLine) && !'HTTP/1.1 '.startsWith(statusLine)) {
      return { answers, rest: bytes.subarray(at), junk: `not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}` }
    }
    if (headEnd < 0) break
    const [, ...lines] = bytes.subarray(at, headEnd).toString('latin1').split('\r\n')
    const status = Number(statusLine.slice(9, 12))
    const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
    if (status < 200) {
      at = headEnd + 4
      continue
    }
    const length = methods[answers.length] === 'HEAD' ? 0 : Number(headers.get('content-length'))
    if (!Number.isSafeInteger(length) || length < 0) {
      return { answers, rest: bytes.subarray(at), junk: `HTTP ${status} without a usable content-length (${String(headers.get('content-length'))})` }
    }
    if (headEnd + 4 + length > bytes.length) break
    answers.push({ status, headers, body: bytes.subarray(headEnd + 4, headEnd + 4 + length) })
    at = headEnd + 4 + length
  }
  return { answers, rest: bytes.subarray(at), junk: null }
}

async function main (): Promise<void> {
  const lines: string[] = []
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.trim() !== '') lines.push(line)
  }
  const [head, ...rest] = lines
  if (head === undefined) throw new Error('no settings line on stdin')
  const settings = JSON.parse(head) as Settings
  if (!(settings.concurrency >= 1 && settings.concurrency <= MAX_CONCURRENCY)) throw new Error(`concurrency must be 1..${MAX_CONCURRENCY}`)
  if (!(settings.caseTimeoutMs >= 1 && settings.caseTimeoutMs <= MAX_CASE_TIMEOUT_MS)) throw new Error(`caseTimeoutMs must be 1..${MAX_CASE_TIMEOUT_MS}`)
  const cases = rest.map((line) => JSON.parse(line) as FuzzerCase)
  const started = Date.now()
  let next = 0
  let done = 0
  // A fixed pool of workers, each taking the next case: at most `concurrency` connections.
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const item = cases[next++]
      if (item === undefined) return
      const report = await runCase(settings, item, () => ++done)
      process.stdout.write(JSON.stringify(report) + '\n')
    }
  }
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, cases.length) }, worker))
  process.stdout.write(JSON.stringify({ summary: true, cases: cases.length, ms: Date.now() - started }) + '\n')
}

// One connection: write every chunk, then read until every answer came or the server closed.
async function runCase (settings: Settings, item: FuzzerCase, finish: () => number): Promise<FuzzerReport> {
  const started = Date.now()
  return await new Promise((resolve) => {
    const received: Buffer[] = []
    let halfClosed: FuzzerReport['halfClosed'] = 'no'
    let settled = false
    const socket = connect({ host: settings.host, port: settings.port })
    const end = (outcome: FuzzerReport['outcome'], code?: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearTimeout(quiet)
      socket.destroy()
      const body = Buffer.concat(received).toString('base64')
      resolve({ id: item.id, done: finish(), outcome, received: body, ms: Date.now() - started, halfClosed, ...(code === undefined ? {} : { code }) })
    }
    const timer = setTimeout(() => end('timeout'), settings.caseTimeoutMs)
    let quiet: NodeJS.Timeout | undefined
    socket.setNoDelay(true)
    socket.on('connect', () => {
      for (const chunk of item.chunks) socket.write(Buffer.from(chunk, 'base64'))
      if (item.halfClose) {
        halfClosed = 'at-once'
        socket.end()
      } else {
        quiet = setTimeout(() => {
          if (received.length > 0 || settled) return
          halfClosed = 'quiet'
          socket.end()
        }, settings.quietMs)
      }
    })
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk)
      const parsed = parseAnswers(Buffer.concat(received), item.methods)
      // every answer came, or what came is no answer at all: either way, waiting adds nothing
      if (parsed.junk !== null || (item.methods.length > 0 && parsed.answers.length >= item.methods.length)) end('answered')
    })
    // A reset after bytes came back still counts as closed: what came back is what matters.
    socket.on('error', (error: Error & { code?: string }) => {
      if (received.length > 0) end('closed')
      else end('error', error.code ?? error.message)
    })
    socket.on('close', () => end('closed'))
  })
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`ctl-fuzzer: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  })
}
