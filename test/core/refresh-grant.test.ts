import { describe, expect, it } from 'vitest'
import { createAccessTokens } from '../../src/core/access-token.js'
import { fixedClock } from '../../src/core/clock.js'
import { InvalidGrant, RefreshTokenReused } from '../../src/core/errors.js'
import type { RefreshTokenStore } from '../../src/core/ports.js'
import { refreshGrant, type RefreshGrantDeps } from '../../src/core/refresh-grant.js'
import { hashRefreshToken } from '../../src/core/refresh-token.js'
import { startSession } from '../../src/core/sessions.js'
import { inMemoryRefreshTokens } from './in-memory-sessions.js'
import { inMemoryUsers } from './in-memory-stores.js'

const NOW = Date.UTC(2026, 0, 1)
const POLICY = { idleSeconds: 14 * 86400, absoluteSeconds: 90 * 86400 }

async function setup(wrap: (store: RefreshTokenStore) => RefreshTokenStore = (s) => s) {
  const clock = fixedClock(NOW)
  const users = inMemoryUsers()
  const store = inMemoryRefreshTokens()
  const user = await users.create({ username: 'johndoe', passwordHash: 'x', scopes: ['me', 'items'] })
  const tokens = createAccessTokens({ secretKey: 'a-test-secret-that-is-long-enough-0123456789', issuer: 'https://auth.example.test', expiresInSeconds: 1800, clock })
  const deps: RefreshGrantDeps = { users, tokens, refreshTokens: wrap(store), refreshPolicy: POLICY, clock }
  const token = await startSession({ userId: user.id, clientId: null, scopes: ['me', 'items'] }, null, deps)
  return { deps, store, user, token, tokens }
}

function failure(pending: Promise<unknown>): Promise<unknown> {
  return pending.then(() => { throw new Error('expected a failure') }, (e: unknown) => e)
}

describe('refreshGrant', () => {
  it('issues a new pair in the same family and marks the old token rotated', async () => {
    const { deps, store, user, token, tokens } = await setup()
    const result = await refreshGrant({ refreshToken: token, client: null }, deps)
    expect(result).toMatchObject({ userId: user.id, clientId: null, scopes: ['me', 'items'] })
    expect(tokens.verify(result.response.access_token)).toMatchObject({ sub: user.id, scope: ['me', 'items'] })
    const old = await store.findByHash(hashRefreshToken(token))
    const next = await store.findByHash(hashRefreshToken(result.response.refresh_token!))
    expect(old?.rotatedAt).toBe(NOW)
    expect(next).toMatchObject({ familyId: old?.familyId, expiresAt: old?.expiresAt, rotatedAt: null })
  })

  it('reuse: throws RefreshTokenReused (an invalid_grant) carrying the facts, and revokes the family', async () => {
    const { deps, store, user, token } = await setup()
    const { response } = await refreshGrant({ refreshToken: token, client: null }, deps)
    const error = await failure(refreshGrant({ refreshToken: token, client: null }, deps))
    expect(error).toBeInstanceOf(RefreshTokenReused)
    expect(error).toBeInstanceOf(InvalidGrant)
    expect(error).toMatchObject({ status: 400, code: 'invalid_grant', detail: 'Invalid refresh token', userId: user.id, clientId: null })
    expect([...store.records.values()].every((r) => r.revokedAt === NOW)).toBe(true)
    expect(await failure(refreshGrant({ refreshToken: response.refresh_token!, client: null }, deps))).toBeInstanceOf(InvalidGrant)
  })

  it('a lost race (both read the token before either rotated) is invalid_grant and does NOT revoke the family', async () => {
    // A barrier: neither request gets its lookup answer until both have asked, so both see the token live.
    let release!: () => void
    const bothRead = new Promise<void>((resolve) => { release = resolve })
    let reads = 0
    const { deps, store, token } = await setup((inner) => ({
      ...inner,
      async findByHash(hash) {
        const found = await inner.findByHash(hash)
        reads += 1
        if (reads === 2) release()
        await bothRead
        return found
      },
    }))
    const results = await Promise.allSettled([1, 2].map(() => refreshGrant({ refreshToken: token, client: null }, deps)))
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(1)
    expect(lost[0]!.reason).toBeInstanceOf(InvalidGrant)
    expect(lost[0]!.reason).not.toBeInstanceOf(RefreshTokenReused)
    expect([...store.records.values()].some((r) => r.revokedAt !== null)).toBe(false)
  })

  it('rejects a token minted before the user\'s tokens-not-before even if it escaped revocation', async () => {
    const { deps, user, token } = await setup()
    await deps.users.setTokensNotBefore(user.id, NOW / 1000 + 1)
    expect(await failure(refreshGrant({ refreshToken: token, client: null }, deps))).toMatchObject({ detail: 'Invalid refresh token' })
  })
})
