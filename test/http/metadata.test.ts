import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/http/app.js'
import { FORM, form, stableHeaders, startTestServer, testConfig, type TestServer } from './test-server.js'
import { ISSUER, TestBrowser, authorizeUrl, codeFlowClient, exchangeCode, redirectOf, signInAndAuthorize } from './sign-in-helpers.js'

// Issue 9 part 5: the RFC 8414 document and OIDC Discovery 1.0's openid-configuration. Their exact
// content is asserted in introspection.test.ts and oauth4webapi's strict parsing of them in
// test/interop; here: that both paths serve one document, that it is built right from any issuer,
// and that what it advertises is what the server does — a library configures itself from it alone.

let server: TestServer
let metadata: Record<string, unknown>

beforeAll(async () => {
  server = await startTestServer()
  metadata = (await server.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json()
})
afterAll(async () => { await server.close() })

const list = (name: string): string[] => metadata[name] as string[]
const pathOf = (name: string): string => new URL(metadata[name] as string).pathname

describe('the two well-known documents', () => {
  it('are one document, byte for byte, with the same JSON type and an hour of caching (it changes only on restart)', async () => {
    const openid = await server.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })
    const rfc8414 = await server.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
    for (const res of [openid, rfc8414]) {
      expect(res.statusCode).toBe(200)
      expect(stableHeaders(res.headers)).toEqual({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=3600' })
    }
    expect(openid.body).toBe(rfc8414.body)
    // OIDC Discovery §3 and RFC 8414 §2: the members a relying party needs, as Tessera fills them in.
    expect(metadata).toMatchObject({
      issuer: ISSUER, authorization_endpoint: `${ISSUER}/authorize`, token_endpoint: `${ISSUER}/token`, userinfo_endpoint: `${ISSUER}/userinfo`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`, end_session_endpoint: `${ISSUER}/end-session`,
      response_types_supported: ['code'], response_modes_supported: ['query'], code_challenge_methods_supported: ['S256'],
      subject_types_supported: ['public'], authorization_response_iss_parameter_supported: true,
    })
    expect(list('grant_types_supported')).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'password', 'client_credentials']))
    expect(list('scopes_supported')).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access', 'me', 'items']))
    expect(list('id_token_signing_alg_values_supported')[0]).toBe('RS256')   // OIDC Core §15.1: RS256 must be supported
    expect(list('id_token_signing_alg_values_supported')).toEqual(expect.arrayContaining(['EdDSA', 'ES256']))
    expect(list('token_endpoint_auth_methods_supported')).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']))
    expect(list('claims_supported')).toEqual(expect.arrayContaining(['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash']))
  })
})

describe('built from the configured issuer', () => {
  let apps: FastifyInstance[] = []
  afterAll(async () => { for (const app of apps) await app.close(); apps = [] })

  async function metadataFor(issuer: string): Promise<Record<string, unknown>> {
    const config = testConfig({ issuer, databaseUrl: server.config.databaseUrl })
    const app = await buildApp({ config, store: server.store, tokens: server.tokens, hasher: server.hasher })
    apps.push(app)
    const res = await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
    expect(res.statusCode).toBe(200)
    return res.json()
  }

  it('keeps `issuer` exactly as configured (it must equal every `iss`, RFC 8414 §3.3), and joins endpoints without a double slash', async () => {
    const slash = await metadataFor('https://id.example.com/')
    expect(slash.issuer).toBe('https://id.example.com/')
    expect(slash).toMatchObject({
      authorization_endpoint: 'https://id.example.com/authorize', jwks_uri: 'https://id.example.com/.well-known/jwks.json',
    })

    // Behind a proxy that mounts Tessera under a path, the endpoints are under that path too.
    const mounted = await metadataFor('https://example.com/tessera')
    expect(mounted).toMatchObject({
      issuer: 'https://example.com/tessera', token_endpoint: 'https://example.com/tessera/token',
      end_session_endpoint: 'https://example.com/tessera/end-session',
    })
  })
})

describe('what it advertises is what the server does', () => {
  it('every endpoint it names is served here, answering as that endpoint does to an empty request', async () => {
    const get = async (name: string) => (await server.app.inject({ method: 'GET', url: pathOf(name) })).statusCode
    const post = async (name: string) => (await server.app.inject({ method: 'POST', url: pathOf(name), headers: FORM, payload: '' })).statusCode
    const answers = {
      authorization_endpoint: await get('authorization_endpoint'),            // the error page: no client_id
      token_endpoint: await post('token_endpoint'),                           // FastAPI's 422: no username, no password
      userinfo_endpoint: await get('userinfo_endpoint'),                      // RFC 6750 §3: no token
      jwks_uri: await get('jwks_uri'),
      revocation_endpoint: await post('revocation_endpoint'),                 // invalid_request: no token
      introspection_endpoint: await post('introspection_endpoint'),           // invalid_request: no token
      end_session_endpoint: await get('end_session_endpoint'),                // the signed-out page
    }
    expect(answers).toEqual({
      authorization_endpoint: 400, token_endpoint: 422, userinfo_endpoint: 401, jwks_uri: 200,
      revocation_endpoint: 400, introspection_endpoint: 400, end_session_endpoint: 200,
    })
    expect((await server.app.inject({ method: 'GET', url: '/no-such-endpoint' })).statusCode).toBe(404)  // what a missing one would answer
  })

  it('every grant type it lists is one /token knows; one it does not list is unsupported_grant_type', async () => {
    const errorFor = async (grantType: string): Promise<string | undefined> =>
      (await server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ grant_type: grantType }) })).json().error
    for (const grantType of list('grant_types_supported')) expect(await errorFor(grantType), grantType).not.toBe('unsupported_grant_type')
    expect(await errorFor('urn:ietf:params:oauth:grant-type:device_code')).toBe('unsupported_grant_type')
  })

  it('/authorize takes every listed scope, response type, response mode and PKCE method; it refuses an unlisted one of each', async () => {
    const { client } = await codeFlowClient(server, { scopes: list('scopes_supported') })
    const signInPage = await server.app.inject({ method: 'GET', url: authorizeUrl(client, {
      scope: list('scopes_supported').join(' '), response_type: list('response_types_supported').join(' '),
      response_mode: list('response_modes_supported').join(' '), code_challenge_method: list('code_challenge_methods_supported').join(' '),
    }) })
    expect(signInPage.statusCode).toBe(200)                                   // valid: the sign-in page, no session yet
    expect(signInPage.body).toContain('name="password"')

    const errorFor = async (overrides: Record<string, string>) =>
      redirectOf(await server.app.inject({ method: 'GET', url: authorizeUrl(client, overrides) })).params.get('error')
    expect(await errorFor({ scope: 'openid admin' })).toBe('invalid_scope')
    expect(await errorFor({ response_type: 'token' })).toBe('unsupported_response_type')
    expect(await errorFor({ response_mode: 'fragment' })).toBe('invalid_request')
    expect(await errorFor({ code_challenge_method: 'plain', code_challenge: 'a'.repeat(43) })).toBe('invalid_request')
  })

  it('every claim an id_token and /userinfo carry is in claims_supported; `sub` is public (the same for two clients)', async () => {
    const browser = new TestBrowser(server)
    const seen: string[] = []
    const subjects: unknown[] = []
    for (const name of ['Example App', 'Other App']) {
      const { client } = await codeFlowClient(server, { name })
      const { code } = await signInAndAuthorize(browser, client)                // the second one by single sign-on
      const tokens = (await exchangeCode(server, client.id, code)).json()
      const idClaims = decodeJwt(tokens.id_token as string)
      const userinfo = await server.app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: `Bearer ${tokens.access_token}` } })
      expect(userinfo.statusCode).toBe(200)
      seen.push(...Object.keys(idClaims), ...Object.keys(userinfo.json()))
      subjects.push(idClaims.sub, userinfo.json().sub)
    }
    // What the scopes asked for (openid profile email) brings: the check below is not vacuous.
    expect(seen).toEqual(expect.arrayContaining(['at_hash', 'auth_time', 'nonce', 'azp', 'email', 'preferred_username']))
    expect(seen.filter((claim) => !list('claims_supported').includes(claim))).toEqual([])
    expect(new Set(subjects)).toEqual(new Set([server.users.johndoe.id]))      // subject_types_supported: ['public'], not pairwise
  })
})
