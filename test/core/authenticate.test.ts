import { describe, expect, it } from 'vitest'
import { createAccessTokens } from '../../src/core/access-token.js'
import { authenticate } from '../../src/core/authenticate.js'
import { fixedClock } from '../../src/core/clock.js'
import { InactiveUser, InsufficientScope, InvalidToken, NotAuthenticated } from '../../src/core/errors.js'
import { toErrorResponse } from '../../src/core/error-response.js'
import { inMemoryUsers } from './in-memory-stores.js'

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0)
const NOW_S = NOW / 1000

async function setup() {
  const clock = fixedClock(NOW)
  const tokens = createAccessTokens({ secretKey: 'a-test-secret-that-is-long-enough-0123456789', issuer: 'https://auth.example.test', expiresInSeconds: 1800, clock })
  const users = inMemoryUsers()
  const user = await users.create({ username: 'johndoe', passwordHash: '$argon2id$unused' })
  const bearer = (scopes: string[], subject = user.id) => `Bearer ${tokens.issue(subject, scopes).token}`
  return { clock, tokens, users, user, bearer, deps: { tokens, users } }
}

async function failure(pending: Promise<unknown>): Promise<unknown> {
  return pending.then(() => { throw new Error('expected a failure') }, (e: unknown) => e)
}

describe('authenticate', () => {
  it('returns the user and the verified claims', async () => {
    const { deps, bearer, user } = await setup()
    const result = await authenticate(bearer(['me', 'items']), ['me'], deps)
    expect(result.user).toEqual(user)
    expect(result.claims).toMatchObject({ sub: user.id, scope: ['me', 'items'], iat: NOW_S, exp: NOW_S + 1800 })
  })

  it('needs no scope when none is required', async () => {
    const { deps, bearer } = await setup()
    await expect(authenticate(bearer([]), [], deps)).resolves.toMatchObject({ claims: { scope: [] } })
  })

  it('is not authenticated without Bearer credentials', async () => {
    const { deps } = await setup()
    await expect(authenticate(undefined, ['me'], deps)).rejects.toBeInstanceOf(NotAuthenticated)
    await expect(authenticate('Basic dXNlcjpwYXNz', ['me'], deps)).rejects.toBeInstanceOf(NotAuthenticated)
  })

  it('answers a bad token with InvalidToken carrying the required scopes for the challenge', async () => {
    const { deps } = await setup()
    const err = await failure(authenticate('Bearer not-a-jwt', ['items', 'me'], deps))
    expect(err).toBeInstanceOf(InvalidToken)
    expect(toErrorResponse(err)).toEqual({
      status: 401,
      headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="The access token is invalid", scope="items me"' },
      body: { detail: 'Could not validate credentials' },
    })
  })

  it('treats an expired token as invalid', async () => {
    const { deps, bearer, clock } = await setup()
    const header = bearer(['me'])
    clock.advance((1800 + 31) * 1000)
    await expect(authenticate(header, ['me'], deps)).rejects.toMatchObject({ constructor: InvalidToken, requiredScopes: ['me'] })
  })

  it('treats the token of a deleted user as invalid, exactly like a bad token', async () => {
    const { deps, bearer, users, user } = await setup()
    const header = bearer(['me'])
    await users.delete(user.id)
    const err = await failure(authenticate(header, ['me'], deps))
    expect(toErrorResponse(err)).toEqual(toErrorResponse(await failure(authenticate('Bearer x', ['me'], deps))))
  })

  it('rejects tokens issued before the user\'s tokens-not-before, accepts those issued at or after it', async () => {
    const { deps, bearer, users, user, clock } = await setup()
    const before = bearer(['me'])
    await users.setTokensNotBefore(user.id, NOW_S + 1)
    await expect(authenticate(before, ['me'], deps)).rejects.toMatchObject({ constructor: InvalidToken, requiredScopes: ['me'] })
    clock.advance(1000)
    await expect(authenticate(bearer(['me']), ['me'], deps)).resolves.toMatchObject({ user: { id: user.id } })
  })

  it('refuses a token lacking a required scope with 403 listing all required scopes', async () => {
    const { deps, bearer } = await setup()
    const err = await failure(authenticate(bearer(['me']), ['items', 'me'], deps))
    expect(err).toBeInstanceOf(InsufficientScope)
    expect(toErrorResponse(err)).toEqual({
      status: 403,
      headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="items me"' },
      body: { detail: 'Not enough permissions' },
    })
  })

  it('refuses a disabled user with 400 Inactive user, but only after the scope check', async () => {
    const { deps, bearer, users, user } = await setup()
    await users.setDisabled(user.id, true)
    await expect(authenticate(bearer(['me']), ['items'], deps)).rejects.toBeInstanceOf(InsufficientScope)
    const err = await failure(authenticate(bearer(['me']), ['me'], deps))
    expect(err).toBeInstanceOf(InactiveUser)
    expect(toErrorResponse(err)).toEqual({ status: 400, headers: {}, body: { detail: 'Inactive user' } })
  })

  it('lets errors other than token failures through untouched (a store outage is not a bad token)', async () => {
    const { deps, bearer } = await setup()
    const outage = new Error('database unreachable')
    const users = { ...deps.users, findById: async () => { throw outage } }
    await expect(authenticate(bearer(['me']), ['me'], { ...deps, users })).rejects.toBe(outage)
  })

  it('refuses a token whose jti was revoked, asking the store once when it can answer both at once', async () => {
    const { deps, bearer, tokens, user } = await setup()
    const revoked = new Set<string>()
    const revokedTokens = { isRevoked: async (jti: string) => revoked.has(jti) }
    const header = bearer(['me'])
    const { jti } = tokens.verify(header.slice('Bearer '.length))
    // Two lookups in turn for a store without the combined one...
    await expect(authenticate(header, ['me'], { ...deps, revokedTokens })).resolves.toMatchObject({ user: { id: user.id } })
    revoked.add(jti)
    const err = await failure(authenticate(header, ['me'], { ...deps, revokedTokens }))
    expect(err).toBeInstanceOf(InvalidToken)
    expect((err as InvalidToken).requiredScopes).toEqual(['me'])
    // ...and one call when the user store answers both (the storage backends do).
    const calls: string[] = []
    const users = {
      ...deps.users,
      findById: async () => { throw new Error('not asked') },
      findByIdUnlessRevoked: async (id: string, tokenId: string) => { calls.push(`${id} ${tokenId}`); return revoked.has(tokenId) ? null : deps.users.findById(id) },
    }
    const strict = { ...deps, users, revokedTokens: { isRevoked: async () => { throw new Error('not asked') } } }
    await expect(authenticate(header, ['me'], strict)).rejects.toBeInstanceOf(InvalidToken)
    revoked.clear()
    await expect(authenticate(header, ['me'], strict)).resolves.toMatchObject({ user: { id: user.id } })
    expect(calls).toEqual([`${user.id} ${jti}`, `${user.id} ${jti}`])
  })
})
