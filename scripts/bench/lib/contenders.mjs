// The contenders the benchmark compares, each run inside the topology's lb namespace with
// its files in the run's temporary folder: the direct path (no proxy), l3lb (the real
// agent and the config it renders), a hand-tuned HAProxy and nginx's stream module.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startAgent, ctlEnv } from '../../../dist/test/support/agent-driver.js'
import { LAUNCHER } from './footprint.mjs'
import { tunedConfig } from './haproxy-tuned.mjs'
import { nginxArgs, readPid, writeStreamConfig } from './nginx.mjs'
import { childrenNamed } from './measure.mjs'

/** The env file of the l3lb contender in a TCP mode; `interval` is toggled to force reloads. */
export function l3lbTcpEnv (topology, interval = 2) {
  return ctlEnv(topology) + [
    'mode=tcp_roundrobin',
    'ports=80',
    ...topology.addresses.backends.map((a, i) => `out${i + 1}=${a}`),
    `healthcheck_interval=${interval}`,
    ''
  ].join('\n')
}

/** The env file of the l3lb contender in udp_roundrobin (the lb is the outputs' gateway here). */
export function l3lbUdpEnv (topology, port) {
  return ctlEnv(topology) + [
    'mode=udp_roundrobin',
    `ports=${port}`,
    ...topology.addresses.backends.map((a, i) => `out${i + 1}=${a}`),
    'healthcheck_interval=2',
    'udp_snat=off',
    ''
  ].join('\n')
}

/** Direct: the client spreads its own load over the back ends, through lb's routing. */
export function directContender (topology) {
  return {
    name: 'direct',
    targets: (port) => topology.addresses.backends.map((a) => `${a}:${port}`),
    async prepare () {},
    workerPids: () => [],
    async stop () {}
  }
}

/** l3lb: the real agent (`l3lb start`) with the config it generates. */
export function l3lbContender (topology, client, waitReady, runtimeParent) {
  const self = {
    name: 'l3lb',
    agent: undefined,
    targets: () => [`${topology.addresses.lbClientSide}:80`],
    async start (env = l3lbTcpEnv(topology)) {
      // through the launcher, as the package and the unit start it
      self.agent = await startAgent(topology, client, { env, launcher: LAUNCHER, runtimeDir: mkdtempSync(join(runtimeParent, 'l3lb-')) })
      await waitReady(`${topology.addresses.lbClientSide}:80`)
    },
    async prepare () {
      if (self.agent === undefined) await self.start()
    },
    masterPid () {
      return Number(readFileSync(join(self.agent.runtimeDir, 'haproxy.pid'), 'utf8').trim())
    },
    workerPids () {
      return childrenNamed(self.masterPid(), 'haproxy')
    },
    async stop () {
      if (self.agent === undefined) return
      const agent = self.agent
      self.agent = undefined
      await agent.stop()
      agent.removeFiles()
    }
  }
  return self
}

/** HAProxy with a config written by hand for each case (lib/haproxy-tuned.mjs). */
export function tunedHaproxyContender (topology, dir, waitReady) {
  mkdirSync(dir, { recursive: true })
  const listen = `${topology.addresses.lbClientSide}:81`
  const self = {
    name: 'haproxy-tuned',
    process: undefined,
    config: undefined,
    targets: () => [listen],
    async prepare (caseName) {
      const text = tunedConfig(caseName, listen, topology.addresses.backends.map((a) => `${a}:80`), join(dir, 'haproxy.sock'))
      if (self.process !== undefined && self.config === text) return
      await self.stop()
      const file = join(dir, 'haproxy.cfg')
      writeFileSync(file, text)
      self.config = text
      self.process = topology.spawn(topology.names.lb, 'haproxy', ['-db', '-f', file])
      await waitReady(listen)
    },
    workerPids: () => self.process === undefined ? [] : [self.process.pid],
    async stop () {
      if (self.process === undefined) return
      const p = self.process
      self.process = undefined
      self.config = undefined
      await p.stop(5000)
    }
  }
  return self
}

/** nginx's stream module, two workers, its defaults otherwise. */
export function nginxStreamContender (topology, dir, waitReady) {
  const listen = `${topology.addresses.lbClientSide}:82`
  const self = {
    name: 'nginx-stream',
    process: undefined,
    targets: () => [listen],
    async prepare () {
      if (self.process !== undefined) return
      const conf = writeStreamConfig(dir, listen, topology.addresses.backends.map((a) => `${a}:80`))
      self.process = topology.spawn(topology.names.lb, 'nginx', nginxArgs(dir, conf))
      await waitReady(listen)
    },
    workerPids: () => {
      const master = readPid(dir)
      return master === undefined ? [] : childrenNamed(master, 'nginx')
    },
    async stop () {
      if (self.process === undefined) return
      const p = self.process
      self.process = undefined
      await p.stop(5000)
    }
  }
  return self
}
