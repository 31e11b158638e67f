/**
 * The agent process: boot steps in order, SIGHUP, and shutdown of everything it started.
 * Boot order: properties -> limits -> saved state -> folders -> HAProxy -> ctl.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { hostname } from 'node:os'
import { L3lbError } from '../errors.js'
import { RuntimeApi } from '../haproxy/runtime-api.js'
import { HaproxyLogLines } from '../haproxy/log-lines.js'
import { HaproxySupervisor } from '../haproxy/supervisor.js'
import { Keepalived, type VrrpState } from '../ha/keepalived.js'
import { Conntrackd } from '../ha/conntrackd.js'
import { allowNonlocalBind } from '../ha/nonlocal-bind.js'
import { PairSync, httpPeer, httpPeerPost, peerCtlUrl } from '../ha/sync.js'
import { localPeerName } from '../render/haproxy-config.js'
import { ChangeQueue } from '../reconcile/change-queue.js'
import { Reconciler } from '../reconcile/reconciler.js'
import { loadAdminState } from '../state/admin-store.js'
import { desiredState } from '../state/desired.js'
import { appliancePaths } from '../state/paths.js'
import { CountersCollector } from '../counters/collector.js'
import { readListenBacklog } from '../counters/listen-backlog.js'
import { loadKeptCounters, saveKeptCounters } from '../counters/kept-store.js'
import { countersDocument } from '../counters/model.js'
import { postJson } from '../counters/push.js'
import { Notifier } from '../notify/notifier.js'
import { RecentNotices } from '../notify/recent-notices.js'
import { SessionRates } from '../counters/session-rates.js'
import { OutputWatch } from '../notify/output-watch.js'
import { healthNotice, type RoleNotice } from '../notify/notice.js'
import { sendMail } from '../notify/smtp.js'
import { sortedKeys } from '../state/server-key.js'
import type { CtlController } from '../ctl/controller.js'
import { icmpProbe } from '../health/icmp-probe.js'
import { udpProbe } from '../health/udp-probe.js'
import { sipProbe } from '../health/sip-probe.js'
import { enableForwarding } from '../netfilter/forwarding.js'
import { forgetFlowsTo, forgetServiceFlows, listUdpFlows } from '../netfilter/conntrack.js'
import { applyRules, removeRules } from '../netfilter/rules.js'
import type { Netfilter } from '../reconcile/reconciler.js'
import { runsHaproxy } from '../properties/service-file.js'
import { Appliance } from './appliance.js'
import { MonPush } from './mon-push.js'
import { OutputChecks } from './output-checks.js'
import { CtlListener } from './ctl-listener.js'
import { configurationFrom, limitsFor, readEnvEntries, readServiceFiles, servicesFolder, type LoadedConfiguration } from './boot.js'
import { defaultService, fileServices } from '../properties/configuration.js'
import { serviceJson } from '../properties/service-json.js'
import type { ManagementController } from '../ctl/services-routes.js'
import { ServiceEdits } from './service-edits.js'
import type { Service } from '../properties/model.js'
import { applyAllOrNothing } from './all-or-nothing.js'
import { reconfigureSteps } from './reconfigure-steps.js'
import { describeDifferences, describeServiceFileChanges, effectiveEntries, pairServicesOf, pairSettingsOf, servicesOf, settingsDifferences, type PairServices, type PairSettings } from '../properties/pair-settings.js'
import type { ServiceFileEntries } from '../properties/service-file.js'
import { writeServiceFiles } from '../state/service-files-store.js'
import { loadPairSettings, modifiedAtMs, savePairSettings } from '../state/pair-settings-store.js'
import type { ReconcileAction } from '../reconcile/reconciler.js'
import type { Log } from '../model/log.js'

export interface AgentOptions {
  readonly envFile: string
  readonly env: NodeJS.ProcessEnv
  readonly log: Log
  /** The haproxy program; `haproxy` from PATH by default. */
  readonly haproxyBinary?: string
  /** The keepalived program (ha_vip); `keepalived` from PATH by default. */
  readonly keepalivedBinary?: string
}

export interface RunningAgent {
  readonly appliance: Appliance
  /** Re-reads the env file and applies it; a bad file keeps what runs and throws why. */
  reload (): Promise<void>
  /** Stops the checks, the ctl service and HAProxy, and removes l3lb's rules. */
  stop (): Promise<void>
}

/** Boots the appliance; on failure stops what it had started and throws an L3lbError. */
export async function startAgent (options: AgentOptions): Promise<RunningAgent> {
  const { log, envFile } = options
  const paths = appliancePaths(options.env)
  const file = await readEnvEntries(envFile)
  // (HA) the pair's settings this node ran last, when newer than its own file
  const saved = await loadPairSettings(paths.pairSettingsFile, (message) => log.warn(message))
  const followSaved = saved !== null && await fileOlderThanPairSettings()
  let runningEntries = effectiveEntries(file.entries, saved?.settings ?? null, followSaved)
  const bootServiceFiles = await readServiceFiles(servicesFolder(envFile, runningEntries))
  const { configuration, warnings } = configurationFrom(runningEntries, file.problems, envFile, bootServiceFiles)
  // (HA) the service files this node runs: the pair's settings carry them
  let runningServices = pairServicesOf(bootServiceFiles)
  const { properties } = configuration
  const services = fileServices(configuration)
  for (const warning of warnings) log.warn(warning)
  const followed = saved === null || properties.ha === null || !followSaved ? [] : settingsDifferences(file.entries, saved.settings)
  if (followed.length > 0) log.warn(`the pair's settings this node last ran are newer than ${envFile} and run: ${describeDifferences(followed)}`)
  log.info(`properties read from ${envFile}: mode ${properties.mode}, ${properties.outputs.length} connected output(s)${describeServices(services)}`)
  const limits = await limitsFor(properties, services)
  log.info(`limits: ${limits.memoryBytes} bytes of memory, ${limits.cpus} CPU(s), max_connections ${limits.maxConnections}, nbthread ${limits.nbthread}, maxpipes ${limits.maxPipes}`)
  await makeFolders(paths.runtimeDir, paths.stateDir)
  const { disabled, draining } = await loadAdminState(paths.adminStateFile)
  const kept = await loadKeptCounters(paths.keptCountersFile)
  if (disabled.size > 0) log.info(`outputs disabled through ctl before: ${[...disabled].join(', ')}`)
  if (draining.size > 0) log.info(`servers draining through ctl before: ${[...draining].join(', ')}`)

  // the worker ending on a stop the agent asked for is routine, not an alert
  const haproxyLines = new HaproxyLogLines(() => supervisor.stopping)
  const supervisor = new HaproxySupervisor({
    configFile: paths.configFile,
    masterSocket: paths.masterSocket,
    pidFile: paths.pidFile,
    binary: options.haproxyBinary,
    // the master keeps this name for its life: an HA pair names each node after its peers address
    localPeerName: localPeerName(properties),
    onLine: (line) => {
      const taken = haproxyLines.take(line)
      if (taken !== null) log[taken.level](`haproxy: ${taken.line}`)
    }
  }, log)
  // the last hour's notices, for the web console
  const recent = new RecentNotices()
  const notifier = new Notifier({ log, sendMail, postJson, host: hostname(), recent })
  const keepalived = new Keepalived({
    runtimeDir: paths.runtimeDir,
    statsSocket: paths.statsSocket,
    binary: options.keepalivedBinary,
    log,
    onState: (state, previous) => {
      const notice = roleNotice(state, previous, appliance.desired.properties.ha?.virtualAddresses ?? [])
      if (notice !== null) notifier.notify(notice)
      if (state === 'MASTER' && previous !== 'MASTER') {
        warnOfStaleFile().catch((error: unknown) => log.warn(`${envFile} could not be compared with the pair's settings: ${(error as Error).message}`))
      }
    }
  })
  // (HA, udp_roundrobin) keeps the UDP flows' translations on the peer; keepalived's notify tells it the role
  const conntrackd = new Conntrackd({ runtimeDir: paths.runtimeDir, log })
  const peerName = localPeerName(properties)
  const runtime = new RuntimeApi(paths.statsSocket)
  let collector: CountersCollector | null = null
  // every change to the system, whoever asks for it, is one job of this queue (its invariants are at its top)
  const changes = new ChangeQueue()
  const reconciler = new Reconciler({
    supervisor,
    runtime,
    log,
    binary: options.haproxyBinary,
    netfilter: hostNetfilter,
    beforeReload: async () => { await collector?.beforeReload() }
  })
  const appliance = new Appliance(desiredState(properties, limits, disabled, paths, [], services, draining), reconciler, runtime, changes)
  const checks = new OutputChecks({
    probe: icmpProbe(),
    // (SPEC §14) the UDP kinds that see the service; HAProxy runs the TCP ones
    probeFor: (check) => check.kind === 'sip' ? sipProbe(check) : check.kind === 'udp' ? udpProbe(check) : icmpProbe(),
    log,
    onChange: (output, health) => {
      appliance.setHealth(output, health).catch((error: unknown) => log.error(`${output} is ${health}, but the rules could not follow: ${(error as Error).message}`))
    }
  })
  collector = new CountersCollector({
    readStats: () => runtime.statWithWorker(),
    listenBacklog: () => readListenBacklog(),
    listFlows: (family) => listUdpFlows(family),
    checkFailures: () => checks.failures()
  }, () => appliance.desired, kept)
  const counters = collector
  const peerUrl = (): string => {
    const current = appliance.desired.properties
    return current.ha === null ? '' : peerCtlUrl(current.ha.peer, current.ctlPort)
  }
  // (HA) the active node is the one source of the admin state: see src/ha/sync.ts
  const sync = new PairSync({
    role: () => keepalived.state === 'MASTER' ? 'active' : 'standby',
    inPair: () => appliance.desired.properties.ha !== null,
    peerUrl,
    local: {
      disabled: () => sortedKeys(appliance.desired.disabled),
      draining: () => sortedKeys(appliance.desired.draining),
      setEnabled: (selector, enabled) => appliance.setEnabled(selector, enabled),
      setDraining: (selector) => appliance.setDraining(selector),
      replaceDisabled: (disabled, draining) => appliance.replaceDisabled(disabled, draining),
      settings: () => pairSettingsOf(runningEntries, runningServices),
      replaceSettings: (settings) => oneAtATime(() => runPairSettings(settings))
    },
    peer: httpPeer(() => ({ baseUrl: peerUrl(), token: appliance.desired.properties.ctlToken })),
    post: httpPeerPost(() => ({ baseUrl: peerUrl(), token: appliance.desired.properties.ctlToken })),
    log
  })
  const controller: CtlController = {
    setEnabled: (selector, enabled, origin) => appliance.desired.properties.ha === null
      ? appliance.setEnabled(selector, enabled)
      : sync.setEnabled(selector, enabled, origin ?? 'client'),
    setDraining: (selector, origin) => appliance.desired.properties.ha === null
      ? appliance.setDraining(selector)
      : sync.setDraining(selector, origin ?? 'client'),
    status: (service) => appliance.status(service),
    outputs: () => appliance.outputs(),
    services: () => appliance.services(),
    counters: () => counters.read()
  }
  // maxima of what HAProxy does not track itself (listen backlog, UDP flows) between reads; the console's rates from the same reads
  const rates = new SessionRates()
  const sampler = setInterval(() => {
    counters.sample().then((snapshot) => { rates.record(Date.now(), snapshot) }, () => undefined)
  }, SAMPLE_INTERVAL_MS).unref()
  const push = new MonPush(async () => countersDocument(await counters.read()), log)
  // (SPEC §12) the management API: each change one service file, applied as one job of the queue
  const edits = new ServiceEdits({
    run: oneAtATime,
    running: () => ({ envFile, envEntries: runningEntries, folder: servicesFolder(envFile, runningEntries), services: runningServices, running: appliance.desired.services }),
    apply: async (files, validated) => {
      const action = await applyEntries(runningEntries, envFile, [], files, validated)
      if (appliance.desired.properties.ha !== null) {
        // the standby runs it within a second: the service files are the pair's settings
        await savePairSettings(paths.pairSettingsFile, pairSettingsOf(runningEntries, runningServices))
        tellPeer()
      }
      return action
    },
    role: () => appliance.desired.properties.ha === null ? null : sync.role()
  })
  const management: ManagementController = {
    service: async (name) => {
      const state = (await appliance.services()).find((service) => service.name === name)
      const running = appliance.desired.services.find((service) => service.name === name)
      if (state === undefined) return null
      if (running === undefined) return { service: serviceJson(runningEntries, defaultService(appliance.desired.properties, envFile).servers), state }
      return { service: serviceJson(new Map(Object.entries(runningServices[name] ?? {})), running.servers), state }
    },
    putService: (name, body) => edits.putService(name, body),
    deleteService: (name) => edits.deleteService(name),
    putServer: (name, server, body) => edits.putServer(name, server, body),
    deleteServer: (name, server) => edits.deleteServer(name, server)
  }
  const ctl = new CtlListener(controller, sync, management, { notices: () => recent.list(), rates: () => rates.rates() })
  // every service's servers going down or up, and each service's outage, in every mode, as /api/status and /api/services report them
  const watch = new OutputWatch({
    read: () => appliance.serverReports(),
    intervalMs: WATCH_INTERVAL_MS,
    onChange: (_key, report) => { notifier.notify(healthNotice(report, new Date())) },
    onService: (state, outputs) => { notifier.notify({ kind: 'service', state, outputs, at: new Date() }) },
    onFileService: (service, state, servers) => { notifier.notify({ kind: 'service', service, state, servers, at: new Date() }) },
    services: () => appliance.desired.services.map((service) => service.name)
  })
  try {
    // the standby binds the virtual addresses before they are local
    if (properties.ha !== null) await allowNonlocalBind()
    const action = await appliance.start()
    log.info(!runsHaproxy(properties.mode, services)
      ? 'netfilter rules applied (udp_roundrobin: no HAProxy, no stats UI)'
      : `HAProxy serving (master pid ${String(supervisor.master.pid)}${action === 'adopt' ? ', adopted: it kept serving while no agent ran' : ''}); stats UI on ${properties.uiAddr}:${properties.uiPort}`)
    await checks.configure(properties, services)
    await push.configure(properties)
    notifier.configure(properties)
    watch.start()
    await ctl.listen(properties)
    if (properties.ha !== null) {
      // before keepalived, whose first notify asks it for the peer's flows
      if (await conntrackd.apply(properties, services) !== 'none') log.info('conntrackd running: UDP flows shared with the peer')
      await keepalived.apply(properties.ha, { mode: properties.mode, notifyCommand: conntrackd.notifyCommand(properties, services), services })
      log.info(`keepalived running: VRRP on ${properties.ha.interface}, router id ${properties.ha.routerId}, priority ${properties.ha.priority}, ${keepalived.state} (virtual ${properties.ha.virtualAddresses.join(', ')})`)
    }
    // rounds do nothing while ha_vip is empty, so a reload may turn HA on or off
    sync.start()
  } catch (error) {
    await sync.stop()
    await keepalived.stop()
    await conntrackd.stop()
    await watch.stop()
    await notifier.stop()
    await ctl.close().catch(() => undefined)
    clearInterval(sampler)
    await push.stop()
    await checks.stop()
    await changes.run(() => reconciler.stop()).catch((cause: unknown) => log.error(`while giving up: ${(cause as Error).message}`))
    throw startError(error)
  }
  log.info(`ctl service on ${properties.ctlAddr}:${properties.ctlPort}`)

  // SIGHUP and the pair's settings each reconfigure every part: one job of the change queue
  function oneAtATime<T> (job: () => Promise<T>): Promise<T> {
    return changes.run(job)
  }

  // Brings every part to `entries`, whole or not at all: a bad set keeps what runs, and a part
  // that refuses it puts back the ones before it; either throws why, and says what runs.
  // The service files are the folder's, or (HA) those given: the active node's, or the pair's on a standby.
  // `validated`: what `entries` and `serviceFiles` gave when the caller checked them (the management API), not checked again
  async function applyEntries (entries: ReadonlyMap<string, string>, source: string, lineProblems: Parameters<typeof configurationFrom>[1] = [], serviceFiles?: readonly ServiceFileEntries[], validated?: LoadedConfiguration): Promise<ReconcileAction> {
    const files = serviceFiles ?? await readServiceFiles(servicesFolder(envFile, entries))
    const loaded = validated ?? configurationFrom(entries, lineProblems, source, files)
    const next = { properties: loaded.configuration.properties, services: fileServices(loaded.configuration) }
    for (const warning of loaded.warnings) log.warn(warning)
    if (localPeerName(next.properties) !== peerName) {
      throw new L3lbError('L3LB_PROPERTIES_INVALID', `the local peer name would change from ${peerName} to ${localPeerName(next.properties)} (peer_addr or ha_vip changed): HAProxy keeps its name until it restarts, so restart the agent to apply this file`)
    }
    if (next.properties.ha !== null) await allowNonlocalBind()
    const limits = await limitsFor(next.properties, next.services)
    const parts = { ctl, appliance, checks, push, notifier, conntrackd, keepalived, log }
    const done = { action: 'none' as ReconcileAction }
    await applyAllOrNothing(reconfigureSteps(parts, appliance.desired, { ...next, limits }, (action) => { done.action = action }))
    runningEntries = new Map(entries)
    runningServices = pairServicesOf(files)
    return done.action
  }

  // (HA) Whether the pair's settings this node saved last came after the last edit of its env
  // file: then they run, at start and on the active node's SIGHUP.
  async function fileOlderThanPairSettings (): Promise<boolean> {
    return await modifiedAtMs(paths.pairSettingsFile) > await modifiedAtMs(envFile)
  }

  // SIGHUP: a standby keeps the pair's settings (the active node decides them) and takes its own.
  // The active node takes its file's, unless the pair's are newer than the file, as at start:
  // after a failover a file not edited since would undo what the pair agreed on.
  async function reloadEnvFile (): Promise<void> {
    const own = await readEnvEntries(envFile)
    const inPair = appliance.desired.properties.ha !== null
    const follow = inPair && sync.role() === 'standby'
    const keepPair = follow || (inPair && await fileOlderThanPairSettings())
    const pair = pairSettingsOf(runningEntries)
    const differences = keepPair ? settingsDifferences(own.entries, pair) : []
    if (differences.length > 0 && follow) log.warn(`${envFile} differs from the pair's settings, which the active node decides; kept as the active node has them (change them there): ${describeDifferences(differences)}`)
    else if (differences.length > 0) log.warn(`${envFile} was not edited since this node ran the pair's settings, which stay (edit the file, or touch it, to change them): ${describeDifferences(differences)}`)
    // a standby keeps the pair's service files too (it wrote them into its folder; an edit there is warned about)
    const serviceFiles = follow ? await pairServiceFilesOnStandby(own.entries) : undefined
    const action = await applyEntries(effectiveEntries(own.entries, pair, keepPair), envFile, own.problems, serviceFiles)
    log.info(`properties reloaded from ${envFile}: ${action === 'none' ? 'nothing changed' : action}`)
    if (appliance.desired.properties.ha === null || follow) return
    await savePairSettings(paths.pairSettingsFile, pairSettingsOf(runningEntries, runningServices))
    tellPeer()
  }

  // The standby hears of a change now, not at the next round; not inside the change's job, whose
  // queue a push (up to its timeout) would hold from the next ctl call. Pushes run one at a time
  // and the last one sends what is in force then (sync.ts), so none is lost.
  function tellPeer (): void {
    sync.tick().catch((error: unknown) => { log.error(`HA sync after a change: ${(error as Error).message}`) })
  }

  // (HA) A node that takes over decides the pair's settings from now on, from its own file at
  // the next SIGHUP: say what that SIGHUP would do when the file differs from what the pair runs.
  async function warnOfStaleFile (): Promise<void> {
    const own = await readEnvEntries(envFile)
    const differences = settingsDifferences(own.entries, pairSettingsOf(runningEntries))
    if (differences.length === 0) return
    const sighup = await fileOlderThanPairSettings()
      ? 'a SIGHUP here keeps the settings in force until the file is edited'
      : 'it was edited after them, and a SIGHUP here would apply the file as it is'
    log.warn(`now the active node, which decides the pair's settings: ${envFile} differs from the settings the pair runs, and ${sighup}; bring it up to date (the settings in force: /api/admin): ${describeDifferences(differences)}`)
  }

  // (HA, standby) On the standby's SIGHUP: the service files the pair runs, and a warning when
  // the folder's differ (an edit on the standby, which the active node's next change overwrites).
  async function pairServiceFilesOnStandby (entries: ReadonlyMap<string, string>): Promise<ServiceFileEntries[]> {
    const folder = servicesFolder(envFile, entries)
    const changes = describeServiceFileChanges(runningServices, pairServicesOf(await readServiceFiles(folder)))
    if (changes !== '') log.warn(`${folder} differs from the pair's service files, which the active node decides; kept as the active node has them (change them there): ${changes}`)
    return serviceFilesIn(folder, runningServices)
  }

  // (HA, standby) the active node's settings, with this node's own properties; its service files
  // run, then are written into this node's services_dir, so that a restart or a failover serves them.
  async function runPairSettings (settings: PairSettings): Promise<void> {
    const started = Date.now()
    const differences = settingsDifferences(runningEntries, settings)
    const services = servicesOf(settings)
    const fileChanges = describeServiceFileChanges(runningServices, services)
    const entries = effectiveEntries(runningEntries, settings, true)
    const folder = servicesFolder(envFile, entries)
    // in the folder before they run, as the management API writes them: whoever sees them served finds them there too;
    // a folder that cannot take them is this node's problem, said once per change, and they run all the same
    const previous = runningServices
    const written = await writeServiceFiles(folder, services).then(() => true, (error: unknown) => {
      log.error(`HA sync: runs the active node's service files, but ${(error as Error).message}; an agent restart here would serve the folder's files until the active node's are written`)
      return false
    })
    let action: ReconcileAction
    try {
      action = await applyEntries(entries, 'the active node\'s settings', [], serviceFilesIn(folder, services))
    } catch (error) {
      // what runs is what ran: so is the folder
      if (written) await writeServiceFiles(folder, previous).catch(() => undefined)
      throw error
    }
    await savePairSettings(paths.pairSettingsFile, settings)
    const changed = [describeDifferences(differences), fileChanges].filter((part) => part !== '').join(', ')
    log.info(`HA sync: runs the active node's settings (${changed}): ${action === 'none' ? 'nothing else changed' : action} in ${Date.now() - started} ms`)
  }

  return {
    appliance,
    reload: () => oneAtATime(reloadEnvFile),
    async stop () {
      // before keepalived: a node on its way out neither pushes nor pulls
      await sync.stop()
      // first, so the peer takes the virtual addresses while this node still serves
      await keepalived.stop().catch((error: unknown) => log.error(`keepalived did not stop cleanly: ${(error as Error).message}`))
      await conntrackd.stop().catch((error: unknown) => log.error(`conntrackd did not stop cleanly: ${(error as Error).message}`))
      clearInterval(sampler)
      await push.stop()
      await watch.stop()
      await checks.stop()
      // what the rate limit still holds goes out now, bounded by the SMTP timeouts
      await notifier.stop()
      await ctl.close()
      // the HAProxy started next counts from zero: keep what this one counted
      await counters.keptForRestart()
        .then((figures) => saveKeptCounters(paths.keptCountersFile, figures))
        .catch((error: unknown) => log.error(`the counters' maxima and totals were not saved: ${(error as Error).message}`))
      await changes.run(() => reconciler.stop())
    }
  }
}

// The pair's service files as if read from `folder`: what the standby runs, and then writes there.
function serviceFilesIn (folder: string, services: PairServices): ServiceFileEntries[] {
  return Object.entries(services).map(([name, entries]) => ({ name, file: join(folder, `${name}.env`), entries: new Map(Object.entries(entries)), lineProblems: [] }))
}

// `; service files: web (tcp_leastconn, 2 servers), ...` for the start's log line
function describeServices (services: readonly Service[]): string {
  if (services.length === 0) return ''
  return `; service files: ${services.map((service) => `${service.name} (${service.mode}, ${service.servers.length} server${service.servers.length === 1 ? '' : 's'})`).join(', ')}`
}

const SAMPLE_INTERVAL_MS = 2000
const WATCH_INTERVAL_MS = 1000

// Taking over and failing are news; a node starting as standby is not.
function roleNotice (state: VrrpState, previous: VrrpState, virtualAddresses: readonly string[]): RoleNotice | null {
  if (state !== 'MASTER' && state !== 'BACKUP' && state !== 'FAULT') return null
  if (state === 'BACKUP' && (previous === 'unknown' || previous === 'STOP')) return null
  return { kind: 'role', vrrp: state, previous: previous === 'unknown' || previous === 'STOP' ? 'starting' : previous, virtualAddresses, at: new Date() }
}

/** netfilter of the namespace the agent runs in. */
const hostNetfilter: Netfilter = {
  apply: (family, text) => applyRules(family, text),
  remove: (family) => removeRules(family),
  enableForwarding: (family) => enableForwarding(family),
  forgetFlowsTo: async (address, only) => await (only === undefined ? forgetFlowsTo(address) : forgetServiceFlows(only))
}

async function makeFolders (runtimeDir: string, stateDir: string): Promise<void> {
  try {
    await mkdir(runtimeDir, { recursive: true, mode: 0o750 })
    await mkdir(stateDir, { recursive: true, mode: 0o700 })
  } catch (cause) {
    throw new L3lbError('L3LB_START_FAILED', `could not start L3LB: cannot create ${runtimeDir} or ${stateDir}: ${(cause as Error).message}`, { cause })
  }
}

// HAProxy failing to bind the stats UI is the seed's "user interface terminal" error.
function startError (error: unknown): L3lbError {
  if (error instanceof L3lbError && error.code === 'L3LB_HAPROXY_START' && /proxy ui\b/.test(error.message)) {
    return new L3lbError('L3LB_UI_LISTEN', `could not initialize user interface terminal: ${error.message}`, { cause: error })
  }
  if (error instanceof L3lbError) return error
  return new L3lbError('L3LB_START_FAILED', `could not start L3LB: ${(error as Error).message}`, { cause: error })
}
