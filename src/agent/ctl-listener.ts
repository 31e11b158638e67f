/** The listening ctl service, which a reload may move to another address, port or token. */
import type { FastifyInstance } from 'fastify'
import { buildCtlApp } from '../ctl/app.js'
import type { ConsoleSources, CtlController, HaController } from '../ctl/controller.js'
import type { ManagementController } from '../ctl/services-routes.js'
import { L3lbError } from '../errors.js'
import type { Properties } from '../properties/model.js'

type CtlSettings = Pick<Properties, 'ctlAddr' | 'ctlPort' | 'ctlToken'> & { readonly ha?: Properties['ha'] }

export class CtlListener {
  readonly #controller: CtlController
  readonly #ha: HaController | undefined
  readonly #management: ManagementController | undefined
  readonly #console: ConsoleSources | undefined
  #app: FastifyInstance | null = null
  #settings: CtlSettings | null = null

  /**
   * `ha` serves /api/admin, /api/sync and the role while the settings have ha_vip; `management` the API of SPEC §12;
   * `consoleSources` the web console and what it reads (/api/notices, /api/rates).
   */
  constructor (controller: CtlController, ha?: HaController, management?: ManagementController, consoleSources?: ConsoleSources) {
    this.#controller = controller
    this.#ha = ha
    this.#management = management
    this.#console = consoleSources
  }

  /** Listens with these settings; throws L3LB_CTL_LISTEN (the seed's message) when it cannot. */
  async listen (settings: CtlSettings): Promise<void> {
    this.#app = await this.#open(settings)
    this.#settings = settings
  }

  /**
   * Moves the service to new settings, keeping the old listener until the new one is up
   * where both can coexist. Returns how to undo it; null when nothing changes.
   */
  async change (settings: CtlSettings): Promise<(() => Promise<void>) | null> {
    const before = this.#settings
    const old = this.#app
    if (before === null || old === null || sameSettings(before, settings)) return null
    const sameSocket = before.ctlAddr === settings.ctlAddr && before.ctlPort === settings.ctlPort
    // one address and port cannot be bound twice: a token change briefly closes the port
    if (sameSocket) await old.close()
    let next: FastifyInstance
    try {
      next = await this.#open(settings)
    } catch (error) {
      if (sameSocket) this.#app = await this.#open(before)
      throw error
    }
    if (!sameSocket) await old.close()
    this.#app = next
    this.#settings = settings
    return async () => {
      await next.close()
      this.#app = await this.#open(before)
      this.#settings = before
    }
  }

  async close (): Promise<void> {
    await this.#app?.close()
    this.#app = null
  }

  async #open (settings: CtlSettings): Promise<FastifyInstance> {
    const ha = settings.ha !== undefined && settings.ha !== null ? this.#ha : undefined
    const management = this.#management
    const consoleSources = this.#console
    const app = buildCtlApp({
      controller: this.#controller,
      token: settings.ctlToken,
      ...(ha === undefined ? {} : { ha }),
      ...(management === undefined ? {} : { management }),
      ...(consoleSources === undefined ? {} : { console: consoleSources })
    })
    try {
      await app.listen({ host: settings.ctlAddr, port: settings.ctlPort })
    } catch (cause) {
      await app.close().catch(() => undefined)
      throw new L3lbError('L3LB_CTL_LISTEN', `could not initialize control web service interface on ${settings.ctlAddr}:${settings.ctlPort}: ${(cause as Error).message}`, { cause })
    }
    return app
  }
}

function sameSettings (a: CtlSettings, b: CtlSettings): boolean {
  return a.ctlAddr === b.ctlAddr && a.ctlPort === b.ctlPort && a.ctlToken === b.ctlToken && ((a.ha ?? null) === null) === ((b.ha ?? null) === null)
}
