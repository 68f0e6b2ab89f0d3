import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

/** A mail as it arrived at the sink, parsed the way a mail client would show it. */
export interface ReceivedMail {
  /** The envelope recipient (RCPT TO), as the sender gave it. */
  to: string
  /** The From header's address. */
  from: string
  subject: string
  text: string
  /** The HTML body; '' when the mail had none. */
  html: string
  /** The message as it crossed the wire (headers and MIME parts). */
  raw: string
}

export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>`: what TESSERA_SMTP_URL would be. */
  url: string
  /** Every mail accepted so far, in arrival order. */
  messages: ReceivedMail[]
  /** Messages the sink refused with a temporary error (see `failFirst`). */
  readonly refused: number
  /** The first mail (already here or still to come) that `predicate` accepts; rejects after `timeoutMs`. */
  waitFor(predicate?: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>
  /** The first absolute link in the mail's text whose path starts with `path`; throws when there is none. */
  linkIn(mail: ReceivedMail, path: string): string
  close(): Promise<void>
}

export interface SmtpSinkOptions {
  /** Refuse this many messages before accepting any (Infinity: refuse all). */
  failFirst?: number
  /** The SMTP reply code of those refusals: 451 (default, temporary: try again) or a 5xx (final). */
  failCode?: number
}

const LINK = /https?:\/\/[^\s<>"')\]]+/g

/**
 * A real SMTP server in this process, on 127.0.0.1 at a free port, that keeps what it receives:
 * tests send through Tessera's real nodemailer transport and read the mails a user would get.
 * Plain SMTP without STARTTLS or AUTH, as a local relay would be.
 */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = []
  const waiters = new Set<{ predicate: (mail: ReceivedMail) => boolean; resolve: (mail: ReceivedMail) => void }>()
  let refused = 0
  let toRefuse = options.failFirst ?? 0
  const failCode = options.failCode ?? 451

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('error', callback)
      stream.on('end', () => {
        if (toRefuse > 0) {
          toRefuse -= 1
          refused += 1
          callback(Object.assign(new Error(failCode >= 500 ? 'Mailbox unavailable' : 'Mailbox busy, try again later'), { responseCode: failCode }))
          return
        }
        const raw = Buffer.concat(chunks).toString('utf8')
        simpleParser(raw).then((parsed) => {
          const mail: ReceivedMail = {
            to: session.envelope.rcptTo[0]?.address ?? '',
            from: parsed.from?.value[0]?.address ?? '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: parsed.html === false ? '' : parsed.html ?? '',
            raw,
          }
          messages.push(mail)
          for (const waiter of waiters) {
            if (waiter.predicate(mail)) { waiters.delete(waiter); waiter.resolve(mail) }
          }
          callback()
        }, callback)
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  const { port } = server.server.address() as AddressInfo

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get refused() { return refused },
    waitFor(predicate = () => true, timeoutMs = 5000) {
      const found = messages.find(predicate)
      if (found !== undefined) return Promise.resolve(found)
      return new Promise<ReceivedMail>((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (mail: ReceivedMail) => { clearTimeout(timer); resolve(mail) },
        }
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(new Error(`no matching mail within ${timeoutMs} ms (${messages.length} received: ${messages.map((m) => `${m.to} "${m.subject}"`).join(', ') || 'none'})`))
        }, timeoutMs)
        waiters.add(waiter)
      })
    },
    linkIn(mail, path) {
      for (const candidate of mail.text.match(LINK) ?? []) {
        if (new URL(candidate).pathname.startsWith(path)) return candidate
      }
      throw new Error(`no link to ${path} in the mail "${mail.subject}" to ${mail.to}`)
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
