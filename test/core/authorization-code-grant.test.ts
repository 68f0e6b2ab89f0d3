import { beforeAll, describe, expect, it } from 'vitest'
import { createAccessTokens } from '../../src/core/access-token.js'
import { AUTHORIZATION_CODE_SECONDS, hashAuthorizationCode, issueAuthorizationCode } from '../../src/core/authorization-code.js'
import { authorizationCodeGrant, type CodeGrantDeps, type CodeGrantRequest } from '../../src/core/authorization-code-grant.js'
import { resolveAuthorizationTarget, validateAuthorizationRequest } from '../../src/core/authorization-request.js'
import { startBrowserSession } from '../../src/core/browser-session.js'
import { fixedClock } from '../../src/core/clock.js'
import { AuthorizationCodeReused, InvalidClient, InvalidGrant, InvalidRequest, InvalidTarget, UnauthorizedClient } from '../../src/core/errors.js'
import { createIdTokens, tokenHash } from '../../src/core/id-token.js'
import { s256Challenge } from '../../src/core/pkce.js'
import type { AuthorizationCodeStore, ClientRecord, NewClient } from '../../src/core/ports.js'
import { hashRefreshToken } from '../../src/core/refresh-token.js'
import { fixedSigningKeys } from '../../src/core/signing-key-ring.js'
import { buildKeySet, generateSigningKey, type KeySet } from '../../src/core/signing-keys.js'
import { inMemoryClients, inMemoryRefreshTokens } from './in-memory-sessions.js'
import { inMemoryAuthorizationCodes, inMemoryBrowserSessions } from './in-memory-sign-in.js'
import { inMemoryUsers } from './in-memory-stores.js'

const NOW = Date.UTC(2026, 0, 1)
const ISSUER = 'https://auth.example.test'
const REDIRECT_URI = 'https://app.example.com/callback'
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'            // RFC 7636 Appendix B
const CHALLENGE = s256Challenge(VERIFIER)

const APP: NewClient = {
  id: 'app', name: 'App', type: 'public', secretHash: null, grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['openid', 'profile', 'email', 'offline_access', 'me', 'items'],
  redirectUris: [REDIRECT_URI, 'http://127.0.0.1/callback'], resources: ['https://api.example.com', 'https://other.example.com'],
  idTokenSignedResponseAlg: 'EdDSA',
}
// Registered with the same redirect URI: a code stolen from APP must be useless to it.
const OTHER: NewClient = { ...APP, id: 'other', name: 'Other' }

let keys: KeySet
beforeAll(() => { keys = buildKeySet([generateSigningKey('EdDSA', { status: 'active', createdAt: NOW, purpose: 'id_token' })]) })

async function setup(wrapCodes: (store: AuthorizationCodeStore) => AuthorizationCodeStore = (s) => s) {
  const clock = fixedClock(NOW)
  const users = inMemoryUsers()
  const clients = inMemoryClients()
  const browserSessions = inMemoryBrowserSessions()
  const codes = inMemoryAuthorizationCodes()
  const refreshTokens = inMemoryRefreshTokens()
  const revoked = new Map<string, number>()
  for (const c of [APP, OTHER, { ...APP, id: 'no-refresh', grantTypes: ['authorization_code'] }]) await clients.create(c)
  const user = await users.create({ username: 'johndoe', passwordHash: 'x', scopes: ['me', 'items'] })
  const { session } = await startBrowserSession(
    { userId: user.id, amr: ['pwd'], ip: null, userAgent: null }, { browserSessions, policy: { idleSeconds: 3600, absoluteSeconds: 86400 }, clock },
  )
  const tokens = createAccessTokens({ secretKey: 'a-test-secret-that-is-long-enough-0123456789', issuer: ISSUER, expiresInSeconds: 1800, clock })
  const idTokens = createIdTokens({
    issuer: ISSUER, expiresInSeconds: 600, clock, keys: fixedSigningKeys(keys), provideSigner: async () => { throw new Error('unused') },
  })
  const deps: CodeGrantDeps = {
    users, browserSessions, tokens, idTokens, refreshTokens, clock, authorizationCodes: wrapCodes(codes),
    refreshPolicy: { idleSeconds: 86400, absoluteSeconds: 30 * 86400 },
    revokedTokens: { revoke: async (jti, expiresAt) => { revoked.set(jti, expiresAt) } },
  }

  /** A code as /authorize would issue it after sign-in and consent. */
  async function code(overrides: Record<string, string> = {}): Promise<string> {
    const params = new URLSearchParams({
      client_id: 'app', redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid profile offline_access me items', state: 'xyz',
      nonce: 'n-0S6', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...overrides,
    })
    const request = validateAuthorizationRequest(params, await resolveAuthorizationTarget(params, clients))
    return issueAuthorizationCode(request, { session, user }, { authorizationCodes: codes, clock })
  }

  const app = (await clients.findById('app')) as ClientRecord
  const exchange = async (value: string, fields: Partial<CodeGrantRequest> = {}) =>
    authorizationCodeGrant({ code: value, redirectUri: REDIRECT_URI, codeVerifier: VERIFIER, client: app, ...fields }, deps)
  const stored = (value: string) => [...codes.records.values()].find((c) => c.codeHash === hashAuthorizationCode(value))

  return { clock, users, clients, browserSessions, refreshTokens, revoked, user, session, deps, code, exchange, stored, tokens, app }
}

async function failure(pending: Promise<unknown>): Promise<unknown> {
  return pending.then(() => { throw new Error('expected a failure') }, (e: unknown) => e)
}

async function invalidCode(pending: Promise<unknown>): Promise<void> {
  const error = await failure(pending)
  expect(error).toBeInstanceOf(InvalidGrant)
  expect(error).toMatchObject({ status: 400, code: 'invalid_grant', detail: 'Invalid authorization code' })
}

function payloadOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>
}

describe('authorizationCodeGrant: the exchange (RFC 6749 §4.1.3, OIDC Core §3.1.3)', () => {
  it('buys an access token, a refresh token and an id_token, and records what it issued on the code', async () => {
    const { code, exchange, stored, tokens, user, session, refreshTokens } = await setup()
    const value = await code()
    const result = await exchange(value)
    expect(result).toMatchObject({ userId: user.id, clientId: 'app', scopes: ['openid', 'profile', 'offline_access', 'me', 'items'] })
    const { response } = result
    expect(response).toMatchObject({ token_type: 'bearer', expires_in: 1800, scope: 'openid profile offline_access me items' })
    const claims = tokens.verify(response.access_token)
    expect(claims).toMatchObject({ sub: user.id, client_id: 'app' })
    expect(payloadOf(response.id_token as string)).toMatchObject({
      iss: ISSUER, sub: user.id, aud: 'app', azp: 'app', nonce: 'n-0S6', auth_time: NOW / 1000, amr: ['pwd'], sid: session.id,
      at_hash: tokenHash(response.access_token, 'EdDSA'),
    })
    const refresh = await refreshTokens.findByHash(hashRefreshToken(response.refresh_token as string))
    expect(refresh).toMatchObject({ userId: user.id, clientId: 'app', browserSessionId: session.id, authTime: NOW / 1000 })
    expect(stored(value)).toMatchObject({
      consumedAt: NOW, accessTokenJti: claims.jti, accessTokenExpiresAt: claims.exp * 1000, familyId: refresh?.familyId, replayedAt: null,
    })
  })

  it('gives no refresh token to a client that may not refresh, even with offline_access (OIDC Core §11)', async () => {
    const { code, exchange, clients, stored } = await setup()
    const value = await code({ client_id: 'no-refresh' })
    const { response } = await exchange(value, { client: await clients.findById('no-refresh') })
    expect(response.refresh_token).toBeUndefined()
    expect(response.scope).toContain('offline_access')
    expect(stored(value)?.familyId).toBeNull()
  })

  it('narrows the scopes to what the client and the user still have', async () => {
    const { code, exchange, clients, users, user } = await setup()
    const value = await code()
    await clients.update('app', { scopes: ['openid', 'offline_access', 'me', 'items'] })     // profile removed by an admin
    await users.update(user.id, { scopes: ['me'] })                                            // items taken from the user
    const { response } = await exchange(value, { client: await clients.findById('app') })
    expect(response.scope).toBe('openid offline_access me')
  })
})

describe('authorizationCodeGrant: single use (RFC 6749 §4.1.2)', () => {
  it('a second presentation is refused and revokes the access token (by jti) and the refresh family issued from it', async () => {
    const { code, exchange, stored, revoked, refreshTokens, tokens, user } = await setup()
    const value = await code()
    const { response } = await exchange(value)
    const { jti, exp } = tokens.verify(response.access_token)
    expect(revoked.size).toBe(0)

    const error = await failure(exchange(value))
    expect(error).toBeInstanceOf(AuthorizationCodeReused)
    expect(error).toMatchObject({ code: 'invalid_grant', detail: 'Invalid authorization code', userId: user.id, clientId: 'app' })
    expect(revoked.get(jti)).toBe(exp * 1000)                                   // kept until the token would have expired
    const refresh = await refreshTokens.findByHash(hashRefreshToken(response.refresh_token as string))
    expect(refresh?.revokedAt).toBe(NOW)
    expect(stored(value)?.replayedAt).toBe(NOW)
    await invalidCode(exchange(value))                                          // and any presentation after that
  })

  it('a replay with the wrong verifier or by another client still revokes: the code is burnt either way', async () => {
    const { code, exchange, revoked, clients } = await setup()
    const value = await code()
    await exchange(value)
    const other = await clients.findById('other')
    await expect(exchange(value, { codeVerifier: 'x'.repeat(43), client: other })).rejects.toBeInstanceOf(AuthorizationCodeReused)
    expect(revoked.size).toBe(1)
  })

  it('of two exchanges that race, neither hands out tokens, and what was issued is revoked', async () => {
    // A barrier: neither exchange gets its lookup answer until both have asked, so both see the code unused.
    let release!: () => void
    const bothRead = new Promise<void>((resolve) => { release = resolve })
    let reads = 0
    const { code, exchange, revoked, refreshTokens } = await setup((inner) => ({
      ...inner,
      async findByHash(hash) {
        const found = await inner.findByHash(hash)
        reads += 1
        if (reads === 2) release()
        if (reads <= 2) await bothRead
        return found
      },
    }))
    const value = await code()
    const results = await Promise.allSettled([exchange(value), exchange(value)])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AuthorizationCodeReused)
    expect(revoked.size).toBe(1)
    expect([...refreshTokens.records.values()].every((r) => r.revokedAt !== null)).toBe(true)
  })
})

describe('authorizationCodeGrant: bound to client, redirect URI and verifier', () => {
  it('refuses the code at another client, and the right client can still use it', async () => {
    const { code, exchange, clients } = await setup()
    const value = await code()
    await invalidCode(exchange(value, { client: await clients.findById('other') }))
    await expect(exchange(value)).resolves.toMatchObject({ clientId: 'app' })
  })

  it.each([
    ['with a trailing slash', `${REDIRECT_URI}/`],
    ['in another case', 'https://APP.example.com/callback'],
    ['with a query', `${REDIRECT_URI}?x=1`],
    ['another registered one', 'http://127.0.0.1/callback'],
  ])('refuses a redirect_uri %s (RFC 6749 §4.1.3)', async (_, redirectUri) => {
    const { code, exchange } = await setup()
    const value = await code()
    await invalidCode(exchange(value, { redirectUri }))
    await expect(exchange(value)).resolves.toBeDefined()
  })

  it('binds a native app\'s code to the loopback port it was issued for', async () => {
    const { code, exchange } = await setup()
    const value = await code({ redirect_uri: 'http://127.0.0.1:5000/callback' })
    await invalidCode(exchange(value, { redirectUri: 'http://127.0.0.1:6000/callback' }))
    await invalidCode(exchange(value, { redirectUri: 'http://127.0.0.1/callback' }))
    await expect(exchange(value, { redirectUri: 'http://127.0.0.1:5000/callback' })).resolves.toBeDefined()
  })

  it.each([
    ['another verifier', 'a'.repeat(43)],
    ['the challenge itself (plain)', CHALLENGE],
    ['a verifier too short', VERIFIER.slice(0, 42)],
    ['a verifier with characters outside the set', `${VERIFIER.slice(0, 42)}+`],
  ])('refuses %s (RFC 7636 §4.6)', async (_, codeVerifier) => {
    const { code, exchange } = await setup()
    const value = await code()
    await invalidCode(exchange(value, { codeVerifier }))
    await expect(exchange(value)).resolves.toBeDefined()
  })
})

describe('authorizationCodeGrant: a code lives 60 seconds', () => {
  it('is good until the last millisecond of its minute', async () => {
    const { code, exchange, clock } = await setup()
    expect(AUTHORIZATION_CODE_SECONDS).toBe(60)
    const value = await code()
    clock.advance(60_000 - 1)
    await expect(exchange(value)).resolves.toBeDefined()
  })

  it('is refused from 60 s on, and nothing is revoked (it was never used)', async () => {
    const { code, exchange, clock, revoked, stored } = await setup()
    const value = await code()
    clock.advance(60_000)
    await invalidCode(exchange(value))
    expect(stored(value)?.consumedAt).toBeNull()
    expect(revoked.size).toBe(0)
  })
})

describe('authorizationCodeGrant: refusals', () => {
  it('needs a client, allowed the code flow', async () => {
    const { code, exchange, app } = await setup()
    const value = await code()
    await expect(exchange(value, { client: null })).rejects.toBeInstanceOf(InvalidClient)
    await expect(exchange(value, { client: { ...app, grantTypes: ['password'] } })).rejects.toBeInstanceOf(UnauthorizedClient)
  })

  it.each([
    ['code', { code: undefined }, 'Missing code parameter'],
    ['redirect_uri', { redirectUri: undefined }, 'Missing redirect_uri parameter'],
    ['code_verifier (every code has a challenge, RFC 7636 §4.5)', { codeVerifier: undefined }, 'Missing code_verifier parameter'],
  ])('without %s: invalid_request', async (_, fields, detail) => {
    const { code, exchange } = await setup()
    const value = await code()
    const error = await failure(exchange(value, fields))
    expect(error).toBeInstanceOf(InvalidRequest)
    expect(error).toMatchObject({ detail })
  })

  it('refuses a code that is not one, or not ours, with the same answer', async () => {
    const { exchange } = await setup()
    await invalidCode(exchange('not a code'))
    await invalidCode(exchange('A'.repeat(43)))
  })

  it('refuses the code of a user disabled since: Inactive user', async () => {
    const { code, exchange, users, user } = await setup()
    const value = await code()
    await users.setDisabled(user.id, true)
    await expect(exchange(value)).rejects.toMatchObject({ code: 'invalid_grant', detail: 'Inactive user' })
  })

  it('refuses the code of a user deleted, or signed out everywhere, since', async () => {
    const a = await setup()
    const value = await a.code()
    await a.users.delete(a.user.id)
    await invalidCode(a.exchange(value))

    const b = await setup()
    const other = await b.code()
    await b.users.setTokensNotBefore(b.user.id, NOW / 1000 + 1)
    await invalidCode(b.exchange(other))
  })

  it('refuses the code when the browser signed out between redirect and exchange', async () => {
    const { code, exchange, browserSessions, session } = await setup()
    const value = await code()
    await browserSessions.delete(session.id)
    await invalidCode(exchange(value))
  })
})

describe('authorizationCodeGrant: resource indicators (RFC 8707 §2.2)', () => {
  it('gives the audience asked for at /authorize, or a subset of it asked for at /token', async () => {
    const { code, exchange, tokens } = await setup()
    const first = await code({ resource: 'https://other.example.com' })
    expect(tokens.verify((await exchange(first)).response.access_token, { anyAudience: true }).aud).toEqual(['https://other.example.com'])
    const second = await code({ resource: 'https://api.example.com' })
    await expect(exchange(second, { resources: ['https://other.example.com'] })).rejects.toBeInstanceOf(InvalidTarget)
    const narrowed = await exchange(second, { resources: ['https://api.example.com'] })
    expect(tokens.verify(narrowed.response.access_token, { anyAudience: true }).aud).toEqual(['https://api.example.com'])
  })
})
