#!/usr/bin/env node
/** The `l3lb` command: start, render, check, status, enable, disable (SPEC §3b), drain (SPEC §11). */
import { parseArgs } from 'node:util'
import { getHeapStatistics } from 'node:v8'
import { startAgent, type RunningAgent } from '../agent/agent.js'
import { AGENT_NICENESS, ownNiceness, setOwnNiceness } from '../process/priority.js'
import { DEFAULT_ENV_FILE, limitsFor, readConfiguration, readProperties } from '../agent/boot.js'
import { fileServices } from '../properties/configuration.js'
import { stderrIsJournal, streamLog } from '../agent/log.js'
import { isL3lbError, L3lbError } from '../errors.js'
import { renderNodeFiles } from '../render/node-files.js'
import { loadAdminState } from '../state/admin-store.js'
import { desiredState } from '../state/desired.js'
import { appliancePaths } from '../state/paths.js'
import { callCtl, callCtlDocument, ctlBaseUrl } from './ctl-client.js'
import { formatServices, formatStatus, type CountersAnswer, type OutputsAnswer, type ServicesAnswer } from './status-table.js'

const USAGE = `usage:
  l3lb start   [--env FILE]            run the agent in the foreground
  l3lb render  [--env FILE] [--family 4|6]
                                       print what it would apply: the haproxy.cfg
                                       when a service is TCP, the iptables-restore
                                       input when one is UDP (both: each under a
                                       header; --family 6: the ip6tables-restore input)
  l3lb check   [--env FILE]            validate FILE and print every error
  l3lb status  [--env FILE] [--json] [--service NAME]
                                       the outputs, through the ctl service, then every
                                       service file's servers (--service: that one's)
  l3lb enable  OUTPUT [--env FILE] [--service NAME]
                                       OUTPUT is outN or an address (with --service, a
                                       server of that service or an address in it)
  l3lb disable OUTPUT [--env FILE] [--service NAME]
  l3lb drain   OUTPUT [--env FILE] [--service NAME]
                                       no new sessions; those it has finish (enable ends it)
FILE defaults to ${DEFAULT_ENV_FILE}.`

// under systemd each line carries its priority, so journalctl -p warning shows what matters
const log = streamLog(process.stderr, { priorities: stderrIsJournal() })

async function main (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      env: { type: 'string', default: DEFAULT_ENV_FILE },
      json: { type: 'boolean', default: false },
      family: { type: 'string', default: '4' },
      service: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  const [command, target, ...extra] = positionals
  const envFile = values.env ?? DEFAULT_ENV_FILE
  if (values.help === true || command === undefined) {
    process.stdout.write(`${USAGE}\n`)
    return command === undefined && values.help !== true ? 2 : 0
  }
  const needsTarget = command === 'enable' || command === 'disable' || command === 'drain'
  if (extra.length > 0 || (needsTarget ? target === undefined : target !== undefined)) {
    process.stderr.write(`l3lb ${command}: unexpected arguments\n${USAGE}\n`)
    return 2
  }
  switch (command) {
    case 'start': return await runAgent(envFile)
    case 'render': return await render(envFile, values.family ?? '4')
    case 'check': return await check(envFile)
    case 'status': return await status(envFile, values.json === true, values.service)
    case 'enable':
    case 'disable':
    case 'drain': return await setEnabled(envFile, command, target ?? '', values.service)
    default:
      process.stderr.write(`l3lb: unknown command "${command}"; accepted: start, render, check, status, enable, disable, drain\n`)
      return 2
  }
}

async function runAgent (envFile: string): Promise<number> {
  // the launcher's malloc setting for the agent (glibc read it at this process's start): HAProxy,
  // iptables and ping keep glibc's default
  delete process.env.MALLOC_MMAP_THRESHOLD_
  // the control plane above the data plane it drives; HAProxy is started at the normal priority
  const notRaised = setOwnNiceness(AGENT_NICENESS)
  if (notRaised !== null) log.info(`running at niceness ${ownNiceness()}, not ${AGENT_NICENESS}: ${notRaised}`)
  log.info(heapBoundLine(getHeapStatistics().heap_size_limit))
  let agent: RunningAgent
  try {
    agent = await startAgent({ envFile, env: process.env, log })
  } catch (error) {
    log.error(describe(error))
    return 1
  }
  let reloading = Promise.resolve()
  process.on('SIGHUP', () => {
    reloading = reloading.then(() => agent.reload()).catch((error: unknown) => {
      log.error(`reload refused${partWay(error) ? '' : ', the running configuration stays'}: ${describe(error)}`)
    })
  })
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    // on, not once: execa's child cleanup (signal-exit) re-raises a signal it finds no other
    // listener for, and a once-listener is gone by then, so a SIGTERM that came while a ping or
    // an iptables-restore ran killed the agent before it removed its rules. A second one does nothing.
    process.on('SIGTERM', resolve)
    process.on('SIGINT', resolve)
  })
  log.info(`${signal}: stopping`)
  await agent.stop()
  log.info('stopped')
  return 0
}

async function render (envFile: string, family: string): Promise<number> {
  if (family !== '4' && family !== '6') {
    process.stderr.write(`l3lb render: --family "${family}" is not accepted: 4 or 6\n`)
    return 2
  }
  const { configuration } = await readConfiguration(envFile)
  const { properties } = configuration
  const services = fileServices(configuration)
  const paths = appliancePaths(process.env)
  const { disabled, draining } = await loadAdminState(paths.adminStateFile)
  const state = desiredState(properties, await limitsFor(properties, services), disabled, paths, [], services, draining)
  process.stdout.write(renderNodeFiles(state, family === '6' ? 6 : 4))
  return 0
}

async function check (envFile: string): Promise<number> {
  const { configuration, warnings } = await readConfiguration(envFile)
  const { properties } = configuration
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`)
  process.stdout.write(`${envFile}: valid (mode ${properties.mode}, ${properties.outputs.length} connected output(s))\n`)
  for (const service of fileServices(configuration)) {
    process.stdout.write(`${service.file}: valid (service ${service.name}, mode ${service.mode}, ${service.servers.length} server(s))\n`)
  }
  return 0
}

async function status (envFile: string, json: boolean, service: string | undefined): Promise<number> {
  const { properties } = await readProperties(envFile)
  const base = ctlBaseUrl(properties)
  const services = await callCtl(base, '/api/services', properties.ctlToken) as ServicesAnswer
  if (service !== undefined) {
    const found = (services.services ?? []).filter((candidate) => candidate.name === service)
    if (found.length === 0) {
      process.stderr.write(`l3lb status: no service ${JSON.stringify(service)} runs at ${base}; it runs ${(services.services ?? []).map((candidate) => candidate.name).join(', ') || 'none'}\n`)
      return 1
    }
    process.stdout.write(json ? `${JSON.stringify({ status: services.status, services: found })}\n` : formatServices(found))
    return 0
  }
  // the outputs as the agent runs them, not as the file now says: it may have been edited since
  const answer = await callCtl(base, '/api/outputs', properties.ctlToken) as OutputsAnswer
  if (answer.status.code === 0 && !Array.isArray(answer.outputs)) {
    throw new L3lbError('L3LB_CTL_UNREACHABLE', `${base}/api/outputs did not answer with a list of outputs; is the agent at ${base} l3lb's?`)
  }
  const counters = await callCtlDocument<CountersAnswer>(base, '/api/counters', properties.ctlToken)
  const files = (services.services ?? []).filter((candidate) => candidate.name !== 'default')
  if (json) {
    process.stdout.write(`${JSON.stringify({ status: answer.status, outputs: answer.outputs, counters: counters.counters, ...(files.length === 0 ? {} : { services: files }) })}\n`)
  } else {
    process.stdout.write(formatStatus(answer, counters) + (files.length === 0 ? '' : `\n${formatServices(files)}`))
  }
  return answer.status.code === 0 ? 0 : 1
}

async function setEnabled (envFile: string, verb: 'enable' | 'disable' | 'drain', target: string, service: string | undefined): Promise<number> {
  const { properties } = await readProperties(envFile)
  const selector = service === undefined
    ? /^out\d+$/.test(target) ? `channel=${target}` : encodeURIComponent(target)
    : `service=${encodeURIComponent(service)}&${/^[a-z0-9_]{1,32}$/.test(target) && !/^[0-9]/.test(target) ? `channel=${target}` : `address=${encodeURIComponent(target)}`}`
  const answer = await callCtl(ctlBaseUrl(properties), `/api/${verb}?${selector}`, properties.ctlToken)
  process.stdout.write(`${answer.status.code} ${answer.status.message}\n`)
  return answer.status.code === 100 ? 1 : 0
}

// The launcher (appliance/l3lb) sets the bound; `node main.js start` without it leaves V8's default (GBs).
function heapBoundLine (limit: number): string {
  const mib = Math.round(limit / 2 ** 20)
  return mib <= HEAP_BOUND_MIB
    ? `V8 heap bound ${mib} MiB`
    : `V8 heap bound ${mib} MiB: not the launcher's (appliance/l3lb sets ${HEAP_BOUND_MIB} MiB or less; docs/limits.md)`
}

// the most a bounded heap reaches: old space plus the young generation's semi-spaces
const HEAP_BOUND_MIB = 96

// a reload refused part-way says itself what was put back and what runs
function partWay (error: unknown): boolean {
  return isL3lbError(error, 'L3LB_RELOAD_UNDONE') || isL3lbError(error, 'L3LB_RELOAD_MIXED')
}

function describe (error: unknown): string {
  return isL3lbError(error) ? `${error.message} [${error.code}]` : String((error as Error)?.stack ?? error)
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (error: unknown) => {
  log.error(describe(error))
  process.exitCode = 1
})
