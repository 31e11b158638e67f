/**
 * Tells the operator: every notice goes to the log and, when mon_url is set, to mon at once;
 * with mail_to set, the ones worth a mail go out by e-mail through the rate limit.
 * Invariants: notify() never throws and never waits (the caller is a health check or
 * keepalived's log); mails go out one at a time, each bounded by the SMTP timeouts; a failed
 * mail or mon post is logged with its reason, and the notice is still in the log.
 */
import type { MailSettings, Properties } from '../properties/model.js'
import { reasonOf, shown, type PostJson } from '../counters/push.js'
import type { Log } from '../model/log.js'
import { MailThrottle } from './mail-throttle.js'
import { isMailed, noticeDocument, noticeKey, noticeLine, noticeMail, type NodeIdentity, type Notice } from './notice.js'
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

const MON_TIMEOUT_MS = 5000
// mails wait in line behind a slow relay; past this many a notice is logged as not mailed
const MAX_QUEUED_MAILS = 20

export class Notifier {
  readonly #deps: NotifierDeps
  readonly #now: () => number
  #mail: MailSettings | null = null
  #monUrl = ''
  #mode = ''
  #address = ''
  #throttle: MailThrottle<Notice> | null = null
  #timer: NodeJS.Timeout | null = null
  #line: Promise<void> = Promise.resolve()
  #queued = 0
  #sent = 0

  constructor (deps: NotifierDeps) {
    this.#deps = deps
    this.#now = deps.now ?? Date.now
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
    if (this.#monUrl !== '') this.#postToMon(notice, this.#monUrl)
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
    if (settings === null) return
    for (const { items } of batches) {
      const { subject, text } = noticeMail(items, this.#node())
      if (this.#queued >= MAX_QUEUED_MAILS) {
        this.#deps.log.error(`e-mail notice not sent: ${MAX_QUEUED_MAILS} mails already wait for ${relay(settings)}: ${subject}`)
        continue
      }
      this.#queued += 1
      const mail = { from: settings.from === '' ? `l3lb@${this.#deps.host}` : settings.from, to: settings.to, subject, text }
      this.#line = this.#line.then(async () => {
        try {
          await this.#deps.sendMail(settings.server, mail)
          this.#sent += 1
          this.#deps.log.info(`e-mail notice sent to ${settings.to.join(', ')}: ${subject}`)
        } catch (error) {
          this.#deps.log.error(`e-mail notice to ${settings.to.join(', ')} through ${relay(settings)} failed: ${reasonOf(error)} (subject: ${subject})`)
        } finally {
          this.#queued -= 1
        }
      })
    }
  }

  #postToMon (notice: Notice, url: string): void {
    const body = JSON.stringify(noticeDocument(notice, this.#node()))
    this.#deps.postJson(url, body, AbortSignal.timeout(MON_TIMEOUT_MS)).then((status) => {
      if (status >= 300) this.#deps.log.warn(`notice to mon at ${shown(url)} was answered ${status}`)
    }, (error: unknown) => {
      this.#deps.log.warn(`notice to mon at ${shown(url)} failed: ${reasonOf(error)}`)
    })
  }
}

function relay (settings: MailSettings): string {
  const { host, port } = settings.server
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
