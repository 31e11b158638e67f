#!/usr/bin/env node
// The demo: three HTTP back ends on 127.0.0.11-13:8000, l3lb in front of them on
// 127.0.0.1:8000, everything on loopback and in a temporary folder, stopped by Ctrl-C.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'l3lb-demo-'))
const backends = ['127.0.0.11', '127.0.0.12', '127.0.0.13']
const servers = backends.map((address, i) => createServer((request, response) => {
  response.end(`hello from back end ${i + 1} (${address})\n`)
}).listen(8000, address))

// SIGUSR2 kills out2's back end, or brings it back: watch l3lb take it down and up again
process.on('SIGUSR2', () => {
  const server = servers[1]
  if (server.listening) {
    server.close()
    server.closeAllConnections()
    console.log(`back end 2 (${backends[1]}) stopped; send SIGUSR2 again to bring it back`)
  } else {
    server.listen(8000, backends[1])
    console.log(`back end 2 (${backends[1]}) serving again`)
  }
})

const envFile = join(dir, 'l3lb.env')
writeFileSync(envFile, [
  'mode=tcp_roundrobin',
  'in_addr=127.0.0.1',
  'ports=8000',
  ...backends.map((address, i) => `out${i + 1}=${address}`),
  'backup_outputs=out3',
  'healthcheck_interval=2',
  'ctl_addr=127.0.0.1',
  'ctl_port=8080',
  'ui_addr=127.0.0.1',
  'ui_port=8404',
  ''
].join('\n'))

// through the launcher, as the package and the systemd unit start it: with the agent's V8 heap bound (docs/limits.md)
const agent = spawn(new URL('../appliance/l3lb', import.meta.url).pathname, ['start', '--env', envFile], {
  env: { ...process.env, RUNTIME_DIRECTORY: join(dir, 'run'), STATE_DIRECTORY: join(dir, 'state') },
  stdio: ['ignore', 'inherit', 'pipe']
})
agent.stderr.on('data', (chunk) => {
  process.stderr.write(chunk)
  if (String(chunk).includes('ctl service on')) {
    console.log(`
l3lb is running (files in ${dir}).
  traffic:   curl http://127.0.0.1:8000/            (round robin over out1 and out2; out3 is the backup)
  ctl:       curl 'http://127.0.0.1:8080/api/status'
             curl 'http://127.0.0.1:8080/api/disable?channel=out1'
             curl 'http://127.0.0.1:8080/api/enable?127.0.0.11'
  stats UI:  http://127.0.0.1:8404/
  the CLI:   appliance/l3lb status --env ${envFile}
  a failure: kill -USR2 ${process.pid}     (stops out2's back end; again to bring it back)
Ctrl-C stops the demo.`)
  }
})

let stopping = false
function stop () {
  if (stopping) return
  stopping = true
  agent.kill('SIGTERM')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
agent.on('exit', (code) => {
  for (const server of servers) server.close()
  rmSync(dir, { recursive: true, force: true })
  process.exit(stopping ? 0 : (code ?? 1))
})
