import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashRefreshToken } from '../../src/core/index.js'
import {
  NO_STORE_JSON, REFRESH_TOKEN, auditEvents, basic, bearerNow, createClient, errorBody, mintRefreshToken, postForm, refresh,
} from './session-helpers.js'
import { PASSWORD, stableHeaders, startTestServer, type TestServer } from './test-server.js'

// Issue 3, part 1: refresh tokens with rotation and reuse detection (RFC 6749 §6, RFC 9700 §4.14).
let server: TestServer

beforeAll(async () => { server = await startTestServer() })
afterAll(async () => { await server.close() })

const INVALID = errorBody('invalid_grant', 'Invalid refresh token')
const DAY = 24 * 60 * 60 * 1000

describe('the password grant starts a session', () => {
  it('returns a 256-bit refresh token, stored only as its SHA-256, bound to user, client (none) and scopes', async () => {
    const res = await postForm(server, '/token', { username: 'johndoe', password: PASSWORD, scope: 'me' })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.refresh_token).toMatch(REFRESH_TOKEN)
    expect(Buffer.from(body.refresh_token, 'base64url')).toHaveLength(32)
    const stored = await server.store.refreshTokens.findByHash(hashRefreshToken(body.refresh_token))
    expect(stored).toMatchObject({
      userId: server.users.johndoe.id, clientId: null, scopes: ['me'], createdAt: server.clock.now(),
      idleExpiresAt: server.clock.now() + 14 * DAY, expiresAt: server.clock.now() + 90 * DAY, rotatedAt: null, revokedAt: null,
    })
    expect(stored?.tokenHash).toBe(hashRefreshToken(body.refresh_token))
    expect(stored?.tokenHash).not.toContain(body.refresh_token)
  })
})

describe('POST /token grant_type=refresh_token', () => {
  it('rotates: a new pair, the same scopes, never cached; the old token dies', async () => {
    const token = await mintRefreshToken(server, server.users.johndoe)
    const res = await refresh(server, token)
    expect(res.statusCode).toBe(200)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type'])
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 1800, scope: 'me items' })
    expect(body.refresh_token).toMatch(REFRESH_TOKEN)
    expect(body.refresh_token).not.toBe(token)
    expect(server.tokens.verify(body.access_token)).toMatchObject({ sub: server.users.johndoe.id, scope: ['me', 'items'] })
    expect(server.tokens.verify(body.access_token).client_id).toBeUndefined()

    const old = await server.store.refreshTokens.findByHash(hashRefreshToken(token))
    const next = await server.store.refreshTokens.findByHash(hashRefreshToken(body.refresh_token))
    expect(old?.rotatedAt).toBe(server.clock.now())
    expect(next).toMatchObject({ familyId: old?.familyId, expiresAt: old?.expiresAt, rotatedAt: null, revokedAt: null })

    const me = await server.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${body.access_token}` } })
    expect(me.statusCode).toBe(200)
    const audit = await auditEvents(server, 'token.refreshed')
    expect(audit[0]).toMatchObject({ userId: server.users.johndoe.id, clientId: null, details: { scope: ['me', 'items'] } })
  })

  it('replay of a rotated token: 400 invalid_grant, the whole family revoked (the newer token too), audited', async () => {
    const first = await mintRefreshToken(server, server.users.johndoe)
    const second = (await refresh(server, first)).json().refresh_token as string
    const third = (await refresh(server, second)).json().refresh_token as string

    const replay = await refresh(server, first)
    expect(replay.statusCode).toBe(400)
    expect(stableHeaders(replay.headers)).toEqual(NO_STORE_JSON)
    expect(replay.json()).toEqual(INVALID)

    // The legitimate holder's current token is dead as well: the thief's copy and theirs alike.
    expect((await refresh(server, third)).json()).toEqual(INVALID)
    const family = await server.store.refreshTokens.findByHash(hashRefreshToken(third))
    expect(family?.revokedAt).toBe(server.clock.now())
    const audit = await auditEvents(server, 'token.reuse_detected')
    expect(audit[0]).toMatchObject({ userId: server.users.johndoe.id, clientId: null, details: { family_id: family?.familyId } })
    // Presenting a token of a revoked family again is plain invalid_grant, not a second alarm.
    expect((await refresh(server, first)).json()).toEqual(INVALID)
    expect(await auditEvents(server, 'token.reuse_detected')).toHaveLength(audit.length)
  })

  it('concurrent refreshes with one token: exactly one 200, every other answer invalid_grant', async () => {
    const token = await mintRefreshToken(server, server.users.johndoe)
    const answers = await Promise.all(Array.from({ length: 5 }, () => refresh(server, token)))
    const won = answers.filter((r) => r.statusCode === 200)
    const lost = answers.filter((r) => r.statusCode !== 200)
    expect(won).toHaveLength(1)
    expect(lost.map((r) => [r.statusCode, r.json()])).toEqual(Array.from({ length: 4 }, () => [400, INVALID]))
    // Exactly one new token was minted in the family (whether the family survives depends on
    // whether a loser read the token after the rotation: that is reuse; see test/core/refresh-grant.test.ts).
    const old = await server.store.refreshTokens.findByHash(hashRefreshToken(token))
    expect(old?.rotatedAt).toBe(server.clock.now())
    expect(await server.store.refreshTokens.findByHash(hashRefreshToken(won[0]!.json().refresh_token))).toMatchObject({ familyId: old?.familyId })
  })

  it('narrows the scope on request, and the refresh token keeps the original grant (RFC 6749 §6)', async () => {
    const token = await mintRefreshToken(server, server.users.johndoe)
    const narrowed = await refresh(server, token, { scope: 'items' })
    expect(narrowed.statusCode).toBe(200)
    expect(narrowed.json().scope).toBe('items')
    expect(server.tokens.verify(narrowed.json().access_token).scope).toEqual(['items'])
    const again = await refresh(server, narrowed.json().refresh_token)
    expect(again.json().scope).toBe('me items')
  })

  it('never widens: a scope outside the original grant is 400 invalid_scope, and the token is not spent', async () => {
    const token = await mintRefreshToken(server, server.users.johndoe, { scopes: ['me'] })
    const widened = await refresh(server, token, { scope: 'me items' })
    expect(widened.statusCode).toBe(400)
    expect(widened.json()).toEqual(errorBody('invalid_scope', 'Requested scope exceeds the original grant'))
    const unknown = await refresh(server, token, { scope: 'admin' })
    expect(unknown.json()).toEqual(errorBody('invalid_scope', 'Unknown scope requested'))
    expect((await refresh(server, token)).json().scope).toBe('me')
  })

  it('grants no more than the user is allowed today', async () => {
    const carol = await server.store.users.create({ username: 'carol', passwordHash: server.users.bob.passwordHash, scopes: ['me', 'items'] })
    const token = await mintRefreshToken(server, carol)
    await server.store.users.update(carol.id, { scopes: ['me'] })
    const res = await refresh(server, token)
    expect(res.json().scope).toBe('me')
  })

  it('a disabled user cannot refresh: 400 invalid_grant "Inactive user"', async () => {
    const dave = await server.store.users.create({ username: 'dave', passwordHash: server.users.bob.passwordHash })
    const token = await mintRefreshToken(server, dave)
    await server.store.users.setDisabled(dave.id, true)
    const res = await refresh(server, token)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual(errorBody('invalid_grant', 'Inactive user'))
  })

  it('a deleted user\'s refresh tokens go with the account', async () => {
    const erin = await server.store.users.create({ username: 'erin', passwordHash: server.users.bob.passwordHash })
    const token = await mintRefreshToken(server, erin)
    await server.store.users.delete(erin.id)
    expect(await server.store.refreshTokens.findByHash(hashRefreshToken(token))).toBeNull()
    expect((await refresh(server, token)).json()).toEqual(INVALID)
  })

  it('expires after the idle lifetime unused, and at the absolute lifetime however often it is refreshed', async () => {
    const idle = await mintRefreshToken(server, server.users.johndoe)
    let live = await mintRefreshToken(server, server.users.johndoe)
    const start = server.clock.now()
    try {
      server.clock.set(start + 13 * DAY)
      live = (await refresh(server, live)).json().refresh_token
      server.clock.set(start + 14 * DAY)
      expect((await refresh(server, idle)).json()).toEqual(INVALID) // 14 days unused
      for (const day of [26, 39, 52, 65, 78, 89]) {                    // each use restarts the idle clock
        server.clock.set(start + day * DAY)
        const res = await refresh(server, live)
        expect(res.statusCode, `day ${day}`).toBe(200)
        live = res.json().refresh_token
      }
      server.clock.set(start + 90 * DAY)
      expect((await refresh(server, live)).json()).toEqual(INVALID) // 90 days since the login
    } finally {
      server.clock.set(start)
    }
  })

  it('unknown, malformed and missing tokens', async () => {
    expect((await refresh(server, 'A'.repeat(43))).json()).toEqual(INVALID)
    expect((await refresh(server, 'not a token at all')).json()).toEqual(INVALID)
    const missing = await postForm(server, '/token', { grant_type: 'refresh_token' })
    expect(missing.statusCode).toBe(400)
    expect(missing.json()).toEqual(errorBody('invalid_request', 'Missing refresh_token parameter'))
    expect(server.hasher.calls.verify + server.hasher.calls.verifyDummy).toBeLessThan(10) // no password work for refreshes
  })

  it('a token issued to a client is refreshed only by that client (RFC 6749 §6)', async () => {
    const { client, secret } = await createClient(server, { name: 'Web app', grantTypes: ['password', 'refresh_token'] })
    const other = await createClient(server, { name: 'Other app', grantTypes: ['password', 'refresh_token'] })
    const token = await mintRefreshToken(server, server.users.johndoe, { clientId: client.id })
    expect((await refresh(server, token)).json()).toEqual(INVALID)                                  // no client
    expect((await refresh(server, token, {}, basic(other.client.id, other.secret!))).json()).toEqual(INVALID) // another client
    const own = await refresh(server, token, {}, basic(client.id, secret!))
    expect(own.statusCode).toBe(200)
    expect(server.tokens.verify(own.json().access_token).client_id).toBe(client.id)
    // ...and a client-less token cannot be taken over by a client either.
    const unbound = await mintRefreshToken(server, server.users.johndoe)
    expect((await refresh(server, unbound, { client_id: client.id, client_secret: secret! })).json()).toEqual(INVALID)
  })

  it('a client not allowed the refresh_token grant gets no refresh token and cannot refresh', async () => {
    const { client, secret } = await createClient(server, { name: 'No refresh', grantTypes: ['password'] })
    const login = await postForm(server, '/token', { username: 'johndoe', password: PASSWORD }, basic(client.id, secret!))
    expect(login.statusCode).toBe(200)
    expect(login.json().refresh_token).toBeUndefined()
    const token = await mintRefreshToken(server, server.users.johndoe, { clientId: client.id })
    const res = await refresh(server, token, {}, basic(client.id, secret!))
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual(errorBody('unauthorized_client', 'The client is not allowed to use this grant type'))
  })

  it('new access tokens keep working after the refresh that issued them is followed by logout elsewhere only until then', async () => {
    const token = await mintRefreshToken(server, server.users.bob)
    const pair = (await refresh(server, token)).json()
    const logout = await server.app.inject({ method: 'POST', url: '/logout', headers: { authorization: await bearerNow(server, server.users.bob) } })
    expect(logout.statusCode).toBe(204)
    expect((await refresh(server, pair.refresh_token)).json()).toEqual(INVALID)
    const me = await server.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${pair.access_token}` } })
    expect(me.statusCode).toBe(401)
  })
})
