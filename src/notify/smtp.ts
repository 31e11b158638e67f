/** Hands one e-mail to an SMTP relay (nodemailer), bounded in time; STARTTLS when the relay offers it. */
import type { MailServer } from '../properties/mail.js'

export interface OutgoingMail {
  readonly from: string
  readonly to: readonly string[]
  readonly subject: string
  readonly text: string
}

/** Delivers `mail` to the relay; rejects with the relay's or the network's reason. */
export type SendMail = (server: MailServer, mail: OutgoingMail) => Promise<void>

const CONNECT_TIMEOUT_MS = 5000
const SOCKET_TIMEOUT_MS = 10_000

export const sendMail: SendMail = async (server, mail) => {
  // loaded with the first mail, not at boot: most agents never send one (docs/limits.md, the agent's own memory)
  const { createTransport } = await import('nodemailer')
  const transport = createTransport({
    host: server.host,
    port: server.port,
    // 465 speaks TLS from the first byte; any other port upgrades with STARTTLS when offered
    secure: server.port === 465,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    dnsTimeout: CONNECT_TIMEOUT_MS
  })
  try {
    await transport.sendMail({ from: mail.from, to: [...mail.to], subject: mail.subject, text: mail.text })
  } finally {
    transport.close()
  }
}
