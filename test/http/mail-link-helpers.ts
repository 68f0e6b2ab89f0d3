import { Writable } from 'node:stream'
import type { LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import type { Config } from '../../src/config.js'
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../support/smtp-sink.js'
import { ISSUER, startTestServer, type TestServer } from './test-server.js'

/*
 * The mailed-link suites (verification, password reset, email change): Tessera's real app with
 * its real mailer sending through SMTP to a sink in this process, and what a user does with the
 * mails — find the link, open it, press the page's button.
 */

export interface MailServer {
  server: TestServer
  sink: SmtpSink
  /** Every log line the app wrote (at debug), to search for secrets. */
  logs: string[]
  close(): Promise<void>
}

export async function startMailServer(config: Partial<Config> = {}): Promise<MailServer> {
  const sink = await startSmtpSink()
  const logs: string[] = []
  const logger = new Writable({ write(chunk, _encoding, done) { logs.push(String(chunk)); done() } })
  const server = await startTestServer({ config: { smtpUrl: sink.url, logLevel: 'debug', ...config }, logger })
  return {
    server, sink, logs,
    async close() {
      await server.close()
      await sink.close()
    },
  }
}

/** The next mail to `to` whose subject contains `subject`. */
export function mailTo(sink: SmtpSink, to: string, subject: string): Promise<ReceivedMail> {
  return sink.waitFor((mail) => sameMailbox(mail.to, to) && mail.subject.includes(subject))
}

/** nodemailer lower-cases the domain of an envelope address; the mailbox part it keeps as written. */
function sameMailbox(received: string, expected: string): boolean {
  const at = expected.lastIndexOf('@')
  return received === `${expected.slice(0, at)}${expected.slice(at).toLowerCase()}`
}

/** The link to `path` in a mail, as a path and query on this server (what inject wants), and its token. */
export function linkOf(sink: SmtpSink, mail: ReceivedMail, path: string): { url: string; token: string } {
  const link = new URL(sink.linkIn(mail, path))
  expect(link.origin).toBe(new URL(ISSUER).origin)
  expect(link.pathname).toBe(path)
  const token = link.searchParams.get('token')
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
  return { url: `${link.pathname}${link.search}`, token: token as string }
}

/** Waits a little for mail that should not come, then checks none did (the queue sends within milliseconds). */
export async function expectNoMailTo(sink: SmtpSink, to: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300))
  expect(sink.messages.filter((m) => sameMailbox(m.to, to)).map((m) => m.subject)).toEqual([])
}

export function json(server: TestServer, method: 'GET' | 'POST', url: string, payload?: unknown, extra: { remoteAddress?: string } = {}): Promise<LightMyRequestResponse> {
  return server.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }), ...extra })
}

/** An HTML page answer of the hosted pages: no caching, the page CSP. */
export function expectPage(res: LightMyRequestResponse, status: number, heading: string): void {
  expect(res.statusCode, res.body.slice(0, 2000)).toBe(status)
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
  expect(res.headers['cache-control']).toBe('no-store')
  expect(String(res.headers['content-security-policy'])).toMatch(/^default-src 'none'; style-src 'self';/)
  expect(res.body).toContain(`<h1>${heading}</h1>`)
}
