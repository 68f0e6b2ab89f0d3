import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createAccessTokens } from '../../src/core/index.js'
import { ISSUER, SECRET_KEY, T0, stableHeaders, startTestServer, type TestServer } from './test-server.js'

// SPEC.md "Protected operations": token → user exists → scopes → disabled, with RFC 6750 challenges.
let server: TestServer

beforeAll(async () => { server = await startTestServer() })
afterAll(async () => { await server.close() })
afterEach(() => { server.clock.set(T0) })

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }

function get(url: string, authorization?: string) {
  return server.app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } })
}

/** The three protected reads, with the scopes each needs as its challenge names them. */
const OPERATIONS = [
  { url: '/users/me', scope: 'me' },
  { url: '/users/me/items', scope: 'items me' },
  { url: '/status', scope: undefined },
] as const

function invalidTokenChallenge(scope: string | undefined): string {
  const base = 'Bearer error="invalid_token", error_description="The access token is invalid"'
  return scope === undefined ? base : `${base}, scope="${scope}"`
}

describe('401 Not authenticated: no usable credentials (WWW-Authenticate: Bearer)', () => {
  const cases: [string, string | undefined][] = [
    ['no Authorization header', undefined],
    ['another scheme', 'Basic am9obmRvZTpzZWNyZXQ='],
    ['an empty token', 'Bearer '],
    ['the scheme alone', 'Bearer'],
    ['a token with spaces inside', 'Bearer abc def'],
  ]
  for (const { url } of OPERATIONS) {
    for (const [name, header] of cases) {
      it(`${url}: ${name}`, async () => {
        const res = await get(url, header)
        expect(res.statusCode).toBe(401)
        expect(stableHeaders(res.headers)).toEqual({ ...JSON_TYPE, 'www-authenticate': 'Bearer' })
        expect(res.json()).toEqual({ detail: 'Not authenticated' })
      })
    }
  }
})

describe('401 Could not validate credentials: a token was sent and failed', () => {
  async function expectInvalid(url: string, scope: string | undefined, header: string) {
    const res = await get(url, header)
    expect(res.statusCode).toBe(401)
    expect(stableHeaders(res.headers)).toEqual({ ...JSON_TYPE, 'www-authenticate': invalidTokenChallenge(scope) })
    expect(res.json()).toEqual({ detail: 'Could not validate credentials' })
  }

  for (const { url, scope } of OPERATIONS) {
    it(`${url}: garbage token, with scope="${scope ?? ''}" in the challenge where the operation needs scopes`, async () => {
      await expectInvalid(url, scope, 'Bearer not-a-jwt')
      await expectInvalid(url, scope, 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')
    })
  }

  it('a token signed with another key', async () => {
    const other = createAccessTokens({ secretKey: `${SECRET_KEY}-other`, issuer: ISSUER, expiresInSeconds: 1800, clock: server.clock })
    await expectInvalid('/users/me', 'me', `Bearer ${other.issue(server.users.johndoe.id, ['me']).token}`)
  })

  it('a token from another issuer', async () => {
    const other = createAccessTokens({ secretKey: SECRET_KEY, issuer: 'http://elsewhere.test', expiresInSeconds: 1800, clock: server.clock })
    await expectInvalid('/users/me', 'me', `Bearer ${other.issue(server.users.johndoe.id, ['me']).token}`)
  })

  it('an expired token (past exp and the clock tolerance)', async () => {
    const header = server.bearer(server.users.johndoe)
    server.clock.advance((1800 + 31) * 1000)
    await expectInvalid('/users/me', 'me', header)
  })

  it('a token still inside its lifetime works', async () => {
    const header = server.bearer(server.users.johndoe)
    server.clock.advance(1799 * 1000)
    expect((await get('/users/me', header)).statusCode).toBe(200)
  })

  it('a token whose user was deleted', async () => {
    const gone = await server.store.users.create({ username: 'gone', passwordHash: server.users.johndoe.passwordHash, scopes: ['me'] })
    const header = server.bearer(gone)
    expect((await get('/users/me', header)).statusCode).toBe(200)
    await server.store.users.delete(gone.id)
    await expectInvalid('/users/me', 'me', header)
  })

  it('a token issued before the user\'s tokens-not-before (logout-all); later tokens work', async () => {
    const carol = await server.store.users.create({ username: 'carol', passwordHash: server.users.johndoe.passwordHash, scopes: ['me'] })
    const before = server.bearer(carol)
    await server.store.users.setTokensNotBefore(carol.id, T0 / 1000 + 1)
    await expectInvalid('/users/me', 'me', before)
    server.clock.advance(2000)
    expect((await get('/users/me', server.bearer(carol))).statusCode).toBe(200)
  })
})

describe('403 Not enough permissions: RFC 6750 §3.1 insufficient_scope', () => {
  it('items needs items and me: a me-only token is refused, naming both', async () => {
    const res = await get('/users/me/items', server.bearer(server.users.johndoe, ['me']))
    expect(res.statusCode).toBe(403)
    expect(stableHeaders(res.headers)).toEqual({ ...JSON_TYPE, 'www-authenticate': 'Bearer error="insufficient_scope", scope="items me"' })
    expect(res.json()).toEqual({ detail: 'Not enough permissions' })
  })

  it('an items-only token is refused on items too (its user dependency needs me)', async () => {
    const res = await get('/users/me/items', server.bearer(server.users.johndoe, ['items']))
    expect(res.statusCode).toBe(403)
    expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="items me"')
  })

  it('/users/me needs me', async () => {
    const res = await get('/users/me', server.bearer(server.users.johndoe, ['items']))
    expect(res.statusCode).toBe(403)
    expect(stableHeaders(res.headers)).toEqual({ ...JSON_TYPE, 'www-authenticate': 'Bearer error="insufficient_scope", scope="me"' })
    expect(res.json()).toEqual({ detail: 'Not enough permissions' })
  })

  it('/status needs no scope: a token with none is enough', async () => {
    const res = await get('/status', server.bearer(server.users.johndoe, []))
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ status: 'ok' })
  })
})

describe('400 Inactive user: checked after the scopes, as the tutorial orders it', () => {
  for (const { url } of OPERATIONS) {
    it(`${url}: a disabled user's valid token`, async () => {
      const res = await get(url, server.bearer(server.users.alice, ['me', 'items']))
      expect(res.statusCode).toBe(400)
      expect(stableHeaders(res.headers)).toEqual(JSON_TYPE)
      expect(res.json()).toEqual({ detail: 'Inactive user' })
    })
  }

  it('a disabled user lacking the scope gets 403, not 400', async () => {
    const res = await get('/users/me/items', server.bearer(server.users.alice, ['me']))
    expect(res.statusCode).toBe(403)
  })
})

describe('200: the current user', () => {
  it('GET /users/me shows public fields only, never the hash', async () => {
    const res = await get('/users/me', server.bearer(server.users.johndoe))
    expect(res.statusCode).toBe(200)
    expect(stableHeaders(res.headers)).toEqual(JSON_TYPE)
    expect(res.json()).toEqual({
      id: server.users.johndoe.id, username: 'johndoe', email: 'johndoe@example.com', email_verified: false, full_name: 'John Doe', disabled: false,
    })
    expect(res.body).not.toContain('argon2')
  })

  it('the scheme is case-insensitive and the trailing slash is the same resource (no redirect)', async () => {
    const token = server.bearer(server.users.johndoe).slice('Bearer '.length)
    for (const url of ['/users/me', '/users/me/']) {
      for (const header of [`bearer ${token}`, `BEARER ${token}`, `Bearer ${token}`]) {
        const res = await get(url, header)
        expect(res.statusCode, `${url} ${header.slice(0, 6)}`).toBe(200)
        expect(res.json().username).toBe('johndoe')
      }
    }
  })

  it('HEAD is guarded like GET', async () => {
    const res = await server.app.inject({ method: 'HEAD', url: '/users/me' })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer')
  })
})
