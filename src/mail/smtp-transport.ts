import { createTransport } from 'nodemailer'
import type { MailMessage } from '../core/index.js'
import { AUTOMATED_MAIL_HEADERS, type MailTransport } from './transport.js'

/**
 * A send that hangs must end so the queue can retry: nodemailer waits 2 minutes for a
 * connection and 10 for an idle socket by default. TESSERA_SMTP_URL's query may still set them.
 */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }

/**
 * Options in the URL's query that would make nodemailer print the whole SMTP conversation
 * (links included) to stdout, past the redacting logger: never taken from the URL.
 */
const LOUD_OPTIONS = ['logger', 'debug', 'transactionLog']

/**
 * SMTP through nodemailer, from TESSERA_SMTP_URL: `smtp://` upgrades with STARTTLS when the
 * server offers it, `smtps://` is TLS from the start (port 465); user and password come from
 * the URL. One connection per mail: Tessera sends a handful a minute, not a newsletter.
 */
export function smtpTransport(url: string, from: string): MailTransport {
  const quiet = new URL(url)
  for (const option of LOUD_OPTIONS) quiet.searchParams.delete(option)
  const transporter = createTransport({ ...TIMEOUTS, url: quiet.toString(), logger: false, debug: false })
  return {
    description: `SMTP ${smtpEndpoint(quiet)}`,
    async send(message: MailMessage) {
      await transporter.sendMail({
        from, to: message.to, subject: message.subject, text: message.text, html: message.html, headers: { ...AUTOMATED_MAIL_HEADERS },
      })
    },
    close: () => transporter.close(),
  }
}

/** `smtp://host:port` with the port nodemailer will use: the URL's user and password left out. */
export function smtpEndpoint(url: URL): string {
  const port = url.port === '' ? (url.protocol === 'smtps:' ? 465 : 587) : Number(url.port)
  return `${url.protocol}//${url.hostname}:${port}`
}
