// Holds many TCP connections to an HTTP server through a proxy, for the memory cases.
// Controlled by one command a line on stdin, answers one JSON line on stdout:
//   open N BATCH   opens N more connections, BATCH at a time  -> {"opened","failed"}
//   check          one GET /small on every open connection     -> {"served","failed"}
//   busy N SECONDS N connections fetch /big in a loop          -> {"busyBytes","busyFailed"}
//   close          closes everything and exits
//   node sessions.mjs --target 198.18.0.1:80
import { connect } from 'node:net'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { target: { type: 'string' } } })
const i = String(values.target).lastIndexOf(':')
const host = String(values.target).slice(0, i)
const port = Number(String(values.target).slice(i + 1))
const MAX_CONNECTIONS = 12_000
const TIMEOUT_MS = 10_000
const sockets = []

// Opens one connection; resolves with it, or null when it cannot be made in time.
function open () {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const timer = setTimeout(() => { socket.destroy(); resolve(null) }, TIMEOUT_MS)
    socket.once('connect', () => { clearTimeout(timer); resolve(socket) })
    socket.once('error', () => { clearTimeout(timer); resolve(null) })
  })
}

// One keep-alive GET on a held connection: resolves with the body bytes read, or -1 on failure.
function fetch (socket, path) {
  return new Promise((resolve) => {
    let head = Buffer.alloc(0)
    let need = -1
    let got = 0
    const done = (result) => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('close', onClose)
      resolve(result)
    }
    const onData = (chunk) => {
      if (need < 0) {
        head = Buffer.concat([head, chunk])
        const end = head.indexOf('\r\n\r\n')
        if (end < 0) return
        const text = head.subarray(0, end).toString('latin1')
        const length = /content-length:\s*(\d+)/i.exec(text)
        if (!text.startsWith('HTTP/1.1 200') || length === null) return done(-1)
        need = Number(length[1])
        got = head.length - end - 4
      } else {
        got += chunk.length
      }
      if (got >= need) done(got)
    }
    const onClose = () => done(-1)
    const timer = setTimeout(() => done(-1), TIMEOUT_MS)
    socket.on('data', onData)
    socket.on('close', onClose)
    socket.write(`GET ${path} HTTP/1.1\r\nHost: bench\r\n\r\n`)
  })
}

async function openMore (count, batch) {
  let opened = 0
  let failed = 0
  const target = Math.min(count, MAX_CONNECTIONS - sockets.length)
  while (opened + failed < target) {
    const n = Math.min(batch, target - opened - failed)
    const made = await Promise.all(Array.from({ length: n }, open))
    for (const socket of made) {
      if (socket === null) { failed++; continue }
      socket.on('error', () => {})
      sockets.push(socket)
      opened++
    }
  }
  return { opened, failed, held: sockets.length }
}

async function check () {
  let served = 0
  let failed = 0
  for (let start = 0; start < sockets.length; start += 500) {
    const results = await Promise.all(sockets.slice(start, start + 500).map((s) => fetch(s, '/small')))
    for (const r of results) { if (r === 100) served++; else failed++ }
  }
  return { served, failed }
}

async function busy (count, seconds) {
  const deadline = Date.now() + Math.min(seconds, 60) * 1000
  let busyBytes = 0
  let busyFailed = 0
  await Promise.all(sockets.slice(0, count).map(async (socket) => {
    while (Date.now() < deadline) {
      const got = await fetch(socket, '/big')
      if (got < 0) { busyFailed++; return }
      busyBytes += got
    }
  }))
  return { busyBytes, busyFailed }
}

console.log(JSON.stringify({ ready: true }))
for await (const line of createInterface({ input: process.stdin })) {
  const [command, a, b] = line.trim().split(/\s+/)
  if (command === 'open') console.log(JSON.stringify(await openMore(Number(a), Number(b))))
  else if (command === 'check') console.log(JSON.stringify(await check()))
  else if (command === 'busy') console.log(JSON.stringify(await busy(Number(a), Number(b))))
  else if (command === 'close') break
}
for (const socket of sockets) socket.destroy()
process.exit(0)
