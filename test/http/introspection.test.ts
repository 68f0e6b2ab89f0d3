import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basic, bearerNow, createClient, errorBody, mintRefreshToken, postForm, refresh } from './session-helpers.js'
import { ISSUER, startTestServer, type TestServer } from './test-server.js'

// Issue 3, part 4: POST /introspect (RFC 7662) and the RFC 8414 metadata document.
let server: TestServer
let resourceServer: Record<string, string>

beforeAll(async () => {
  server = await startTestServer()
  const { client, secret } = await createClient(server, { name: 'Resource server', scopes: ['items'] })
  resourceServer = basic(client.id, secret!)
})
afterAll(async () => { await server.close() })

const INACTIVE = { active: false }
const NO_STORE_JSON = { 'cache-control': 'no-store', pragma: 'no-cache', 'content-type': 'application/json; charset=utf-8' }

function introspect(token: string, headers: Record<string, string> = resourceServer) {
  return postForm(server, '/introspect', { token }, headers)
}

const raw = (bearer: string) => bearer.slice('Bearer '.length)

describe('POST /introspect', () => {
  it('an active access token: its facts, exactly, never cached', async () => {
    const token = raw(await bearerNow(server, server.users.johndoe, ['me']))
    const claims = server.tokens.verify(token)
    const res = await introspect(token)
    expect(res.statusCode).toBe(200)
    expect(res.headers).toMatchObject(NO_STORE_JSON)
    expect(res.json()).toEqual({
      active: true, sub: server.users.johndoe.id, username: 'johndoe', scope: 'me', exp: claims.exp, iat: claims.iat, token_type: 'Bearer',
    })
  })

  it('an active refresh token: the same fields, token_type refresh_token, exp its next end', async () => {
    const token = await mintRefreshToken(server, server.users.johndoe, { scopes: ['items'] })
    const res = await introspect(token)
    const now = Math.floor(server.clock.now() / 1000)
    expect(res.json()).toEqual({
      active: true, sub: server.users.johndoe.id, username: 'johndoe', scope: 'items', exp: now + 14 * 86400, iat: now, token_type: 'refresh_token',
    })
  })

  it('a client_credentials token: active, sub and client_id the client, no username', async () => {
    const { client, secret } = await createClient(server, { name: 'Worker' })
    const token = (await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(client.id, secret!))).json().access_token
    const claims = server.tokens.verify(token)
    expect((await introspect(token)).json()).toEqual({
      active: true, sub: client.id, scope: 'me items', client_id: client.id, aud: ISSUER, exp: claims.exp, iat: claims.iat, token_type: 'Bearer',
    })
    await server.store.clients.delete(client.id)
    expect((await introspect(token)).json()).toEqual(INACTIVE) // a removed client's tokens are no more
  })

  it('a revoked access token: exactly {"active": false}', async () => {
    const token = raw(await bearerNow(server, server.users.johndoe))
    expect((await postForm(server, '/revoke', { token })).statusCode).toBe(200)
    const res = await introspect(token)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual(INACTIVE)
  })

  it('rotated, revoked, expired, forged, unknown, disabled user and logged-out tokens: all {"active": false}', async () => {
    const rotated = await mintRefreshToken(server, server.users.bob)
    await refresh(server, rotated)
    const revoked = await mintRefreshToken(server, server.users.bob)
    await postForm(server, '/revoke', { token: revoked })
    const expired = server.tokens.issue(server.users.bob.id, ['me'])
    const disabledUser = raw(await bearerNow(server, server.users.alice))
    const forged = `${raw(await bearerNow(server, server.users.bob)).slice(0, -4)}AAAA`
    const dave = await server.store.users.create({ username: 'dave', passwordHash: server.users.bob.passwordHash })
    const loggedOut = raw(await bearerNow(server, dave))
    const loggedOutRefresh = await mintRefreshToken(server, dave)
    await server.app.inject({ method: 'POST', url: '/logout', headers: { authorization: `Bearer ${loggedOut}` } })
    const start = server.clock.now()
    server.clock.set(start + 31 * 60 * 1000)
    try {
      expect((await introspect(expired.token)).json()).toEqual(INACTIVE)
    } finally {
      server.clock.set(start)
    }
    for (const token of [rotated, revoked, disabledUser, forged, 'A'.repeat(43), 'garbage', loggedOut, loggedOutRefresh]) {
      expect((await introspect(token)).json(), token).toEqual(INACTIVE)
    }
  })

  it('requires an authenticated confidential client: 401 invalid_client otherwise', async () => {
    const token = raw(await bearerNow(server, server.users.johndoe))
    const none = await introspect(token, {})
    expect(none.statusCode).toBe(401)
    expect(none.headers['www-authenticate']).toBe('Basic realm="tessera"')
    expect(none.json()).toEqual(errorBody('invalid_client', 'Client authentication required'))
    const { client } = await createClient(server, { name: 'Public', type: 'public' })
    const publicClient = await postForm(server, '/introspect', { token, client_id: client.id })
    expect(publicClient.statusCode).toBe(401)
    expect(publicClient.json()).toEqual(errorBody('invalid_client', 'Client authentication failed'))
    expect((await introspect(token, { authorization: resourceServer.authorization!.slice(0, -4) })).statusCode).toBe(401)
  })

  it('a missing token from an authenticated client: 400 invalid_request', async () => {
    const res = await postForm(server, '/introspect', {}, resourceServer)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual(errorBody('invalid_request', 'Missing or invalid parameter: token'))
  })
})

describe('GET /.well-known/oauth-authorization-server', () => {
  it('describes the endpoints with absolute URLs from the issuer (RFC 8414), and is the OpenID configuration too', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('public, max-age=3600')
    expect(res.json()).toEqual({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      userinfo_endpoint: `${ISSUER}/userinfo`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      revocation_endpoint: `${ISSUER}/revoke`,
      introspection_endpoint: `${ISSUER}/introspect`,
      end_session_endpoint: `${ISSUER}/end-session`,
      scopes_supported: ['openid', 'profile', 'email', 'offline_access', 'me', 'items', 'users:read', 'users:write'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'password', 'refresh_token', 'client_credentials', 'urn:tessera:params:oauth:grant-type:mfa-otp'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256', 'EdDSA', 'ES256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256'],
      claims_supported: [
        'sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'at_hash', 'amr', 'sid', 'name', 'preferred_username', 'updated_at', 'email', 'email_verified',
      ],
      prompt_values_supported: ['none', 'login', 'consent'],
      authorization_response_iss_parameter_supported: true,
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
    })
    const openid = await server.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })
    expect(openid.statusCode).toBe(200)
    expect(openid.json()).toEqual(res.json())                        // OIDC Discovery §4: one issuer, one document
  })

  it('its issuer is the tokens\' iss, and its endpoints answer', async () => {
    const metadata = (await server.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json()
    expect(server.tokens.verify(raw(await bearerNow(server, server.users.johndoe))).iss).toBe(metadata.issuer)
    const jwks = await server.app.inject({ method: 'GET', url: new URL(metadata.jwks_uri).pathname })
    expect(jwks.statusCode).toBe(200)
  })
})
