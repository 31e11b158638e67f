/**
 * A back-end server for integration tests, run inside a back-end namespace:
 *
 *   node dist/test/support/backend-server.js --name be1 --ports 80,81,90-99 [--udp]
 *
 * Listens on every port on every address (IPv4 and IPv6). On each TCP connection it
 * writes `<name> <localPort>\n` at once, then echoes what it receives until the
 * client closes. With --udp it also answers each datagram with
 * `<name> <localPort> <payload>`. Prints `ready` once every listener is bound and
 * exits 0 on SIGTERM or SIGINT.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { parseArgs } from 'node:util'

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

function listenTcp (name: string, port: number, sockets: Set<Socket>): Promise<Server> {
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    // A reset from a test that drops a connection is expected, not a failure.
    socket.on('error', () => {})
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
      udp: { type: 'boolean', default: false }
    },
    strict: true
  })
  if (values.name === undefined || !/^\S+$/.test(values.name)) throw new Error('--name is required and has no spaces')
  if (values.ports === undefined) throw new Error('--ports is required')
  const name = values.name
  const ports = parsePortList(values.ports)

  const sockets = new Set<Socket>()
  const servers = await Promise.all(ports.map((port) => listenTcp(name, port, sockets)))
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
