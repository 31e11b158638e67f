// A UDP echo for the benchmark's back ends: each datagram goes back as it came.
//   node udp-echo.mjs --address 198.18.1.2 --ports 5000,5001
import { createSocket } from 'node:dgram'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { address: { type: 'string' }, ports: { type: 'string' } } })
const ports = String(values.ports).split(',').map(Number)
let ready = 0
for (const port of ports) {
  const socket = createSocket('udp4')
  socket.on('message', (message, remote) => socket.send(message, remote.port, remote.address))
  socket.on('error', (error) => process.stderr.write(`udp ${port}: ${error.message}\n`))
  socket.bind(port, values.address, () => {
    // a deep receive queue so a burst is not lost before this process reads it
    socket.setRecvBufferSize(4 * 1024 * 1024)
    socket.setSendBufferSize(4 * 1024 * 1024)
    if (++ready === ports.length) console.log('ready')
  })
}
process.on('SIGTERM', () => process.exit(0))
