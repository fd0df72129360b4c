import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  to: string[]
  raw: Buffer
}

/** A real SMTP server on a random local port that keeps what it receives; it can refuse recipients. */
export interface TestSmtpServer {
  url: string
  received: ReceivedMail[]
  /** While true, every recipient is refused with a permanent 550. */
  isRefusingRecipients: boolean
  waitForMail(to: string, timeoutMs?: number): Promise<ReceivedMail>
  close(): Promise<void>
}

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = []
  const state: TestSmtpServer = {
    url: '',
    received,
    isRefusingRecipients: false,
    async waitForMail(to, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const mail = received.find((candidate) => candidate.to.includes(to.toLowerCase()))
        if (mail) return mail
        if (Date.now() > deadline) throw new Error(`No mail to ${to} arrived within ${timeoutMs} ms.`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (!state.isRefusingRecipients) return callback()
      const refusal = Object.assign(new Error('5.1.1 Mailbox unavailable'), { responseCode: 550 })
      callback(refusal)
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((recipient) => recipient.address.toLowerCase()), raw: Buffer.concat(chunks) })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`
  return state
}

export interface MailPart {
  headers: string
  body: string
}

/** The leaf parts of a received MIME message, transfer-decoded (enough for tests: quoted-printable, base64, 7bit). */
export function mailParts(raw: Buffer): MailPart[] {
  const text = raw.toString('utf8')
  const boundaries = [...text.matchAll(/boundary="?([^";\r\n]+)"?/gi)].map((match) => match[1] ?? '')
  if (boundaries.length === 0) {
    const [headers = '', body = ''] = splitHead(text)
    return [{ headers, body: decode(headers, body) }]
  }
  const delimiter = new RegExp(`\\r?\\n--(?:${boundaries.map((boundary) => boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?:--)?\\r?\\n`)
  return text
    .split(delimiter)
    .slice(1)
    .map(splitHead)
    .filter(([headers = '']) => !/content-type:\s*multipart\//i.test(headers) && /content-type:/i.test(headers))
    .map(([headers = '', body = '']) => ({ headers, body: decode(headers, body) }))
}

function splitHead(chunk: string): [string, string] {
  const end = chunk.search(/\r?\n\r?\n/)
  return end < 0 ? [chunk, ''] : [chunk.slice(0, end), chunk.slice(end).replace(/^\r?\n\r?\n/, '')]
}

function decode(headers: string, body: string): string {
  const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase()
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString(/content-type:\s*text\//i.test(headers) ? 'utf8' : 'latin1')
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    return Buffer.from(bytes, 'latin1').toString('utf8')
  }
  return body
}
