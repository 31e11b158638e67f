/**
 * Tells the operator: every notice goes to the log and, when mon_url is set, to mon at once
 * (mon-notices.ts: a few posts at a time); with mail_to set, the ones worth a mail go out by
 * e-mail through the rate limit.
 * Invariants: notify() never throws and never waits (the caller is a health check or
 * keepalived's log); mails go out one at a time, each bounded by the SMTP timeouts; a failed
 * mail or mon post is logged with its reason, and the notice is still in the log.
 */
import type { MailSettings, Properties } from '../properties/model.js'
import { reasonOf, type PostJson } from '../counters/push.js'
import type { Log } from '../model/log.js'
import { MailThrottle } from './mail-throttle.js'
import { MonNotices } from './mon-notices.js'
import { isMailed, isUrgent, noticeDocument, noticeKey, noticeLine, noticeMail, noticesTogetherMail, urgentAhead, type NodeIdentity, type Notice } from './notice.js'
import type { RecentNotices } from './recent-notices.js'
import type { SendMail } from './smtp.js'

export interface NotifierDeps {
  readonly log: Log
  readonly sendMail: SendMail
  readonly postJson: PostJson
  /** This host's name: in every mail, and the default sender's domain. */
  readonly host: string
  readonly now?: () => number
  /** Keeps the last hour's notices for the console (`/api/notices`). */
  readonly recent?: RecentNotices
}

// mails wait in line behind a slow relay; past this many, those waiting go out together (waitingMails)
export const MAX_WAITING_MAILS = 20

/** A mail waiting for the relay: its notices, and whether they were merged from several mails. */
export interface WaitingMail {
  readonly items: readonly Notice[]
  readonly settings: MailSettings
  readonly together: boolean
}

export class Notifier {
  readonly #deps: NotifierDeps
  readonly #now: () => number
  readonly #mon: MonNotices
  #mail: MailSettings | null = null
  #monUrl = ''
  #mode = ''
  #address = ''
  #throttle: MailThrottle<Notice> | null = null
  #timer: NodeJS.Timeout | null = null
  #line: Promise<void> = Promise.resolve()
  // the mails not yet handed to the relay, in the order they go; one is with the relay while #sending
  #waiting: WaitingMail[] = []
  #sending = false
  #sent = 0

  constructor (deps: NotifierDeps) {
    this.#deps = deps
    this.#now = deps.now ?? Date.now
    this.#mon = new MonNotices({ postJson: deps.postJson, warn: (line) => { deps.log.warn(line) }, now: this.#now })
  }

  /** Mails handed to the relay so far. */
  get mailsSent (): number {
    return this.#sent
  }

  /** Follows mail_* and mon_url across reloads; a new mail_hold sends what was held under the old one. */
  configure (properties: Pick<Properties, 'mail' | 'monUrl' | 'mode' | 'ha' | 'ctlAddr'>): void {
    this.#monUrl = properties.monUrl
    this.#mode = properties.mode
    // in a pair ctl_addr is the node's own address (or every address, which names nothing)
    this.#address = properties.ha === null || properties.ctlAddr === '0.0.0.0' || properties.ctlAddr === '::' ? '' : properties.ctlAddr
    const before = this.#mail
    this.#mail = properties.mail
    if (before?.holdSeconds !== properties.mail?.holdSeconds) {
      this.#sendBatches(this.#throttle?.drain() ?? [])
      this.#throttle = properties.mail === null ? null : new MailThrottle(properties.mail.holdSeconds * 1000)
      this.#arm()
    }
  }

  notify (notice: Notice): void {
    const line = noticeLine(notice)
    this.#deps.recent?.add(notice)
    if (notice.kind !== 'role' && notice.state === 'up') this.#deps.log.info(`notice: ${line}`)
    else if (notice.kind === 'service') this.#deps.log.error(`notice: ${line}`)
    else this.#deps.log.warn(`notice: ${line}`)
    if (this.#monUrl !== '') this.#mon.post(notice, this.#monUrl, JSON.stringify(noticeDocument(notice, this.#node())))
    const throttle = this.#throttle
    if (throttle === null || !isMailed(notice)) return
    if (throttle.offer(noticeKey(notice), notice, this.#now()) === 'send') this.#sendBatches([{ items: [notice] }])
    else this.#arm()
  }

  /** Sends what the rate limit still holds, then waits for the mails in line (each bounded by the SMTP timeouts). */
  async stop (): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    this.#sendBatches(this.#throttle?.drain() ?? [])
    this.#throttle = null
    await this.#line
  }

  #node (): NodeIdentity {
    return { host: this.#deps.host, address: this.#address, mode: this.#mode }
  }

  // one timer, for the earliest held batch
  #arm (): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    const due = this.#throttle?.nextDue() ?? null
    if (due === null) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#sendBatches(this.#throttle?.due(this.#now()) ?? [])
      this.#arm()
    }, Math.max(0, due - this.#now())).unref()
  }

  #sendBatches (batches: ReadonlyArray<{ items: readonly Notice[] }>): void {
    const settings = this.#mail
    if (settings === null || batches.length === 0) return
    for (const { items } of batches) this.#waiting = waitingMails(this.#waiting, { items, settings, together: false })
    if (!this.#sending) this.#line = this.#sendWaiting()
  }

  // one mail at a time, each bounded by the SMTP timeouts, until none waits
  async #sendWaiting (): Promise<void> {
    this.#sending = true
    try {
      for (let next = this.#waiting.shift(); next !== undefined; next = this.#waiting.shift()) await this.#sendMail(next)
    } finally {
      this.#sending = false
    }
  }

  async #sendMail ({ items, settings, together }: WaitingMail): Promise<void> {
    const { subject, text } = together ? noticesTogetherMail(items, this.#node()) : noticeMail(items, this.#node())
    const mail = { from: settings.from === '' ? `l3lb@${this.#deps.host}` : settings.from, to: settings.to, subject, text }
    try {
      await this.#deps.sendMail(settings.server, mail)
      this.#sent += 1
      this.#deps.log.info(`e-mail notice sent to ${settings.to.join(', ')}: ${subject}`)
    } catch (error) {
      this.#deps.log.error(`e-mail notice to ${settings.to.join(', ')} through ${relay(settings)} failed: ${reasonOf(error)} (subject: ${subject})`)
    }
  }
}

function relay (settings: MailSettings): string {
  const { host, port } = settings.server
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/**
 * Pure: the mails waiting for the relay with `mail` added. An outage's or a role's goes ahead of
 * every server's and output's that waits (it says more; each keeps its order otherwise). Past
 * MAX_WAITING_MAILS, the servers' and outputs' mails that wait become one mail, and if the
 * outages alone are still too many, theirs become one too: nothing is dropped, and the relay
 * is never asked for hundreds of mails when a back end shared by many services dies.
 */
export function waitingMails (waiting: readonly WaitingMail[], mail: WaitingMail): WaitingMail[] {
  const urgent = (entry: WaitingMail): boolean => entry.items.some(isUrgent)
  const next = urgentAhead(waiting, mail, urgent)
  if (next.length <= MAX_WAITING_MAILS) return next
  const together = (entries: readonly WaitingMail[]): WaitingMail[] => {
    const last = entries.at(-1)
    return last === undefined ? [] : [{ items: entries.flatMap((entry) => entry.items), settings: last.settings, together: true }]
  }
  const first = next.filter(urgent)
  const rest = together(next.filter((entry) => !urgent(entry)))
  return first.length + rest.length <= MAX_WAITING_MAILS ? [...first, ...rest] : [...together(first), ...rest]
}
