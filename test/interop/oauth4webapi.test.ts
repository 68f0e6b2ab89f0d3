import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FetchBrowser, startInteropServer, type InteropClient, type InteropServer } from './interop-server.js'

// Issue 9 part 10: oauth4webapi's strict processing of every response Tessera gives a relying
// party — metadata, authorization responses (RFC 9207 `iss` required, since the metadata says
// authorization_response_iss_parameter_supported), token, id_token, userinfo, refresh,
// revocation, introspection — and of its error responses, against a real listening server.
// The user's part goes through the hosted pages over HTTP (FetchBrowser), as a browser posts them.

const REDIRECT_URI = 'https://app.example.com/callback'
const SCOPE = 'openid profile email offline_access'
/** loopback http: what `allowInsecureRequests` is for. */
const HTTP = { [oauth.allowInsecureRequests]: true } as const

type Name = 'spa' | 'server' | 'fresh'

let tessera: InteropServer<Name>
let as: oauth.AuthorizationServer

beforeAll(async () => {
  tessera = await startInteropServer<Name>({
    redirectUri: REDIRECT_URI, postLogoutRedirectUri: 'https://app.example.com/bye',
    clients: {
      spa: { name: 'Example SPA' }, server: { name: 'Example Web Server', type: 'confidential' },
      // Never consented to by johndoe before the Deny test: the other tests' consent is remembered.
      fresh: { name: 'Example New App' },
    },
  })
  as = await oauth.processDiscoveryResponse(tessera.url, await oauth.discoveryRequest(tessera.url, { ...HTTP, algorithm: 'oidc' }))
}, 60_000)
afterAll(async () => { await tessera?.close() })

const clientOf = (c: InteropClient): oauth.Client => ({ client_id: c.id })
const authOf = (c: InteropClient): oauth.ClientAuth => c.secret === null ? oauth.None() : oauth.ClientSecretBasic(c.secret)

/** An authorization request as the app builds it: PKCE S256, and state and nonce unless `params` drops them (undefined). */
async function authorizationRequest(c: InteropClient, params: Record<string, string | undefined> = {}) {
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const nonce = oauth.generateRandomNonce()
  const url = new URL(as.authorization_endpoint as string)
  const all: Record<string, string | undefined> = {
    response_type: 'code', client_id: c.id, redirect_uri: REDIRECT_URI, scope: SCOPE, state, nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...params,
  }
  for (const [name, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(name, value)
  return { url, verifier, state: all.state, nonce: all.nonce }
}

/** The code exchange, strictly processed: the token response and its id_token (iss, aud, exp, iat, sub, nonce, alg RS256). */
async function exchange(c: InteropClient, callbackParams: URLSearchParams, verifier: string, options: oauth.ProcessAuthorizationCodeResponseOptions) {
  const res = await oauth.authorizationCodeGrantRequest(as, clientOf(c), authOf(c), callbackParams, REDIRECT_URI, verifier, HTTP)
  return oauth.processAuthorizationCodeResponse(as, clientOf(c), res, options)
}

/** Signs johndoe in through the pages (a fresh browser) and returns the validated tokens. */
async function signIn(c: InteropClient) {
  const request = await authorizationRequest(c)
  const params = oauth.validateAuthResponse(as, clientOf(c), await new FetchBrowser(tessera.issuer).authorize(request.url), request.state)
  return exchange(c, params, request.verifier, { expectedNonce: request.nonce as string, requireIdToken: true })
}

async function introspect(token: string): Promise<oauth.IntrospectionResponse> {
  const c = tessera.clients.server
  const res = await oauth.introspectionRequest(as, clientOf(c), authOf(c), token, HTTP)
  return oauth.processIntrospectionResponse(as, clientOf(c), res)
}

describe('metadata', () => {
  it('passes processDiscoveryResponse as OpenID configuration and as RFC 8414 metadata, the same document', async () => {
    expect(as).toMatchObject({
      issuer: tessera.issuer, authorization_endpoint: `${tessera.issuer}/authorize`, token_endpoint: `${tessera.issuer}/token`,
      jwks_uri: `${tessera.issuer}/.well-known/jwks.json`, userinfo_endpoint: `${tessera.issuer}/userinfo`,
      end_session_endpoint: `${tessera.issuer}/end-session`, code_challenge_methods_supported: ['S256'], response_types_supported: ['code'],
      authorization_response_iss_parameter_supported: true,
    })
    const rfc8414 = await oauth.processDiscoveryResponse(tessera.url, await oauth.discoveryRequest(tessera.url, { ...HTTP, algorithm: 'oauth2' }))
    expect(rfc8414).toEqual(as)
  })
})

describe('the code flow, response by response', () => {
  it('a public client: authorization response, tokens with id_token, userinfo, refresh, revocation', async () => {
    const c = tessera.clients.spa
    const request = await authorizationRequest(c)
    const callback = await new FetchBrowser(tessera.issuer).authorize(request.url)
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI)
    const params = oauth.validateAuthResponse(as, clientOf(c), callback, request.state)     // iss required and equal, state equal
    expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)

    const tokens = await exchange(c, params, request.verifier, { expectedNonce: request.nonce as string, requireIdToken: true })
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: SCOPE })
    const claims = oauth.getValidatedIdTokenClaims(tokens)
    expect(claims).toMatchObject({ iss: tessera.issuer, sub: tessera.johndoe.id, aud: c.id, azp: c.id, nonce: request.nonce })
    expect(typeof claims?.auth_time).toBe('number')

    const info = await oauth.processUserInfoResponse(as, clientOf(c), tessera.johndoe.id,
      await oauth.userInfoRequest(as, clientOf(c), tokens.access_token, HTTP))
    expect(info).toEqual({
      sub: tessera.johndoe.id, name: 'John Doe', preferred_username: 'johndoe', email: 'johndoe@example.com', email_verified: false,
      updated_at: expect.any(Number),
    })

    const refreshed = await oauth.processRefreshTokenResponse(as, clientOf(c),
      await oauth.refreshTokenGrantRequest(as, clientOf(c), authOf(c), tokens.refresh_token as string, HTTP))
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)
    expect(oauth.getValidatedIdTokenClaims(refreshed)).toMatchObject({ sub: tessera.johndoe.id, auth_time: claims?.auth_time })

    // RFC 7009: revoking the refresh token answers 200 with no body; the token is dead afterwards.
    await expect(oauth.processRevocationResponse(
      await oauth.revocationRequest(as, clientOf(c), authOf(c), refreshed.refresh_token as string, { ...HTTP, additionalParameters: { token_type_hint: 'refresh_token' } }),
    )).resolves.toBeUndefined()
    const dead = await oauth.processRefreshTokenResponse(as, clientOf(c),
      await oauth.refreshTokenGrantRequest(as, clientOf(c), authOf(c), refreshed.refresh_token as string, HTTP)).catch((err: unknown) => err)
    expect(dead).toBeInstanceOf(oauth.ResponseBodyError)
    expect(dead).toMatchObject({ error: 'invalid_grant', status: 400 })
  })

  it('a confidential client (client_secret_basic): introspection before and after revoking the access token, and userinfo\'s challenge', async () => {
    const c = tessera.clients.server
    const tokens = await signIn(c)
    const active = await introspect(tokens.access_token)
    expect(active).toMatchObject({ active: true, sub: tessera.johndoe.id, client_id: c.id, scope: SCOPE, aud: tessera.issuer })
    expect(typeof active.exp).toBe('number')

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, clientOf(c), authOf(c), tokens.access_token, HTTP))
    expect(await introspect(tokens.access_token)).toEqual({ active: false })
    // RFC 6750 §3.1: a revoked token at /userinfo is a 401 with a Bearer invalid_token challenge.
    const refused = await oauth.processUserInfoResponse(as, clientOf(c), tessera.johndoe.id,
      await oauth.userInfoRequest(as, clientOf(c), tokens.access_token, HTTP)).catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(oauth.WWWAuthenticateChallengeError)
    expect(refused).toMatchObject({ status: 401, cause: [{ scheme: 'bearer', parameters: { error: 'invalid_token' } }] })
  })

  it('a signed-in browser, no state and no nonce sent, max_age: none comes back, and auth_time is checked', async () => {
    const c = tessera.clients.spa
    const browser = new FetchBrowser(tessera.issuer)
    await browser.authorize((await authorizationRequest(c)).url)              // signs in and consents once
    const request = await authorizationRequest(c, { state: undefined, nonce: undefined, max_age: '300' })
    const answer = await browser.get(request.url.href)
    expect(answer.status).toBe(302)                                          // single sign-on: straight back
    const params = oauth.validateAuthResponse(as, clientOf(c), new URL(answer.location as string), oauth.expectNoState)
    const tokens = await exchange(c, params, request.verifier, { expectedNonce: oauth.expectNoNonce, maxAge: 300, requireIdToken: true })
    expect(oauth.getValidatedIdTokenClaims(tokens)?.nonce).toBeUndefined()
  })
})

describe('error responses', () => {
  it('a replayed code: ResponseBodyError invalid_grant, and the tokens of its first exchange are revoked', async () => {
    const c = tessera.clients.server
    const request = await authorizationRequest(c)
    const params = oauth.validateAuthResponse(as, clientOf(c), await new FetchBrowser(tessera.issuer).authorize(request.url), request.state)
    const first = await exchange(c, params, request.verifier, { expectedNonce: request.nonce as string })
    expect((await introspect(first.access_token)).active).toBe(true)

    const replay = await exchange(c, params, request.verifier, { expectedNonce: request.nonce as string }).catch((err: unknown) => err)
    expect(replay).toBeInstanceOf(oauth.ResponseBodyError)
    expect(replay).toMatchObject({ error: 'invalid_grant', status: 400 })
    expect((replay as oauth.ResponseBodyError).response.headers.get('cache-control')).toBe('no-store')
    expect(await introspect(first.access_token)).toEqual({ active: false })  // RFC 6749 §4.1.2
    expect(await introspect(first.refresh_token as string)).toEqual({ active: false })
  })

  it('a wrong code_verifier: ResponseBodyError invalid_grant', async () => {
    const c = tessera.clients.spa
    const request = await authorizationRequest(c)
    const params = oauth.validateAuthResponse(as, clientOf(c), await new FetchBrowser(tessera.issuer).authorize(request.url), request.state)
    const wrong = await exchange(c, params, oauth.generateRandomCodeVerifier(), { expectedNonce: request.nonce as string }).catch((err: unknown) => err)
    expect(wrong).toBeInstanceOf(oauth.ResponseBodyError)
    expect(wrong).toMatchObject({ error: 'invalid_grant', status: 400 })
  })

  it('Deny on the consent page: AuthorizationResponseError access_denied, with iss and state', async () => {
    const c = tessera.clients.fresh
    const request = await authorizationRequest(c)
    const callback = await new FetchBrowser(tessera.issuer).authorize(request.url, 'deny')
    const err = (() => { try { return oauth.validateAuthResponse(as, clientOf(c), callback, request.state) } catch (e) { return e } })()
    expect(err).toBeInstanceOf(oauth.AuthorizationResponseError)
    expect((err as oauth.AuthorizationResponseError).error).toBe('access_denied')
    expect((err as oauth.AuthorizationResponseError).cause.get('iss')).toBe(tessera.issuer)
    expect((err as oauth.AuthorizationResponseError).cause.get('state')).toBe(request.state)
  })

  it('prompt=none without a session: AuthorizationResponseError login_required, with iss and state', async () => {
    const c = tessera.clients.spa
    const request = await authorizationRequest(c, { prompt: 'none' })
    const answer = await new FetchBrowser(tessera.issuer).get(request.url.href)
    expect(answer.status).toBe(302)
    const err = (() => { try { return oauth.validateAuthResponse(as, clientOf(c), new URL(answer.location as string), request.state) } catch (e) { return e } })()
    expect(err).toBeInstanceOf(oauth.AuthorizationResponseError)
    expect(err).toMatchObject({ error: 'login_required' })
    expect((err as oauth.AuthorizationResponseError).cause.get('iss')).toBe(tessera.issuer)
    expect((err as oauth.AuthorizationResponseError).cause.get('state')).toBe(request.state)
  })

  it('an unknown client at the token endpoint: invalid_client (Basic challenge), and a code of another client: invalid_grant', async () => {
    const server = tessera.clients.server
    const stranger: InteropClient = { ...server, secret: 'not-the-secret' }
    const request = await authorizationRequest(tessera.clients.spa)
    const params = oauth.validateAuthResponse(as, clientOf(tessera.clients.spa), await new FetchBrowser(tessera.issuer).authorize(request.url), request.state)
    const badSecret = await exchange(stranger, params, request.verifier, {}).catch((err: unknown) => err)
    expect(badSecret).toBeInstanceOf(oauth.WWWAuthenticateChallengeError)
    expect(badSecret).toMatchObject({ status: 401, cause: [{ scheme: 'basic' }] })
    // The spa's code presented by the (authenticated) server client: RFC 6749 §4.1.3 binds a code to its client.
    const mixedUp = await exchange(server, params, request.verifier, {}).catch((err: unknown) => err)
    expect(mixedUp).toBeInstanceOf(oauth.ResponseBodyError)
    expect(mixedUp).toMatchObject({ error: 'invalid_grant', status: 400 })
  })
})
