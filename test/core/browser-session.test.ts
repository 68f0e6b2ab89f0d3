import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  authTimeOf, browserSessionLive, endBrowserSession, findSignedIn, hashSessionToken, startBrowserSession, type BrowserSessionDeps,
} from '../../src/core/browser-session.js'
import { fixedClock } from '../../src/core/clock.js'
import type { BrowserSessionStore } from '../../src/core/ports.js'
import { mintRefreshToken } from '../../src/core/refresh-token.js'
import { tokensNotBeforeAt } from '../../src/core/sessions.js'
import { inMemoryRefreshTokens } from './in-memory-sessions.js'
import { inMemoryBrowserSessions } from './in-memory-sign-in.js'
import { inMemoryUsers } from './in-memory-stores.js'

const NOW = Date.UTC(2026, 0, 1)
const POLICY = { idleSeconds: 3600, absoluteSeconds: 86400 }
const SIGN_IN = { amr: ['pwd'], ip: '192.0.2.1', userAgent: 'Mozilla/5.0' }

async function setup() {
  const clock = fixedClock(NOW)
  const users = inMemoryUsers()
  const store = inMemoryBrowserSessions()
  let lookups = 0
  // Counts lookups by token hash, so a test can see junk never reaches the store.
  const browserSessions: BrowserSessionStore = { ...store, findByTokenHash: async (hash) => { lookups += 1; return store.findByTokenHash(hash) } }
  const user = await users.create({ username: 'johndoe', passwordHash: 'x', scopes: ['me', 'items'] })
  const deps: BrowserSessionDeps = { browserSessions, users, policy: POLICY, clock }
  const start = () => startBrowserSession({ userId: user.id, ...SIGN_IN }, deps)
  return { clock, users, store, user, deps, start, lookups: () => lookups }
}

describe('startBrowserSession', () => {
  it('returns a 256-bit token for the cookie and stores only its SHA-256', async () => {
    const { start, store, user } = await setup()
    const { token, session } = await start()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(token, 'base64url')).toHaveLength(32)
    expect(session.tokenHash).toBe(createHash('sha256').update(token).digest('hex'))
    expect(session.tokenHash).toBe(hashSessionToken(token))
    expect(session.id).not.toBe(token)
    expect(JSON.stringify([...store.records.values()])).not.toContain(token)
    expect(store.records.get(session.id)).toMatchObject({
      userId: user.id, authenticatedAt: NOW, createdAt: NOW, lastSeenAt: NOW, expiresAt: NOW + 86_400_000,
      amr: ['pwd'], ip: '192.0.2.1', userAgent: 'Mozilla/5.0',
    })
  })

  it('gives each sign-in its own token and id', async () => {
    const { start } = await setup()
    const [a, b] = [await start(), await start()]
    expect(a.token).not.toBe(b.token)
    expect(a.session.id).not.toBe(b.session.id)
  })
})

describe('findSignedIn', () => {
  it('finds the session and its account from the cookie value', async () => {
    const { start, deps, user } = await setup()
    const { token, session } = await start()
    expect(await findSignedIn(token, deps)).toEqual({ session, user })
  })

  it('answers null without a lookup for no cookie or a value that cannot be ours', async () => {
    const { start, deps, lookups } = await setup()
    const { token } = await start()
    for (const junk of [undefined, '', 'abc', `${token}x`, token.slice(1), `${token.slice(0, 42)}=`, "' OR 1=1 --"]) {
      expect(await findSignedIn(junk, deps)).toBeNull()
    }
    expect(lookups()).toBe(0)
  })

  it('answers null for a well-formed token that is not a session', async () => {
    const { start, deps, lookups } = await setup()
    await start()
    expect(await findSignedIn('A'.repeat(43), deps)).toBeNull()
    expect(lookups()).toBe(1)
  })

  it('ends a session unused for the idle lifetime, and deletes it', async () => {
    const { start, deps, clock, store } = await setup()
    const { token, session } = await start()
    clock.advance(3600_000 - 1)
    expect(await findSignedIn(token, deps)).not.toBeNull()
    clock.advance(1)
    expect(await findSignedIn(token, deps)).toBeNull()
    expect(store.records.has(session.id)).toBe(false)
  })

  it('restarts the idle lifetime from the last use (touch)', async () => {
    const { start, deps, clock } = await setup()
    const { token, session } = await start()
    clock.advance(3000_000)
    await deps.browserSessions.touch(session.id, clock.now())
    clock.advance(3000_000)                                    // 100 min after the sign-in, 50 after the last use
    expect(await findSignedIn(token, deps)).not.toBeNull()
  })

  it('ends a session at its absolute end however often it is used, and deletes it', async () => {
    const { start, deps, clock, store } = await setup()
    const { token, session } = await start()
    for (let hour = 1; hour <= 24; hour++) {                     // used every hour, the last a minute before the end
      clock.set(NOW + hour * 3600_000 - 60_000)
      await deps.browserSessions.touch(session.id, clock.now())
    }
    clock.set(NOW + 86_400_000 - 1)
    expect(await findSignedIn(token, deps)).not.toBeNull()
    clock.set(NOW + 86_400_000)
    expect(await findSignedIn(token, deps)).toBeNull()
    expect(store.records.has(session.id)).toBe(false)
  })

  it('ends the session of a deleted account', async () => {
    const { start, deps, users, user, store } = await setup()
    const { token, session } = await start()
    await users.delete(user.id)
    expect(await findSignedIn(token, deps)).toBeNull()
    expect(store.records.has(session.id)).toBe(false)
  })

  it('refuses a disabled account but keeps the session: enabling it brings the sign-in back', async () => {
    const { start, deps, users, user, store } = await setup()
    const { token, session } = await start()
    await users.setDisabled(user.id, true)
    expect(await findSignedIn(token, deps)).toBeNull()
    expect(store.records.has(session.id)).toBe(true)
    await users.setDisabled(user.id, false)
    expect(await findSignedIn(token, deps)).toMatchObject({ session: { id: session.id } })
  })

  it('ends sessions begun before a logout everywhere or a password change (tokens-not-before), not those after', async () => {
    const { start, deps, users, user, store, clock } = await setup()
    const before = await start()
    await users.setTokensNotBefore(user.id, tokensNotBeforeAt(clock.now()))
    clock.advance(1000)
    const after = await start()
    expect(await findSignedIn(before.token, deps)).toBeNull()
    expect(store.records.has(before.session.id)).toBe(false)
    expect(await findSignedIn(after.token, deps)).toMatchObject({ session: { id: after.session.id } })
  })

  it('keeps a sign-in made in the same second as a logout everywhere, when it starts from the new tokens-not-before', async () => {
    const { deps, users, user, clock } = await setup()
    clock.advance(250)                                                     // NOW + 0.25 s: tokens-not-before becomes NOW + 1 s
    const notBefore = tokensNotBeforeAt(clock.now())
    await users.setTokensNotBefore(user.id, notBefore)
    clock.advance(100)                                                     // still the same second
    const withIt = await startBrowserSession({ userId: user.id, ...SIGN_IN, notBefore }, deps)
    const without = await startBrowserSession({ userId: user.id, ...SIGN_IN }, deps)
    expect(withIt.session.createdAt).toBe(notBefore * 1000)
    expect(withIt.session.authenticatedAt).toBe(clock.now())              // auth_time stays the real moment
    expect(await findSignedIn(withIt.token, deps)).toMatchObject({ session: { id: withIt.session.id } })
    expect(await findSignedIn(without.token, deps)).toBeNull()            // what issue 9 did: dead on first use
    await users.setTokensNotBefore(user.id, tokensNotBeforeAt(clock.now() + 1000)) // a logout in a later second still ends it
    expect(await findSignedIn(withIt.token, deps)).toBeNull()
  })
})

describe('browserSessionLive', () => {
  const session = { expiresAt: NOW + 10_000, lastSeenAt: NOW } as Parameters<typeof browserSessionLive>[0]
  const policy = { idleSeconds: 5, absoluteSeconds: 10 }

  it('is live strictly before both the idle and the absolute end', () => {
    expect(browserSessionLive(session, NOW + 4_999, policy)).toBe(true)
    expect(browserSessionLive(session, NOW + 5_000, policy)).toBe(false)
    expect(browserSessionLive({ ...session, lastSeenAt: NOW + 9_000 }, NOW + 9_999, policy)).toBe(true)
    expect(browserSessionLive({ ...session, lastSeenAt: NOW + 9_000 }, NOW + 10_000, policy)).toBe(false)
  })
})

describe('authTimeOf', () => {
  it('is the sign-in time in whole epoch seconds (OIDC Core §2 auth_time)', () => {
    expect(authTimeOf({ authenticatedAt: NOW + 1_999 })).toBe(NOW / 1000 + 1)
  })
})

describe('endBrowserSession', () => {
  it('deletes the session and revokes the refresh-token families started from it, not others', async () => {
    const { start, deps, store, user, clock } = await setup()
    const refreshTokens = inMemoryRefreshTokens()
    const ended = await start()
    const other = await start()
    const policy = { idleSeconds: 3600, absoluteSeconds: 86400 }
    const mint = async (browserSessionId: string | null) => {
      const { record } = mintRefreshToken({ userId: user.id, clientId: 'app', scopes: ['openid'], browserSessionId }, policy, NOW)
      await refreshTokens.create(record)
      return record.familyId
    }
    const fromEnded = await mint(ended.session.id)
    const fromOther = await mint(other.session.id)
    const passwordGrant = await mint(null)
    clock.advance(5000)

    expect(await endBrowserSession(ended.session, { browserSessions: deps.browserSessions, refreshTokens, clock })).toBe(1)
    expect(store.records.has(ended.session.id)).toBe(false)
    expect(store.records.has(other.session.id)).toBe(true)
    const revoked = (familyId: string) => [...refreshTokens.records.values()].find((r) => r.familyId === familyId)?.revokedAt
    expect(revoked(fromEnded)).toBe(NOW + 5000)
    expect(revoked(fromOther)).toBeNull()
    expect(revoked(passwordGrant)).toBeNull()
    expect(await findSignedIn(ended.token, deps)).toBeNull()
  })
})
