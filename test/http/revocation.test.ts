import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashRefreshToken } from '../../src/core/index.js'
import { auditEvents, basic, bearerNow, createClient, errorBody, mintRefreshToken, postForm, refresh } from './session-helpers.js'
import { startTestServer, type TestServer } from './test-server.js'

// Issue 3, part 2: POST /revoke (RFC 7009).
let server: TestServer

beforeAll(async () => { server = await startTestServer() })
afterAll(async () => { await server.close() })

function revoke(fields: Record<string, string>, headers: Record<string, string> = {}) {
  return postForm(server, '/revoke', fields, headers)
}

function me(authorization: string) {
  return server.app.inject({ method: 'GET', url: '/users/me', headers: { authorization } })
}

describe('POST /revoke', () => {
  it('a refresh token: 200 with an empty body, and its whole family is revoked', async () => {
    const first = await mintRefreshToken(server, server.users.johndoe)
    const second = (await refresh(server, first)).json().refresh_token
    const res = await revoke({ token: second, token_type_hint: 'refresh_token' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe('')
    expect(res.headers['content-type']).toBeUndefined()
    expect((await refresh(server, second)).json()).toEqual(errorBody('invalid_grant', 'Invalid refresh token'))
    expect((await server.store.refreshTokens.findByHash(hashRefreshToken(first)))?.revokedAt).toBe(server.clock.now())
    expect((await auditEvents(server, 'token.revoked'))[0]).toMatchObject({ userId: server.users.johndoe.id, details: { token_type: 'refresh_token' } })
  })

  it('an access token: refused everywhere from then on (by jti), until it expires; other tokens unaffected', async () => {
    const token = await bearerNow(server, server.users.johndoe)
    const other = await bearerNow(server, server.users.johndoe)
    expect((await me(token)).statusCode).toBe(200)
    const res = await revoke({ token: token.slice('Bearer '.length), token_type_hint: 'access_token' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe('')
    const after = await me(token)
    expect(after.statusCode).toBe(401)
    expect(after.json()).toEqual({ detail: 'Could not validate credentials' })
    expect((await me(other)).statusCode).toBe(200)
    const claims = server.tokens.verify(other.slice('Bearer '.length))
    expect(await server.store.revokedTokens.isRevoked(claims.jti)).toBe(false)
    expect((await auditEvents(server, 'token.revoked'))[0]).toMatchObject({ userId: server.users.johndoe.id, details: { token_type: 'access_token' } })
  })

  it('a wrong hint does not matter: the token is found anyway (§2.1)', async () => {
    const token = await mintRefreshToken(server, server.users.bob)
    expect((await revoke({ token, token_type_hint: 'access_token' })).statusCode).toBe(200)
    expect((await refresh(server, token)).statusCode).toBe(400)
  })

  it.each([
    ['an unknown refresh token', 'A'.repeat(43)],
    ['garbage', 'not-a-token'],
    ['a forged JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA'],
  ])('%s: still 200 with an empty body (no token oracle)', async (_, token) => {
    const res = await revoke({ token })
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe('')
  })

  it('a missing token: 400 invalid_request', async () => {
    const res = await revoke({})
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual(errorBody('invalid_request', 'Missing or invalid parameter: token'))
  })

  it('client credentials, when presented, must be valid: 401 invalid_client', async () => {
    const { client } = await createClient(server, { name: 'revoker' })
    const res = await revoke({ token: await mintRefreshToken(server, server.users.bob) }, basic(client.id, 'wrong'))
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Basic realm="tessera"')
    expect(res.json()).toEqual(errorBody('invalid_client', 'Client authentication failed'))
  })

  it('a token issued to a client is revoked only by that client (400 otherwise, nothing revoked)', async () => {
    const owner = await createClient(server, { name: 'owner', grantTypes: ['password', 'refresh_token'] })
    const stranger = await createClient(server, { name: 'stranger', grantTypes: ['password', 'refresh_token'] })
    const token = await mintRefreshToken(server, server.users.johndoe, { clientId: owner.client.id })
    for (const headers of [{}, basic(stranger.client.id, stranger.secret!)]) {
      const res = await revoke({ token }, headers)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toEqual(errorBody('invalid_request', 'The token was issued to another client'))
    }
    expect((await server.store.refreshTokens.findByHash(hashRefreshToken(token)))?.revokedAt).toBeNull()
    expect((await revoke({ token }, basic(owner.client.id, owner.secret!))).statusCode).toBe(200)
    expect((await server.store.refreshTokens.findByHash(hashRefreshToken(token)))?.revokedAt).toBe(server.clock.now())
  })
})
