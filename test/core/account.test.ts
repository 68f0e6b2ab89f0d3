import { describe, expect, it } from 'vitest'
import { endOtherBrowserSessions, endOwnBrowserSession, listBrowserSessions } from '../../src/core/account-sessions.js'
import { findSignedIn, startBrowserSession, type SignedIn } from '../../src/core/browser-session.js'
import { fixedClock } from '../../src/core/clock.js'
import { revokeConsent } from '../../src/core/consent.js'
import { IncorrectPassword, ValidationFailed } from '../../src/core/errors.js'
import type { PasswordHasher } from '../../src/core/password.js'
import { changePasswordInBrowser } from '../../src/core/password-change.js'
import { confirmPassword } from '../../src/core/reauthentication.js'
import { mintRefreshToken } from '../../src/core/refresh-token.js'
import { inMemoryRefreshTokens } from './in-memory-sessions.js'
import { inMemoryBrowserSessions, inMemoryConsents } from './in-memory-sign-in.js'
import { inMemoryUsers } from './in-memory-stores.js'

// The account page's core steps with a frozen clock: which sign-ins it lists and ends, a password
// change that keeps the browser signed in, removing an app's access, typing the password again.

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0, 250)
const POLICY = { idleSeconds: 3600, absoluteSeconds: 86_400 }
const REFRESH = { idleSeconds: 86_400, absoluteSeconds: 7 * 86_400 }
const FROM = { ip: '192.0.2.1', userAgent: 'Mozilla/5.0' }

/** "Hashes" a password as `hashed:<password>`: the rules are under test, not argon2. */
const hasher: PasswordHasher & { verified: number } = {
  verified: 0,
  async hash(password) { return `hashed:${password}` },
  async verify(password, hash) { hasher.verified += 1; return { valid: hash === `hashed:${password}`, needsRehash: false } },
  async verifyDummy() {},
}

async function setup() {
  const clock = fixedClock(NOW)
  const users = inMemoryUsers()
  const browserSessions = inMemoryBrowserSessions()
  const refreshTokens = inMemoryRefreshTokens()
  const consents = inMemoryConsents()
  const john = await users.create({ username: 'johndoe', passwordHash: 'hashed:old password', scopes: ['me'] })
  const bob = await users.create({ username: 'bob', passwordHash: 'hashed:bobs password', scopes: ['me'] })
  const deps = { browserSessions, users, policy: POLICY, clock, refreshTokens }
  const signIn = async (userId = john.id, amr = ['pwd']): Promise<SignedIn & { token: string }> => {
    const { token, session } = await startBrowserSession({ userId, amr, ...FROM }, deps)
    return { token, session, user: (await users.findById(userId))! }
  }
  /** A refresh token an app got through `sessionId` (or none: the password grant). */
  const family = async (userId: string, clientId: string | null, sessionId: string | null = null) => {
    const minted = mintRefreshToken({ userId, clientId, scopes: ['me'], browserSessionId: sessionId }, REFRESH, clock.now())
    return refreshTokens.create(minted.record)
  }
  return { clock, users, browserSessions, refreshTokens, consents, john, bob, deps, signIn, family }
}

describe('listBrowserSessions', () => {
  it('lists the user\'s live sign-ins newest first: none past their idle or absolute end, none ended by tokens-not-before', async () => {
    const { clock, users, john, bob, deps, signIn } = await setup()
    const old = await signIn()
    clock.advance(1000)
    const idle = await signIn()
    clock.advance(10)
    await users.setTokensNotBefore(john.id, Math.floor(old.session.createdAt / 1000) + 1)   // ends `old` (same second as before)
    clock.advance(2000)
    const current = await signIn()
    await signIn(bob.id)
    const listed = await listBrowserSessions({ ...current, user: (await users.findById(john.id))! }, deps)
    expect(listed.map((s) => s.id)).toEqual([current.session.id, idle.session.id])
    clock.advance(POLICY.idleSeconds * 1000 - 2000)                                          // idle's lifetime is over, current's not
    expect((await listBrowserSessions({ ...current, user: (await users.findById(john.id))! }, deps)).map((s) => s.id)).toEqual([current.session.id])
  })
})

describe('endOwnBrowserSession and endOtherBrowserSessions', () => {
  it('ends one of the user\'s own sign-ins with the refresh families started from it, and nothing for another user\'s id', async () => {
    const { john, bob, deps, signIn, family, refreshTokens, browserSessions } = await setup()
    const here = await signIn()
    const there = await signIn()
    const bobs = await signIn(bob.id)
    const fromThere = await family(john.id, 'app', there.session.id)
    const fromHere = await family(john.id, 'app', here.session.id)
    expect(await endOwnBrowserSession(here, bobs.session.id, deps)).toBeNull()
    expect(await endOwnBrowserSession(here, 'no-such-id', deps)).toBeNull()
    expect(await endOwnBrowserSession(here, there.session.id, deps)).toEqual({ sessions: 1, refreshTokensRevoked: 1 })
    expect(await browserSessions.findById(there.session.id)).toBeNull()
    expect(refreshTokens.records.get(fromThere.id)?.revokedAt).toBe(NOW)
    expect(refreshTokens.records.get(fromHere.id)?.revokedAt).toBeNull()
    expect(await browserSessions.findById(bobs.session.id)).not.toBeNull()
  })

  it('ends every other sign-in of the user, keeping this one and everyone else\'s', async () => {
    const { bob, deps, signIn, family, refreshTokens, browserSessions, john } = await setup()
    const here = await signIn()
    const others = [await signIn(), await signIn()]
    const bobs = await signIn(bob.id)
    const tokens = [await family(john.id, 'a', others[0]!.session.id), await family(john.id, 'b', others[1]!.session.id), await family(john.id, 'c', here.session.id)]
    expect(await endOtherBrowserSessions(here, deps)).toEqual({ sessions: 2, refreshTokensRevoked: 2 })
    expect((await browserSessions.listForUser(john.id)).map((s) => s.id)).toEqual([here.session.id])
    expect(await browserSessions.findById(bobs.session.id)).not.toBeNull()
    expect(tokens.map((t) => refreshTokens.records.get(t.id)?.revokedAt)).toEqual([NOW, NOW, null])
    expect(await endOtherBrowserSessions(here, deps)).toEqual({ sessions: 0, refreshTokensRevoked: 0 })
  })
})

describe('changePasswordInBrowser', () => {
  const change = { current_password: 'old password', new_password: 'new password 123' }

  it('stores the new hash, ends every session and refresh token, and starts this browser a new sign-in that findSignedIn accepts', async () => {
    const { users, john, deps, signIn, family, refreshTokens, browserSessions } = await setup()
    const here = await signIn(john.id, ['pwd', 'otp', 'mfa'])
    const elsewhere = await signIn()
    const token = await family(john.id, null)
    const next = await changePasswordInBrowser(here, change, FROM, { ...deps, hasher, passwordMaxBytes: 1024, refreshPolicy: REFRESH })
    const user = (await users.findById(john.id))!
    expect(user.passwordHash).toBe('hashed:new password 123')
    expect(user.tokensNotBefore).toBe(Math.floor(NOW / 1000) + 1)
    expect(refreshTokens.records.get(token.id)?.revokedAt).toBe(NOW)
    expect(await findSignedIn(here.token, deps)).toBeNull()
    expect(await findSignedIn(elsewhere.token, deps)).toBeNull()
    expect(next.token).not.toBe(here.token)
    expect(next.session).toMatchObject({ userId: john.id, amr: ['pwd', 'otp', 'mfa'], ip: FROM.ip, userAgent: FROM.userAgent, createdAt: user.tokensNotBefore! * 1000 })
    expect((await findSignedIn(next.token, deps))?.session.id).toBe(next.session.id)
    expect((await browserSessions.listForUser(john.id)).map((s) => s.id)).toEqual([next.session.id])
  })

  it('refuses a wrong current password, a new one under the policy, and the same one, changing nothing', async () => {
    const { users, john, deps, signIn } = await setup()
    const here = await signIn()
    const run = (request: typeof change) => changePasswordInBrowser(here, request, FROM, { ...deps, hasher, passwordMaxBytes: 32, refreshPolicy: REFRESH })
      .then(() => expect.unreachable('expected a refusal'), (e: unknown) => e)
    expect(await run({ ...change, current_password: 'wrong' })).toBeInstanceOf(IncorrectPassword)
    const verified = hasher.verified
    for (const request of [{ ...change, new_password: 'short' }, { ...change, new_password: 'x'.repeat(33) }, { ...change, current_password: 'y'.repeat(33) }]) {
      expect(await run(request)).toBeInstanceOf(ValidationFailed)
    }
    expect(hasher.verified).toBe(verified)                                   // policy before any hashing
    expect(await run({ ...change, new_password: 'old password' })).toBeInstanceOf(ValidationFailed)
    expect((await users.findById(john.id))?.passwordHash).toBe('hashed:old password')
    expect(await findSignedIn(here.token, deps)).not.toBeNull()
  })
})

describe('revokeConsent', () => {
  it('forgets what the user allowed the app and revokes the user\'s refresh families with it, and only those', async () => {
    const { clock, consents, refreshTokens, john, bob, family } = await setup()
    await consents.grant(john.id, 'app', ['openid'], NOW)
    await consents.grant(john.id, 'other', ['openid'], NOW)
    await consents.grant(bob.id, 'app', ['openid'], NOW)
    const tokens = [await family(john.id, 'app'), await family(john.id, 'other'), await family(bob.id, 'app'), await family(john.id, null)]
    expect(await revokeConsent(john.id, 'app', { consents, refreshTokens, clock })).toEqual({ revoked: true, refreshTokensRevoked: 1 })
    expect(await consents.find(john.id, 'app')).toBeNull()
    expect(await consents.find(john.id, 'other')).not.toBeNull()
    expect(await consents.find(bob.id, 'app')).not.toBeNull()
    expect(tokens.map((t) => refreshTokens.records.get(t.id)?.revokedAt)).toEqual([NOW, null, null, null])
    expect(await revokeConsent(john.id, 'app', { consents, refreshTokens, clock })).toEqual({ revoked: false, refreshTokensRevoked: 0 })
  })
})

describe('confirmPassword', () => {
  it('accepts the user\'s password, refuses any other with IncorrectPassword and an oversized one before hashing', async () => {
    const { john } = await setup()
    await expect(confirmPassword(john, 'old password', { hasher, passwordMaxBytes: 64 })).resolves.toBeUndefined()
    await expect(confirmPassword(john, 'Old password', { hasher, passwordMaxBytes: 64 })).rejects.toBeInstanceOf(IncorrectPassword)
    const verified = hasher.verified
    await expect(confirmPassword(john, 'x'.repeat(65), { hasher, passwordMaxBytes: 64 })).rejects.toBeInstanceOf(ValidationFailed)
    expect(hasher.verified).toBe(verified)
  })
})
