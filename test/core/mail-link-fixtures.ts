import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { fixedClock } from '../../src/core/clock.js'
import type { MailKind, MailMessage, Mailer } from '../../src/core/mail.js'
import type { PasswordHasher } from '../../src/core/password.js'
import type { Store } from '../../src/core/ports.js'
import type { NewUser, UserRecord } from '../../src/core/user.js'
import { openStore } from '../../src/storage/index.js'

// What the mailed-link flows' unit tests share: the real stores on a SQLite file (the single-use
// rules are conditional updates, worth running for real), a frozen clock and a mailer that keeps
// what it was asked to send.

export const NOW = Date.UTC(2026, 0, 1, 12)
export const ISSUER = 'https://auth.example.test'

export interface RecordingMailer extends Mailer {
  readonly sent: MailMessage[]
  /** The one mail of `kind` to `to`; throws when there is not exactly one. */
  only(kind: MailKind, to: string): MailMessage
}

export function recordingMailer(enabled = true): RecordingMailer {
  const sent: MailMessage[] = []
  return {
    enabled,
    sent,
    enqueue(message) { sent.push(message) },
    only(kind, to) {
      const found = sent.filter((m) => m.kind === kind && m.to === to)
      if (found.length !== 1) throw new Error(`expected one ${kind} mail to ${to}, got ${found.length} (of ${sent.map((m) => `${m.kind}→${m.to}`).join(', ')})`)
      return found[0] as MailMessage
    },
  }
}

/** The token of the link to `path` in a mail's text (what a user would click). */
export function tokenIn(message: MailMessage, path: string): string {
  const link = message.text.match(/https?:\/\/\S+/g)?.map((l) => new URL(l)).find((url) => url.pathname === path)
  const token = link?.searchParams.get('token')
  if (token === null || token === undefined) throw new Error(`no link to ${path} in the ${message.kind} mail`)
  expect(link?.origin).toBe(new URL(ISSUER).origin)
  return token
}

/** Hashes are `hashed:<password>`: the flows' rules are under test, not argon2. */
export function fakeHasher(): PasswordHasher & { hashed: string[] } {
  const hashed: string[] = []
  return {
    hashed,
    async hash(password) { hashed.push(password); return `hashed:${password}` },
    async verify(password, hash) { return { valid: hash === `hashed:${password}`, needsRehash: false } },
    async verifyDummy() {},
  }
}

export interface Fixture {
  store: Store
  clock: ReturnType<typeof fixedClock>
  mailer: RecordingMailer
  account(username: string, extra?: Partial<NewUser>): Promise<UserRecord>
  close(): Promise<void>
}

export async function openFixture(options: { mail?: boolean } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-mail-links-'))
  const store = await openStore(`sqlite:${join(dir, 'tessera.db')}`)
  return {
    store,
    clock: fixedClock(NOW),
    mailer: recordingMailer(options.mail ?? true),
    account: (username, extra = {}) => store.users.create({ username, passwordHash: 'hashed:old password', scopes: ['me'], ...extra }),
    async close() {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
