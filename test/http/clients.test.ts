import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NO_STORE_JSON, auditEvents, basic, createClient, errorBody, postForm } from './session-helpers.js'
import { PASSWORD, stableHeaders, startTestServer, type TestServer } from './test-server.js'

// Issue 3, part 5: registered clients, client authentication (RFC 6749 §2.3) and client_credentials (§4.4).
let server: TestServer
let service: { id: string; secret: string }
let webApp: { id: string; secret: string }
let spa: { id: string }

beforeAll(async () => {
  server = await startTestServer()
  const svc = await createClient(server, { name: 'Billing service', scopes: ['items'] })
  service = { id: svc.client.id, secret: svc.secret! }
  const web = await createClient(server, { name: 'Web app', grantTypes: ['password', 'refresh_token'], scopes: ['me'] })
  webApp = { id: web.client.id, secret: web.secret! }
  spa = { id: (await createClient(server, { name: 'SPA', type: 'public' })).client.id }
})
afterAll(async () => { await server.close() })

const FAILED = errorBody('invalid_client', 'Client authentication failed')
const CHALLENGE = 'Basic realm="tessera"'

describe('grant_type=client_credentials', () => {
  it('issues a token whose sub and client_id are the client, with requested ∩ allowed scopes, and no refresh token', async () => {
    const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(service.id, service.secret))
    expect(res.statusCode).toBe(200)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type'])
    expect(body.scope).toBe('items')
    expect(server.tokens.verify(body.access_token)).toMatchObject({ sub: service.id, client_id: service.id, scope: ['items'] })
    expect((await auditEvents(server, 'client_credentials.issued'))[0]).toMatchObject({ clientId: service.id, userId: null, details: { scope: ['items'] } })

    const narrowed = await postForm(server, '/token', { grant_type: 'client_credentials', scope: 'me items', client_id: service.id, client_secret: service.secret })
    expect(narrowed.json().scope).toBe('items')
  })

  it('a client token cannot act as a user: 401 at /users/me', async () => {
    const token = (await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(service.id, service.secret))).json().access_token
    const res = await server.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } })
    expect(res.statusCode).toBe(401)
  })

  it('needs an authenticated confidential client allowed the grant', async () => {
    const none = await postForm(server, '/token', { grant_type: 'client_credentials' })
    expect(none.statusCode).toBe(401)
    expect(none.headers['www-authenticate']).toBe(CHALLENGE)
    expect(none.json()).toEqual(errorBody('invalid_client', 'Client authentication required'))
    const publicClient = await postForm(server, '/token', { grant_type: 'client_credentials', client_id: spa.id })
    expect(publicClient.statusCode).toBe(400)
    expect(publicClient.json()).toEqual(errorBody('unauthorized_client', 'Only a confidential client may use client_credentials'))
    const notAllowed = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(webApp.id, webApp.secret))
    expect(notAllowed.statusCode).toBe(400)
    expect(notAllowed.json()).toEqual(errorBody('unauthorized_client', 'The client is not allowed to use this grant type'))
  })
})

describe('client authentication at /token', () => {
  it('a wrong secret: 401 invalid_client with a Basic challenge, by either method, audited, no password hashed', async () => {
    server.hasher.calls.verify = 0
    const viaBasic = await postForm(server, '/token', { username: 'johndoe', password: PASSWORD }, basic(webApp.id, 'wrong'))
    expect(viaBasic.statusCode).toBe(401)
    expect(stableHeaders(viaBasic.headers)).toEqual({ ...NO_STORE_JSON, 'www-authenticate': CHALLENGE })
    expect(viaBasic.json()).toEqual(FAILED)
    const viaPost = await postForm(server, '/token', { username: 'johndoe', password: PASSWORD, client_id: webApp.id, client_secret: 'wrong' })
    expect(viaPost.statusCode).toBe(401)
    expect(viaPost.headers['www-authenticate']).toBe(CHALLENGE)
    expect(viaPost.json()).toEqual(FAILED)
    expect(server.hasher.calls.verify).toBe(0)
    const audit = await auditEvents(server, 'client.authentication_failed')
    expect(audit.slice(0, 2).map((e) => [e.clientId, e.details])).toEqual([
      [webApp.id, { endpoint: '/token', reason: 'invalid' }], [webApp.id, { endpoint: '/token', reason: 'invalid' }],
    ])
    expect(JSON.stringify(audit)).not.toContain('wrong')
  })

  it('a bare request where a client is required (no credentials at all) is refused but not audited; a wrong secret is', async () => {
    const count = async () => (await auditEvents(server, 'client.authentication_failed')).length
    const before = await count()
    for (const headers of [{}, { authorization: 'Basic Og==' }] as Record<string, string>[]) {
      const bare = await postForm(server, '/introspect', { token: 'abc' }, headers)
      expect(bare.statusCode).toBe(401)
      expect(bare.json()).toEqual(errorBody('invalid_client', 'Client authentication required'))
      expect((await postForm(server, '/token', { grant_type: 'client_credentials' }, headers)).statusCode).toBe(401)
    }
    expect(await count()).toBe(before)
    expect((await postForm(server, '/introspect', { token: 'abc' }, basic(service.id, 'wrong'))).statusCode).toBe(401)
    const [latest] = await auditEvents(server, 'client.authentication_failed')
    expect(await count()).toBe(before + 1)
    expect(latest).toMatchObject({ clientId: service.id, details: { endpoint: '/introspect', reason: 'invalid' } })
  })

  it('an unknown client and a confidential client without its secret get the same 401', async () => {
    expect((await postForm(server, '/token', { username: 'johndoe', password: PASSWORD, client_id: 'ghost', client_secret: 'x' })).json()).toEqual(FAILED)
    expect((await postForm(server, '/token', { username: 'johndoe', password: PASSWORD, client_id: webApp.id })).json()).toEqual(FAILED)
  })

  it('two methods at once: 400 invalid_request', async () => {
    const res = await postForm(server, '/token', { username: 'johndoe', password: PASSWORD, client_secret: webApp.secret }, basic(webApp.id, webApp.secret))
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual(errorBody('invalid_request', 'Use only one client authentication method'))
  })

  it('Swagger UI\'s empty Basic credentials (Og==) count as no client: the tutorial login works', async () => {
    const res = await postForm(server, '/token', { username: 'johndoe', password: PASSWORD }, { authorization: 'Basic Og==' })
    expect(res.statusCode).toBe(200)
    expect(server.tokens.verify(res.json().access_token).client_id).toBeUndefined()
  })

  it('the password grant through a client: tokens carry client_id, scopes are within the client\'s', async () => {
    const res = await postForm(server, '/token', { username: 'johndoe', password: PASSWORD }, basic(webApp.id, webApp.secret))
    expect(res.statusCode).toBe(200)
    expect(res.json().scope).toBe('me')
    expect(server.tokens.verify(res.json().access_token)).toMatchObject({ sub: server.users.johndoe.id, client_id: webApp.id, scope: ['me'] })
    const viaPublic = await postForm(server, '/token', { username: 'johndoe', password: PASSWORD, client_id: spa.id })
    expect(server.tokens.verify(viaPublic.json().access_token).client_id).toBe(spa.id)
  })

  it('a client not allowed the password grant: 400 unauthorized_client before any hashing', async () => {
    server.hasher.calls.verify = 0
    const res = await postForm(server, '/token', { username: 'johndoe', password: PASSWORD }, basic(service.id, service.secret))
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual(errorBody('unauthorized_client', 'The client is not allowed to use this grant type'))
    expect(server.hasher.calls.verify).toBe(0)
  })
})

describe('TESSERA_REQUIRE_CLIENT=true', () => {
  let strict: TestServer
  beforeAll(async () => { strict = await startTestServer({ config: { requireClient: true } }) })
  afterAll(async () => { await strict.close() })

  it('refuses a login without a client (401 invalid_client), accepts one with', async () => {
    const without = await postForm(strict, '/token', { username: 'johndoe', password: PASSWORD })
    expect(without.statusCode).toBe(401)
    expect(without.headers['www-authenticate']).toBe(CHALLENGE)
    expect(without.json()).toEqual(errorBody('invalid_client', 'Client authentication required'))
    const app = await createClient(strict, { name: 'SPA', type: 'public' })
    const withClient = await postForm(strict, '/token', { username: 'johndoe', password: PASSWORD, client_id: app.client.id })
    expect(withClient.statusCode).toBe(200)
    const revoke = await postForm(strict, '/revoke', { token: withClient.json().refresh_token })
    expect(revoke.statusCode).toBe(401)
  })
})
