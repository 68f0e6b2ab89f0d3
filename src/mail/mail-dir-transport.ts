import { mkdirSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import MailComposer from 'nodemailer/lib/mail-composer'
import type { Clock, MailMessage } from '../core/index.js'
import { AUTOMATED_MAIL_HEADERS, type MailTransport } from './transport.js'

/**
 * The demo's mailbox (TESSERA_MAIL_DIR): each mail becomes `<time>-<kind>.eml` (open it in a
 * mail client) and the same name with `.txt` (headers and the text body, links clickable in any
 * editor or terminal). The folder is made at start, readable by this user only: its links sign
 * people in.
 */
export function mailDirTransport(dir: string, from: string, clock: Clock): MailTransport {
  const folder = resolve(dir)
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new Error(`TESSERA_MAIL_DIR: cannot create ${folder} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  return {
    description: `written to ${folder}`,
    async send(message: MailMessage) {
      const date = new Date(clock.now())
      const eml = await new MailComposer({
        from, to: message.to, subject: message.subject, text: message.text, html: message.html, date, headers: { ...AUTOMATED_MAIL_HEADERS },
      }).compile().build()
      const base = await freeName(folder, `${fileTime(date)}-${message.kind}`)
      const txt = [`From: ${from}`, `To: ${message.to}`, `Subject: ${message.subject}`, `Date: ${date.toUTCString()}`, '', message.text].join('\n')
      await writeFile(join(folder, `${base}.txt`), txt, { mode: 0o600 })
      await writeFile(join(folder, `${base}.eml`), eml, { mode: 0o600 })
    },
    close: () => undefined,
  }
}

/** ISO 8601 without colons, which some file systems refuse: `2026-01-01T09-30-00.000Z`. */
function fileTime(date: Date): string {
  return date.toISOString().replaceAll(':', '-')
}

/** `base`, or `base-2`, `base-3`… when two mails of a kind arrive within the same millisecond. */
async function freeName(folder: string, base: string): Promise<string> {
  for (let n = 1; ; n += 1) {
    const name = n === 1 ? base : `${base}-${n}`
    try {
      // Claimed by creating the .txt exclusively, so two sends can never pick the same name.
      await writeFile(join(folder, `${name}.txt`), '', { flag: 'wx', mode: 0o600 })
      return name
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
}
