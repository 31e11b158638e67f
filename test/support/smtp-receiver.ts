/**
 * A test SMTP receiver (smtp-server), run inside a namespace:
 *
 *   node dist/test/support/smtp-receiver.js --host 198.18.0.2 --port 2525
 *
 * Accepts every message without authentication or TLS and prints one JSON line per message:
 * `{"mail":{"from","to":[...],"subject","text"}}`. Prints `ready` once listening; exits 0 on SIGTERM.
 */
import { parseArgs } from 'node:util'
import { SMTPServer } from 'smtp-server'

const MAX_MESSAGE_BYTES = 1_000_000

const { values } = parseArgs({ options: { host: { type: 'string' }, port: { type: 'string' } } })
const host = values.host ?? '127.0.0.1'
const port = Number(values.port ?? '2525')

/** Headers (unfolded, names in lower case) and the body of a single-part message. */
function parseMessage (raw: string): { headers: Map<string, string>, body: string } {
  const split = raw.indexOf('\r\n\r\n')
  const head = split < 0 ? raw : raw.slice(0, split)
  const body = split < 0 ? '' : raw.slice(split + 4)
  const headers = new Map<string, string>()
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim())
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase()
  return { headers, body: decodeBody(body, encoding) }
}

function decodeBody (body: string, encoding: string): string {
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
  if (encoding !== 'quoted-printable') return body.replace(/\r\n/g, '\n')
  const bytes = body.replace(/=\r\n/g, '').replace(/\r\n/g, '\n')
  return Buffer.from(bytes.replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8')
}

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  size: MAX_MESSAGE_BYTES,
  logger: false,
  onData (stream, session, callback) {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => {
      const { headers, body } = parseMessage(Buffer.concat(chunks).toString('latin1'))
      const mail = {
        from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((recipient) => recipient.address),
        subject: headers.get('subject') ?? '',
        text: body
      }
      process.stdout.write(`${JSON.stringify({ mail })}\n`)
      callback()
    })
  }
})
server.on('error', (error) => { process.stderr.write(`smtp-receiver: ${error.message}\n`) })
server.listen(port, host, () => { process.stdout.write('ready\n') })
const stop = (): void => { server.close(() => process.exit(0)) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
