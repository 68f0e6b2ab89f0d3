import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startBrowserSession } from '../../src/core/browser-session.js'
import { InvalidLink, ValidationFailed } from '../../src/core/errors.js'
import { findLiveOneTimeToken, issueOneTimeToken } from '../../src/core/one-time-token.js'
import {
  passwordResetAccount, requestPasswordReset, resetPasswordWithLink, type PasswordResetDeps, type PasswordResetRequestDeps,
} from '../../src/core/password-reset.js'
import { hashRefreshToken } from '../../src/core/refresh-token.js'
import { startSession } from '../../src/core/sessions.js'
import { ISSUER, NOW, fakeHasher, openFixture, recordingMailer, tokenIn, type Fixture } from './mail-link-fixtures.js'

// Password reset (issue 10 part 3): a link (30 min, single-use) to the account's address; using
// it sets a new password under the registration policy and ends every session of the account.

let fx: Fixture
let hasher: ReturnType<typeof fakeHasher>
beforeEach(async () => { fx = await openFixture(); hasher = fakeHasher() })
afterEach(async () => { await fx.close() })

function deps(overrides: Partial<PasswordResetDeps & PasswordResetRequestDeps> = {}): PasswordResetDeps & PasswordResetRequestDeps {
  return {
    oneTimeTokens: fx.store.oneTimeTokens, clock: fx.clock, mailer: fx.mailer, issuer: ISSUER, productName: 'Tessera',
    users: fx.store.users, refreshTokens: fx.store.refreshTokens, browserSessions: fx.store.browserSessions, hasher, passwordMaxBytes: 1024,
    ...overrides,
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.unreachable('expected a rejection'), (e: unknown) => e)
}

async function resetLink(email: string): Promise<string> {
  fx.mailer.sent.length = 0
  await requestPasswordReset(email, deps())
  return tokenIn(fx.mailer.sent[0]!, '/password/reset')
}

describe('requestPasswordReset', () => {
  it('mails the account a link to /password/reset, for 30 minutes', async () => {
    const ada = await fx.account('ada', { email: 'ada@example.com' })
    const mailed = await requestPasswordReset('ADA@example.com', deps())
    expect(mailed.map((u) => u.id)).toEqual([ada.id])
    const mail = fx.mailer.only('reset_password', 'ada@example.com')
    const token = tokenIn(mail, '/password/reset')
    expect((await findLiveOneTimeToken(token, 'reset_password', deps()))).toMatchObject({ userId: ada.id, email: 'ada@example.com', expiresAt: NOW + 30 * 60 * 1000 })
    expect(hasher.hashed).toEqual([])                                             // nothing costly for a request anyone can make
  })

  it('mails only the account that verified the address when one did', async () => {
    await fx.account('eve', { email: 'ada@example.com' })
    const ada = await fx.account('ada', { email: 'Ada@Example.com', emailVerified: true })
    expect((await requestPasswordReset('ada@example.com', deps())).map((u) => u.id)).toEqual([ada.id])
    expect(fx.mailer.sent.map((m) => m.to)).toEqual(['Ada@Example.com'])
  })

  it('mails each active account that gave the address when none verified it, at most three, never a disabled one', async () => {
    for (const name of ['one', 'two', 'three', 'four']) await fx.account(name, { email: 'shared@example.com' })
    await fx.account('gone', { email: 'solo@example.com', disabled: true })
    const mailed = (await requestPasswordReset('shared@example.com', deps())).map((u) => u.username)
    expect(mailed).toHaveLength(3)                                               // oldest first; these four were made in one millisecond
    expect(new Set(mailed).size).toBe(3)
    expect(mailed.every((name) => ['one', 'two', 'three', 'four'].includes(name))).toBe(true)
    expect(await requestPasswordReset('solo@example.com', deps())).toEqual([])
    expect(fx.mailer.sent).toHaveLength(3)
  })

  it('mails nothing for an address no account uses, and answers the same way (no error)', async () => {
    await fx.account('ada', { email: 'ada@example.com' })
    expect(await requestPasswordReset('nobody@example.com', deps())).toEqual([])
    expect(fx.mailer.sent).toEqual([])
  })

  it('refuses what is not an address with a 422 on body.email', async () => {
    const err = await rejection(requestPasswordReset('ada@', deps()))
    expect(err).toBeInstanceOf(ValidationFailed)
    expect((err as ValidationFailed).issues[0]?.loc).toEqual(['body', 'email'])
  })

  it('makes the previous link void when a new one is asked for', async () => {
    await fx.account('ada', { email: 'ada@example.com' })
    const first = await resetLink('ada@example.com')
    const second = await resetLink('ada@example.com')
    expect(await rejection(passwordResetAccount(first, deps()))).toBeInstanceOf(InvalidLink)
    expect((await passwordResetAccount(second, deps())).username).toBe('ada')
  })

  it('mails nothing without a mailer', async () => {
    await fx.account('ada', { email: 'ada@example.com' })
    const off = recordingMailer(false)
    expect(await requestPasswordReset('ada@example.com', deps({ mailer: off }))).toEqual([])
    expect(off.sent).toEqual([])
  })
})

describe('resetPasswordWithLink', () => {
  it('sets the new password, ends every session of the account, and says so by mail', async () => {
    const ada = await fx.account('ada', { email: 'ada@example.com' })
    const bob = await fx.account('bob', { email: 'bob@example.com' })
    const policy = { idleSeconds: 3600, absoluteSeconds: 7200 }
    await startBrowserSession({ userId: ada.id, amr: ['pwd'], ip: null, userAgent: null }, { browserSessions: fx.store.browserSessions, policy, clock: fx.clock })
    await startBrowserSession({ userId: bob.id, amr: ['pwd'], ip: null, userAgent: null }, { browserSessions: fx.store.browserSessions, policy, clock: fx.clock })
    const sessionDeps = { refreshTokens: fx.store.refreshTokens, refreshPolicy: { idleSeconds: 3600, absoluteSeconds: 7200 }, clock: fx.clock }
    const refresh = await startSession({ userId: ada.id, clientId: null, scopes: ['me'] }, null, sessionDeps)
    const token = await resetLink('ada@example.com')

    const user = await resetPasswordWithLink({ token, newPassword: 'a brand new password' }, deps())
    expect(user.id).toBe(ada.id)
    const stored = await fx.store.users.findById(ada.id)
    expect(stored?.passwordHash).toBe('hashed:a brand new password')
    expect(stored?.tokensNotBefore).toBe(Math.floor(NOW / 1000) + 1)               // every access token issued until now dies
    expect(await fx.store.browserSessions.listForUser(ada.id)).toEqual([])
    expect(await fx.store.browserSessions.listForUser(bob.id)).toHaveLength(1)
    expect((await fx.store.refreshTokens.findByHash(hashRefreshToken(refresh)))?.revokedAt).toBe(NOW)
    expect(fx.mailer.only('password_reset_done', 'ada@example.com').text).not.toContain(token)
  })

  it('works once: a second use of the link, or a concurrent one, is refused', async () => {
    await fx.account('ada', { email: 'ada@example.com' })
    const token = await resetLink('ada@example.com')
    const results = await Promise.allSettled([
      resetPasswordWithLink({ token, newPassword: 'first new password' }, deps()),
      resetPasswordWithLink({ token, newPassword: 'second new password' }, deps()),
    ])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([expect.any(InvalidLink)])
    expect(await rejection(resetPasswordWithLink({ token, newPassword: 'third new password' }, deps()))).toBeInstanceOf(InvalidLink)
  })

  it('holds the new password to the registration policy before spending the link or hashing', async () => {
    const ada = await fx.account('ada', { email: 'ada@example.com' })
    const token = await resetLink('ada@example.com')
    for (const newPassword of ['tiny', 'x'.repeat(1025), 'nul\0in the middle']) {
      const err = await rejection(resetPasswordWithLink({ token, newPassword }, deps()))
      expect(err).toBeInstanceOf(ValidationFailed)
      expect((err as ValidationFailed).issues[0]?.loc).toEqual(['body', 'new_password'])
      expect(JSON.stringify((err as ValidationFailed).issues)).not.toContain(newPassword)
    }
    expect(hasher.hashed).toEqual([])
    expect((await passwordResetAccount(token, deps())).id).toBe(ada.id)           // still usable
  })

  it('refuses a made-up link before hashing anything', async () => {
    await fx.account('ada', { email: 'ada@example.com' })
    for (const token of ['B'.repeat(43), 'short', undefined]) {
      expect(await rejection(resetPasswordWithLink({ token, newPassword: 'a brand new password' }, deps()))).toBeInstanceOf(InvalidLink)
    }
    expect(hasher.hashed).toEqual([])
  })

  it('refuses a link after 30 minutes, and one for an address the account no longer has', async () => {
    const ada = await fx.account('ada', { email: 'ada@example.com' })
    const late = await resetLink('ada@example.com')
    fx.clock.advance(30 * 60 * 1000)
    expect(await rejection(resetPasswordWithLink({ token: late, newPassword: 'a brand new password' }, deps()))).toBeInstanceOf(InvalidLink)
    const moved = await resetLink('ada@example.com')
    await fx.store.users.update(ada.id, { email: 'ada@elsewhere.example' })
    expect(await rejection(resetPasswordWithLink({ token: moved, newPassword: 'a brand new password' }, deps()))).toBeInstanceOf(InvalidLink)
    expect((await fx.store.users.findById(ada.id))?.passwordHash).toBe('hashed:old password')
  })

  it('ends a sign-in waiting for its second factor: it proved the old password', async () => {
    const ada = await fx.account('ada', { email: 'ada@example.com' })
    const mfa = await issueOneTimeToken({ purpose: 'mfa', userId: ada.id, data: { client_id: null } }, deps())
    await resetPasswordWithLink({ token: await resetLink('ada@example.com'), newPassword: 'a brand new password' }, deps())
    expect(await findLiveOneTimeToken(mfa.token, 'mfa', deps())).toBeNull()
  })

  it('counts the mailbox as proved: the address becomes verified, unless another account verified it first', async () => {
    const ada = await fx.account('ada', { email: 'ada@example.com' })
    expect((await resetPasswordWithLink({ token: await resetLink('ada@example.com'), newPassword: 'a brand new password' }, deps())).emailVerified).toBe(true)
    expect((await fx.store.users.findById(ada.id))?.emailVerified).toBe(true)

    const eve = await fx.account('eve', { email: 'eve@example.com' })
    const token = await resetLink('eve@example.com')
    await fx.account('real', { email: 'EVE@example.com', emailVerified: true })     // verified it after eve asked for the link
    const reset = await resetPasswordWithLink({ token, newPassword: 'a brand new password' }, deps())
    expect(reset).toMatchObject({ id: eve.id, emailVerified: false, passwordHash: 'hashed:a brand new password' })
  })
})
