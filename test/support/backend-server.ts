/**
 * A back-end server for integration tests, run inside a back-end namespace:
 *
 *   node dist/test/support/backend-server.js --name be1 --ports 80,81,90-99 [--udp]
 *
 * Listens on every port on every address (IPv4 and IPv6). On each TCP connection it
 * writes `<name> <localPort>\n` at once, then echoes what it receives until the
 * client closes. With --udp it also answers each datagram with
 * `<name> <localPort> <payload>`. With --http-status-file FILE its TCP listeners answer
 * HTTP instead: each request gets the status the file holds at that moment (200 when it
 * is missing or empty) and the body `<name>`, then the connection closes, so a test can
 * switch a back end between healthy and failing while its port keeps accepting.
 * Prints `ready` once every listener is bound and exits 0 on SIGTERM or SIGINT.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'

const MAX_PORTS = 2000

/** Parses `80,81,90-99 110:120` into a sorted list of distinct ports. */
function parsePortList (text: string): number[] {
  const ports = new Set<number>()
  for (const item of text.split(/[\s,]+/).filter((s) => s !== '')) {
    const match = /^(\d+)(?:[-:](\d+))?$/.exec(item)
    const low = Number(match?.[1])
    const high = Number(match?.[2] ?? match?.[1])
    if (match === null || low < 1 || high > 65535 || low > high) {
      throw new Error(`--ports: '${item}' is not a port 1..65535 or a range low-high`)
    }
    for (let port = low; port <= high; port++) ports.add(port)
    if (ports.size > MAX_PORTS) throw new Error(`--ports: more than ${MAX_PORTS} ports given`)
  }
  if (ports.size === 0) throw new Error('--ports: no port given')
  return [...ports].sort((a, b) => a - b)
}

// The status a request gets now: the file's number, 200 when it has none.
function currentStatus (file: string): number {
  let text = ''
  try {
    text = readFileSync(file, 'utf8').trim()
  } catch {
    // no file yet: healthy
  }
  return /^[1-5][0-9][0-9]$/.test(text) ? Number(text) : 200
}

// One HTTP/1.0 answer once the request's head has arrived, then close.
function answerHttp (name: string, socket: Socket, statusFile: string): void {
  let head = ''
  socket.setEncoding('latin1')
  socket.on('data', (chunk: string) => {
    if (head.includes('\r\n\r\n')) return
    head += chunk
    if (!head.includes('\r\n\r\n') && head.length < 16384) return
    const status = currentStatus(statusFile)
    socket.end(`HTTP/1.0 ${status} ${status < 400 ? 'OK' : 'Failing'}\r\nContent-Type: text/plain\r\nContent-Length: ${name.length}\r\n\r\n${name}`)
  })
}

function listenTcp (name: string, port: number, sockets: Set<Socket>, statusFile: string | undefined): Promise<Server> {
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    // A reset from a test that drops a connection is expected, not a failure.
    socket.on('error', () => {})
    if (statusFile !== undefined) {
      answerHttp(name, socket, statusFile)
      return
    }
    socket.write(`${name} ${socket.localPort ?? port}\n`)
    socket.pipe(socket)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    // '::' without ipv6Only also takes IPv4 (as mapped addresses).
    server.listen({ host: '::', port, ipv6Only: false }, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}

function listenUdp (name: string, port: number): Promise<UdpSocket> {
  const socket = createSocket({ type: 'udp6', ipv6Only: false })
  socket.on('message', (message, remote) => {
    socket.send(`${name} ${port} ${message.toString('utf8')}`, remote.port, remote.address)
  })
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.bind({ address: '::', port }, () => {
      socket.off('error', reject)
      socket.on('error', (error) => process.stderr.write(`udp ${port}: ${error.message}\n`))
      resolve(socket)
    })
  })
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      ports: { type: 'string' },
      udp: { type: 'boolean', default: false },
      'http-status-file': { type: 'string' }
    },
    strict: true
  })
  if (values.name === undefined || !/^\S+$/.test(values.name)) throw new Error('--name is required and has no spaces')
  if (values.ports === undefined) throw new Error('--ports is required')
  const name = values.name
  const ports = parsePortList(values.ports)

  const sockets = new Set<Socket>()
  const servers = await Promise.all(ports.map((port) => listenTcp(name, port, sockets, values['http-status-file'])))
  const udpSockets = values.udp ? await Promise.all(ports.map((port) => listenUdp(name, port))) : []

  const stop = (): void => {
    for (const server of servers) server.close()
    for (const socket of sockets) socket.destroy()
    for (const socket of udpSockets) socket.close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.stdout.write('ready\n')
}

main().catch((error: unknown) => {
  process.stderr.write(`backend-server: ${(error as Error).message}\n`)
  process.exit(1)
})
