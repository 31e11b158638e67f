import { describe, it, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CountersPush, cronExpression, defaultTimeoutMs, type PushLog } from '../../../src/counters/push.js'
import type { CountersDocument } from '../../../src/counters/model.js'

interface Arrival {
  readonly at: number
  readonly method: string
  readonly path: string
  readonly contentType: string | undefined
  readonly body: string
}

type Behaviour = 'answer' | 'hang' | 'fail'

/** A mon receiver on 127.0.0.1: answers 204, never answers, or answers 503. */
class Receiver {
  behaviour: Behaviour = 'answer'
  readonly arrivals: Arrival[] = []
  /** How long each request that was never answered stayed open. */
  readonly hungFor: number[] = []
  open = 0
  maxOpen = 0

  private readonly server: Server = createServer((request, response) => this.take(request, response))

  static async start (port = 0): Promise<Receiver> {
    const receiver = new Receiver()
    await new Promise<void>((resolve, reject) => {
      receiver.server.once('error', reject)
      receiver.server.listen(port, '127.0.0.1', resolve)
    })
    return receiver
  }

  get url (): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/mon/l3lb`
  }

  async close (): Promise<void> {
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }

  private take (request: IncomingMessage, response: ServerResponse): void {
    const at = Date.now()
    this.open += 1
    this.maxOpen = Math.max(this.maxOpen, this.open)
    const behaviour = this.behaviour
    response.on('close', () => {
      this.open -= 1
      if (behaviour === 'hang') this.hungFor.push(Date.now() - at)
    })
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => { body += chunk })
    request.on('end', () => {
      this.arrivals.push({ at, method: request.method ?? '', path: request.url ?? '', contentType: request.headers['content-type'], body })
      if (behaviour === 'answer') response.writeHead(204).end()
      if (behaviour === 'fail') response.writeHead(503).end('busy')
    })
  }
}

/** The push's log, kept. */
class Lines implements PushLog {
  readonly infos: string[] = []
  readonly warns: string[] = []

  info (message: string): void {
    this.infos.push(message)
  }

  warn (message: string): void {
    this.warns.push(message)
  }
}

const DOCUMENT: CountersDocument = { group: 'L3LB', counters: { out1_status: 0, out1_sessions: 3, sessions_active: 3, errors: 1 } }

async function readDocument (): Promise<CountersDocument> {
  return DOCUMENT
}

// Polls until `done` holds; fails the test past `withinMs` instead of hanging.
async function waitUntil (what: string, done: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${withinMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

// A port on 127.0.0.1 that nothing listens on: taken from the kernel, then let go.
async function closedPort (): Promise<number> {
  const receiver = await Receiver.start()
  const port = Number(new URL(receiver.url).port)
  await receiver.close()
  return port
}

test('cron expressions only for intervals that divide the clock evenly', () => {
  assert.equal(cronExpression(1), '*/1 * * * * *')
  assert.equal(cronExpression(10), '*/10 * * * * *')
  assert.equal(cronExpression(30), '*/30 * * * * *')
  assert.equal(cronExpression(60), '0 */1 * * * *')
  assert.equal(cronExpression(300), '0 */5 * * * *')
  assert.equal(cronExpression(3600), '0 0 */1 * * *')
  assert.equal(cronExpression(21600), '0 0 */6 * * *')
  assert.equal(cronExpression(86400), '0 0 */24 * * *')
  for (const uneven of [7, 45, 61, 90, 420, 5400, 25200]) assert.equal(cronExpression(uneven), undefined, String(uneven))
})

test('the default bound on a push is the interval, at most 5 s', () => {
  assert.equal(defaultTimeoutMs(1), 1000)
  assert.equal(defaultTimeoutMs(4), 4000)
  assert.equal(defaultTimeoutMs(10), 5000)
})

test('an interval outside 1..86400 whole seconds is refused', () => {
  const log = new Lines()
  for (const bad of [0, -1, 1.5, 86401, Number.NaN]) {
    assert.throws(() => new CountersPush({ url: 'http://127.0.0.1:9/', intervalSeconds: bad, read: readDocument, log }), RangeError, String(bad))
  }
})

// Each waits on real time; they run side by side so the file takes seconds, not half a minute.
describe('CountersPush over HTTP on 127.0.0.1', { concurrency: true }, () => {
  it('pushes arrive as JSON POSTs about every interval', async (t) => {
    const receiver = await Receiver.start()
    t.after(() => receiver.close())
    const log = new Lines()
    const push = new CountersPush({ url: receiver.url, intervalSeconds: 1, read: readDocument, log })
    t.after(() => push.stop())
    push.start()
    push.start()
    // Counted as sent once the answer is back, a moment after the receiver saw the request.
    await waitUntil('three pushes answered', () => push.stats().sent >= 3, 5000)
    await push.stop()
    for (const arrival of receiver.arrivals) {
      assert.equal(arrival.method, 'POST')
      assert.equal(arrival.path, '/mon/l3lb')
      assert.equal(arrival.contentType, 'application/json')
      assert.deepEqual(JSON.parse(arrival.body), DOCUMENT)
    }
    const gaps = receiver.arrivals.slice(1).map((arrival, at) => arrival.at - (receiver.arrivals[at]?.at ?? 0))
    for (const gap of gaps) assert.ok(gap > 700 && gap < 1500, `pushes about 1 s apart (start() twice schedules once), got ${gaps.join(', ')} ms`)
    assert.equal(push.stats().failed, 0)
    assert.equal(push.stats().sent, receiver.arrivals.length)
    assert.deepEqual(log, new Lines())
  })

  it('a receiver that never answers: each push is cut at the timeout, one at a time, one warn, then one info', async (t) => {
    const receiver = await Receiver.start()
    t.after(() => receiver.close())
    receiver.behaviour = 'hang'
    const log = new Lines()
    // A bound longer than the interval, so ticks find a push in flight and must skip.
    const push = new CountersPush({ url: receiver.url, intervalSeconds: 1, read: readDocument, log, timeoutMs: 1500 })
    t.after(() => push.stop())
    push.start()
    await waitUntil('three pushes cut at the timeout', () => receiver.hungFor.length >= 3, 9000)
    assert.equal(receiver.maxOpen, 1, 'never more than one push in flight')
    for (const open of receiver.hungFor) assert.ok(open >= 1000 && open < 2500, `cut at about 1500 ms, got ${receiver.hungFor.join(', ')} ms`)
    const { failed, skipped } = push.stats()
    assert.ok(failed >= 3 && skipped >= 2, `failed ${failed}, skipped ${skipped}`)
    assert.equal(log.warns.length, 1, log.warns.join('\n'))
    assert.match(log.warns[0] ?? '', /^mon push to http:\/\/127\.0\.0\.1:\d+\/mon\/l3lb failed: no answer within 1500 ms; further failures are not logged until a push succeeds$/)
    assert.deepEqual(log.infos, [])

    receiver.behaviour = 'answer'
    await waitUntil('the push to recover', () => log.infos.length > 0, 5000)
    assert.match(log.infos[0] ?? '', /^mon push to http:\/\/127\.0\.0\.1:\d+\/mon\/l3lb works again after \d+ failed pushes and \d+ skipped while one was pending$/)
    const counted = /after (\d+) failed pushes and (\d+) skipped/.exec(log.infos[0] ?? '')
    assert.ok(Number(counted?.[1]) >= 3 && Number(counted?.[2]) >= 2)
    const sent = push.stats().sent
    await waitUntil('another push', () => push.stats().sent > sent, 3000)
    assert.equal(log.warns.length, 1)
    assert.equal(log.infos.length, 1)
    assert.equal(receiver.maxOpen, 1)
  })

  it('a refused connection: one warn naming the cause, however many ticks, then one info', async (t) => {
    const port = await closedPort()
    const log = new Lines()
    const push = new CountersPush({ url: `http://127.0.0.1:${port}/mon`, intervalSeconds: 1, read: readDocument, log })
    t.after(() => push.stop())
    push.start()
    await waitUntil('three refused pushes', () => push.stats().failed >= 3, 6000)
    assert.equal(log.warns.length, 1, log.warns.join('\n'))
    assert.match(log.warns[0] ?? '', new RegExp(`^mon push to http://127\\.0\\.0\\.1:${port}/mon failed: fetch failed: connect ECONNREFUSED 127\\.0\\.0\\.1:${port};`))
    assert.deepEqual(log.infos, [])

    const receiver = await Receiver.start(port)
    t.after(() => receiver.close())
    await waitUntil('a push to arrive', () => receiver.arrivals.length > 0, 3000)
    await waitUntil('the info line', () => log.infos.length > 0, 1000)
    assert.match(log.infos[0] ?? '', /works again after \d+ failed pushes$/)
    assert.equal(log.warns.length, 1)
  })

  it('an HTTP error answer and a failed read are failures too, logged once each outage', async (t) => {
    const receiver = await Receiver.start()
    t.after(() => receiver.close())
    receiver.behaviour = 'fail'
    const log = new Lines()
    let readFails = false
    const read = async (): Promise<CountersDocument> => {
      if (readFails) throw new Error('the HAProxy socket did not answer')
      return DOCUMENT
    }
    const push = new CountersPush({ url: receiver.url, intervalSeconds: 1, read, log })
    t.after(() => push.stop())
    push.start()
    await waitUntil('two refused pushes', () => push.stats().failed >= 2, 5000)
    assert.equal(log.warns.length, 1)
    assert.match(log.warns[0] ?? '', /failed: the receiver answered HTTP 503;/)
    receiver.behaviour = 'answer'
    await waitUntil('recovery', () => log.infos.length === 1, 3000)

    readFails = true
    const arrived = receiver.arrivals.length
    await waitUntil('a failed read', () => log.warns.length === 2, 3000)
    assert.match(log.warns[1] ?? '', /failed: could not read the counters: the HAProxy socket did not answer;/)
    assert.equal(receiver.arrivals.length, arrived, 'nothing is sent when the counters cannot be read')
  })

  it('stop() with a push in flight aborts it and returns at once; nothing is pushed after', async (t) => {
    const receiver = await Receiver.start()
    t.after(() => receiver.close())
    receiver.behaviour = 'hang'
    const log = new Lines()
    const push = new CountersPush({ url: receiver.url, intervalSeconds: 1, read: readDocument, log, timeoutMs: 30_000 })
    push.start()
    await waitUntil('a push in flight', () => receiver.open === 1, 3000)
    assert.equal(push.stats().inFlight, true)
    const began = Date.now()
    await push.stop()
    assert.ok(Date.now() - began < 300, `stop() took ${Date.now() - began} ms`)
    assert.equal(push.stats().inFlight, false)
    await waitUntil('the receiver to see the request end', () => receiver.open === 0, 1000)
    await sleep(1300)
    assert.equal(receiver.arrivals.length, 1)
    assert.deepEqual(log, new Lines(), 'a push cut short by stop() is not a failure')
    await push.stop()
  })

  it('stop() during an outage closes it with an info line', async (t) => {
    const port = await closedPort()
    const log = new Lines()
    const push = new CountersPush({ url: `http://127.0.0.1:${port}/`, intervalSeconds: 1, read: readDocument, log })
    t.after(() => push.stop())
    push.start()
    await waitUntil('a refused push', () => log.warns.length === 1, 3000)
    await push.stop()
    assert.equal(log.infos.length, 1)
    assert.match(log.infos[0] ?? '', /^mon push to http:\/\/127\.0\.0\.1:\d+\/ stopped during an outage of \d+ failed push(es)?$/)
  })

  it('configure() moves the push to a new mon_url; the old outage gets its closing line', async (t) => {
    const port = await closedPort()
    const receiver = await Receiver.start()
    t.after(() => receiver.close())
    const log = new Lines()
    const push = new CountersPush({ url: `http://user:secret@127.0.0.1:${port}/old?token=abc`, intervalSeconds: 1, read: readDocument, log })
    t.after(() => push.stop())
    push.start()
    await waitUntil('a refused push', () => log.warns.length === 1, 3000)
    push.configure(receiver.url, 2)
    assert.equal(log.infos.length, 1)
    assert.match(log.infos[0] ?? '', new RegExp(`^mon push: mon_url changed to http://127\\.0\\.0\\.1:\\d+/mon/l3lb, ending an outage of 1 failed push to http://127\\.0\\.0\\.1:${port}/old$`))
    await waitUntil('two pushes to the new URL', () => receiver.arrivals.length >= 2, 6000)
    const [first, second] = receiver.arrivals
    const gap = (second?.at ?? 0) - (first?.at ?? 0)
    assert.ok(gap > 1700 && gap < 2500, `the new interval of 2 s, got ${gap} ms`)
    assert.equal(log.warns.length, 1)
    assert.doesNotMatch([...log.warns, ...log.infos].join('\n'), /secret|token=abc/, 'credentials and query are never logged')
  })

  it('an interval that is no clean cron step runs on a plain timer', async (t) => {
    const receiver = await Receiver.start()
    t.after(() => receiver.close())
    const push = new CountersPush({ url: receiver.url, intervalSeconds: 7, read: readDocument, log: new Lines() })
    t.after(() => push.stop())
    const began = Date.now()
    push.start()
    await waitUntil('the first push', () => receiver.arrivals.length === 1, 9000)
    const after = (receiver.arrivals[0]?.at ?? 0) - began
    assert.ok(after > 6500 && after < 8000, `first push 7 s after start(), got ${after} ms`)
  })
})
