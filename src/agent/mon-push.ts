/** The mon terminal's push: on while `mon_url` is set, following it across reloads. */
import type { CountersDocument } from '../counters/model.js'
import { CountersPush } from '../counters/push.js'
import { L3lbError } from '../errors.js'
import type { Properties } from '../properties/model.js'
import type { Log } from '../model/log.js'

export class MonPush {
  readonly #read: () => Promise<CountersDocument>
  readonly #log: Log
  #push: CountersPush | null = null

  constructor (read: () => Promise<CountersDocument>, log: Log) {
    this.#read = read
    this.#log = log
  }

  /** Starts, moves or stops the push for these properties; throws the seed's L3LB_COUNTERS_START when it cannot start. */
  async configure (properties: Pick<Properties, 'monUrl' | 'monInterval'>): Promise<void> {
    const { monUrl, monInterval } = properties
    if (monUrl === '') {
      await this.stop()
      return
    }
    try {
      if (this.#push === null) {
        this.#push = new CountersPush({ url: monUrl, intervalSeconds: monInterval, read: this.#read, log: this.#log })
        this.#push.start()
        this.#log.info(`mon: pushing the counters every ${monInterval} s`)
      } else {
        this.#push.configure(monUrl, monInterval)
      }
    } catch (cause) {
      throw new L3lbError('L3LB_COUNTERS_START', `could not initialize statistics reporting: ${(cause as Error).message}`, { cause })
    }
  }

  async stop (): Promise<void> {
    const push = this.#push
    this.#push = null
    await push?.stop()
  }
}
