import { readdirSync, readFileSync, statSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { fixedClock, resetPasswordMail, type MailMessage } from '../../src/core/index.js'
import { createMailer, type ServerMailer } from '../../src/mail/index.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'

// The server's mailer (issue 10 part 1) against a real SMTP server in this process: mail goes out
// off the caller's path, temporary refusals are retried a bounded number of times, final ones are
// not, and what is logged and counted names the kind of mail only — never the recipient or the link.

const LINK = 'http://tessera.test/password/reset?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const message: MailMessage = resetPasswordMail({ productName: 'Tessera', to: 'ada@example.com', link: LINK, minutes: 30 })

interface Logged { level: string; fields: Record<string, unknown>; msg: string }

function recorder() {
  const lines: Logged[] = []
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => { lines.push({ level, fields, msg }) }
  const counts = { sent: 0, failed: 0 }
  return {
    lines, counts,
    logger: { info: at('info'), warn: at('warn'), error: at('error') } as never,
    metrics: { mailSent: () => { counts.sent += 1 }, mailFailed: () => { counts.failed += 1 } },
  }
}

let sink: SmtpSink | undefined
let mailer: ServerMailer | null = null
let dir: string | undefined
afterEach(async () => {
  await mailer?.close(1000)
  await sink?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
  sink = undefined; mailer = null; dir = undefined
})

function smtpMailer(url: string, rec: ReturnType<typeof recorder>): ServerMailer {
  const made = createMailer({ smtpUrl: url, mailDir: null, mailFrom: 'Tessera <no-reply@tessera.test>' }, {
    logger: rec.logger, metrics: rec.metrics, clock: fixedClock(0), retryDelaysMs: [20, 40],
  })
  if (made === null) throw new Error('no mailer')
  return made
}

describe('SMTP', () => {
  it('returns at once and delivers text + HTML from TESSERA_MAIL_FROM, marked auto-generated', async () => {
    sink = await startSmtpSink()
    const rec = recorder()
    mailer = smtpMailer(sink.url, rec)
    expect(mailer.description).toBe(`SMTP ${sink.url}`)
    mailer.enqueue(message)
    expect(sink.messages).toHaveLength(0)                                   // nothing waited for the server
    const mail = await sink.waitFor((m) => m.to === 'ada@example.com')
    expect(mail).toMatchObject({ from: 'no-reply@tessera.test', subject: 'Reset your Tessera password' })
    expect(mail.text).toContain(LINK)
    expect(mail.raw).toMatch(/^Auto-Submitted: auto-generated$/m)
    await mailer.flush()
    expect(rec.counts).toEqual({ sent: 1, failed: 0 })
  })

  it('tries a temporary refusal (451) again, and gives up after three attempts, logged and counted, never naming the recipient or the link', async () => {
    sink = await startSmtpSink({ failFirst: 2 })
    const rec = recorder()
    mailer = smtpMailer(sink.url, rec)
    mailer.enqueue(message)
    await sink.waitFor((m) => m.to === 'ada@example.com')
    await mailer.flush()
    expect(sink.refused).toBe(2)
    expect(rec.counts).toEqual({ sent: 1, failed: 0 })
    expect(rec.lines.map((l) => [l.level, l.fields.attempt])).toEqual([['warn', 1], ['warn', 2], ['info', 3]])

    await sink.close()
    sink = await startSmtpSink({ failFirst: Infinity })
    const down = recorder()
    await mailer.close(1000)
    mailer = smtpMailer(sink.url, down)
    mailer.enqueue(message)
    await mailer.flush()
    expect(sink.refused).toBe(3)                                             // bounded: 1 + 2 retries
    expect(down.counts).toEqual({ sent: 0, failed: 1 })
    expect(down.lines.at(-1)).toMatchObject({ level: 'error', fields: { kind: 'reset_password', attempt: 3, responseCode: 451 }, msg: 'mail given up after 3 of 3 attempts' })
    const logged = JSON.stringify([...rec.lines, ...down.lines])
    expect(logged).not.toContain('ada@example.com')
    expect(logged).not.toContain('token=')
  })

  it('does not ask again after a final refusal (5xx)', async () => {
    sink = await startSmtpSink({ failFirst: Infinity, failCode: 550 })
    const rec = recorder()
    mailer = smtpMailer(sink.url, rec)
    mailer.enqueue(message)
    await mailer.flush()
    expect(sink.refused).toBe(1)
    expect(rec.counts).toEqual({ sent: 0, failed: 1 })
    expect(rec.lines).toEqual([{ level: 'error', fields: { kind: 'reset_password', attempt: 1, code: 'EMESSAGE', responseCode: 550 }, msg: 'mail given up after 1 of 3 attempts' }])
  })

  it('counts a server that is not there as failed after its retries, without holding anyone up', async () => {
    const closed = await startSmtpSink()
    const url = closed.url
    await closed.close()
    const rec = recorder()
    mailer = smtpMailer(url, rec)
    const started = Date.now()
    mailer.enqueue(message)
    expect(Date.now() - started).toBeLessThan(50)
    await mailer.flush()
    expect(rec.counts).toEqual({ sent: 0, failed: 1 })
    expect(rec.lines.at(-1)?.fields).toMatchObject({ kind: 'reset_password', attempt: 3, code: 'ESOCKET' })
  })
})

describe('the demo mail folder (TESSERA_MAIL_DIR)', () => {
  it('writes each mail as .eml and .txt, readable by the owner only, the link clickable in the text', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-mail-'))
    const folder = join(dir, 'mail')
    const rec = recorder()
    mailer = createMailer({ smtpUrl: null, mailDir: folder, mailFrom: 'Tessera <no-reply@tessera.test>' }, {
      logger: rec.logger, metrics: rec.metrics, clock: fixedClock(Date.UTC(2026, 0, 1, 9, 30)),
    })
    expect(mailer?.description).toBe(`written to ${folder}`)
    mailer?.enqueue(message)
    mailer?.enqueue(message)
    await mailer?.flush()
    expect(statSync(folder).mode & 0o777).toBe(0o700)
    const files = readdirSync(folder).sort()
    expect(files).toEqual([
      '2026-01-01T09-30-00.000Z-reset_password-2.eml', '2026-01-01T09-30-00.000Z-reset_password-2.txt',
      '2026-01-01T09-30-00.000Z-reset_password.eml', '2026-01-01T09-30-00.000Z-reset_password.txt',
    ])
    for (const file of files) expect(statSync(join(folder, file)).mode & 0o777).toBe(0o600)
    const txt = readFileSync(join(folder, '2026-01-01T09-30-00.000Z-reset_password.txt'), 'utf8')
    expect(txt).toMatch(/^From: Tessera <no-reply@tessera.test>\nTo: ada@example.com\nSubject: Reset your Tessera password\n/)
    expect(txt).toContain(LINK)
    expect(readFileSync(join(folder, files[2] as string), 'utf8')).toMatch(/^Auto-Submitted: auto-generated\r?$/m)
    expect(rec.counts).toEqual({ sent: 2, failed: 0 })
  })

  it('is no mailer at all without SMTP or a folder: mail features off', () => {
    const rec = recorder()
    expect(createMailer({ smtpUrl: null, mailDir: null, mailFrom: 'x@example.com' }, { logger: rec.logger, metrics: rec.metrics, clock: fixedClock(0) })).toBeNull()
  })
})
