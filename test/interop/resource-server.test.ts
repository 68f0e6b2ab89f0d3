import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SigningAlgorithm } from '../../src/core/index.js'
import { FetchBrowser, startInteropServer, type InteropClient, type InteropServer } from './interop-server.js'

// Issue 9 part 6: access tokens carry `aud` (RFC 9068 §2.2) — the default audience (the issuer),
// or the RFC 8707 `resource` the client asked for among those it is registered for — and a
// resource server that knows nothing of Tessera but its metadata and JWKS accepts them with
// jose's jwtVerify or oauth4webapi's validateJwtAccessToken. Run against a real listening
// Tessera whose access tokens are signed with an asymmetric key (as after `tessera keys generate`).

const REDIRECT_URI = 'https://app.example.com/callback'
/** The resource server the clients may ask tokens for (RFC 8707 §2: an absolute URI, compared as a string). */
const API = 'https://api.example.com'
const SCOPE = 'openid profile offline_access me'
const HTTP = { [oauth.allowInsecureRequests]: true } as const

type Name = 'spa' | 'service'

for (const alg of ['EdDSA', 'ES256', 'RS256'] as const satisfies readonly SigningAlgorithm[]) {
  describe(`access tokens signed ${alg}, verified by resource servers with the JWKS`, () => {
    let tessera: InteropServer<Name>
    let as: oauth.AuthorizationServer
    let jwks: ReturnType<typeof createRemoteJWKSet>

    beforeAll(async () => {
      tessera = await startInteropServer<Name>({
        redirectUri: REDIRECT_URI, postLogoutRedirectUri: 'https://app.example.com/bye', accessTokenAlgorithm: alg,
        clients: {
          spa: { name: 'Example SPA', resources: [API] },
          // A backend acting on its own behalf (RFC 6749 §4.4).
          service: { name: 'Example Service', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['items'], resources: [API] },
        },
      })
      as = await oauth.processDiscoveryResponse(tessera.url, await oauth.discoveryRequest(tessera.url, { ...HTTP, algorithm: 'oidc' }))
      jwks = createRemoteJWKSet(new URL(as.jwks_uri as string))
    }, 60_000)
    afterAll(async () => { await tessera?.close() })

    const clientOf = (c: InteropClient): oauth.Client => ({ client_id: c.id })
    const authOf = (c: InteropClient): oauth.ClientAuth => c.secret === null ? oauth.None() : oauth.ClientSecretBasic(c.secret)

    /** johndoe through the pages, then the code exchange; `authorize` and `token` add parameters (e.g. resource) to each request. */
    async function codeFlow(options: { authorize?: Record<string, string>; token?: Record<string, string> } = {}) {
      const c = tessera.clients.spa
      const verifier = oauth.generateRandomCodeVerifier()
      const state = oauth.generateRandomState()
      const url = new URL(as.authorization_endpoint as string)
      for (const [name, value] of Object.entries({
        response_type: 'code', client_id: c.id, redirect_uri: REDIRECT_URI, scope: SCOPE, state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...options.authorize,
      })) url.searchParams.set(name, value)
      const callback = await new FetchBrowser(tessera.issuer).authorize(url)
      const params = oauth.validateAuthResponse(as, clientOf(c), callback, state)
      const res = await oauth.authorizationCodeGrantRequest(as, clientOf(c), authOf(c), params, REDIRECT_URI, verifier,
        { ...HTTP, ...(options.token === undefined ? {} : { additionalParameters: options.token }) })
      return { res, state, process: () => oauth.processAuthorizationCodeResponse(as, clientOf(c), res, { expectedNonce: oauth.expectNoNonce }) }
    }

    async function clientCredentials(parameters: Record<string, string> = {}) {
      const c = tessera.clients.service
      const res = await oauth.clientCredentialsGrantRequest(as, clientOf(c), authOf(c), parameters, HTTP)
      return oauth.processClientCredentialsResponse(as, clientOf(c), res)
    }

    /** A resource server with jose: signature from jwks_uri, iss, aud, typ (RFC 9068 §4), alg pinned. */
    async function joseAccepts(token: string, audience: string): Promise<JWTPayload> {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: tessera.issuer, audience, typ: 'at+jwt', algorithms: [alg] })
      expect(protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: expect.any(String) })
      return payload
    }

    /** A resource server with oauth4webapi: a request with `Authorization: Bearer`, RFC 9068 §4 validation. */
    function oauth4webapiAccepts(token: string, audience: string): Promise<oauth.JWTAccessTokenClaims> {
      const request = new Request(`${API}/items`, { headers: { authorization: `Bearer ${token}` } })
      return oauth.validateJwtAccessToken(as, request, audience, { ...HTTP, signingAlgorithms: [alg] })
    }

    /** RFC 9068 §2.2's required claims, each of the type the profile says. */
    function expectProfileClaims(claims: JWTPayload, expected: { sub: string; clientId: string; aud: string; scope: string }): void {
      expect(claims).toEqual({
        iss: tessera.issuer, sub: expected.sub, aud: expected.aud, client_id: expected.clientId, scope: expected.scope,
        jti: expect.any(String), iat: expect.any(Number), exp: expect.any(Number),
      })
      expect(claims.exp).toBe((claims.iat as number) + 30 * 60)                // the default 30 minutes
      expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(60)
    }

    describe('the code flow', () => {
      it('a token for the default audience (the issuer): jose and oauth4webapi both accept it, with every RFC 9068 claim', async () => {
        const { process } = await codeFlow()
        const tokens = await process()
        const expected = { sub: tessera.johndoe.id, clientId: tessera.clients.spa.id, aud: tessera.issuer, scope: SCOPE }
        expectProfileClaims(await joseAccepts(tokens.access_token, tessera.issuer), expected)
        expectProfileClaims(await oauth4webapiAccepts(tokens.access_token, tessera.issuer), expected)

        // The rotated token keeps the audience, and passes as well.
        const refreshed = await oauth.processRefreshTokenResponse(as, clientOf(tessera.clients.spa),
          await oauth.refreshTokenGrantRequest(as, clientOf(tessera.clients.spa), oauth.None(), tokens.refresh_token as string, HTTP))
        expectProfileClaims(await oauth4webapiAccepts(refreshed.access_token, tessera.issuer), expected)
        expect((await joseAccepts(refreshed.access_token, tessera.issuer)).jti).not.toBe((await joseAccepts(tokens.access_token, tessera.issuer)).jti)
      })

      it('a token whose signature was tampered with is refused by both: the verifiers really check it against the JWKS', async () => {
        const { access_token: token } = await (await codeFlow()).process()
        const [header, payload, signature] = token.split('.') as [string, string, string]
        const flipped = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`
        await expect(joseAccepts(flipped, tessera.issuer)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed)
        await expect(oauth4webapiAccepts(flipped, tessera.issuer)).rejects.toThrow(/signature/i)
        await expect(oauth4webapiAccepts(token, tessera.issuer)).resolves.toBeDefined()  // the same token, intact: accepted
      })

      it('resource=API at /authorize (RFC 8707): aud is that resource; a verifier expecting the default audience refuses it', async () => {
        const { process } = await codeFlow({ authorize: { resource: API } })
        const tokens = await process()
        const expected = { sub: tessera.johndoe.id, clientId: tessera.clients.spa.id, aud: API, scope: SCOPE }
        expectProfileClaims(await joseAccepts(tokens.access_token, API), expected)
        expectProfileClaims(await oauth4webapiAccepts(tokens.access_token, API), expected)
        // RFC 8725 §3.9: a token for the API is not one for Tessera's default audience.
        const jose = await joseAccepts(tokens.access_token, tessera.issuer).catch((err: unknown) => err)
        expect(jose).toBeInstanceOf(errors.JWTClaimValidationFailed)
        expect(jose).toMatchObject({ claim: 'aud' })
        const o4w = await oauth4webapiAccepts(tokens.access_token, tessera.issuer).catch((err: unknown) => err)
        expect(o4w).toBeInstanceOf(oauth.OperationProcessingError)
        expect(o4w).toMatchObject({ code: oauth.JWT_CLAIM_COMPARISON, cause: { claim: 'aud' } })

        // The refresh family keeps the resource: the next access token is for the API too.
        const refreshed = await oauth.processRefreshTokenResponse(as, clientOf(tessera.clients.spa),
          await oauth.refreshTokenGrantRequest(as, clientOf(tessera.clients.spa), oauth.None(), tokens.refresh_token as string, HTTP))
        expectProfileClaims(await oauth4webapiAccepts(refreshed.access_token, API), expected)
      })

      it('resource=API named again at /token is accepted (RFC 8707 §2.2); one the code was not authorized for is invalid_target', async () => {
        const same = await (await codeFlow({ authorize: { resource: API }, token: { resource: API } })).process()
        expect((await joseAccepts(same.access_token, API)).aud).toBe(API)

        // The code was issued for the default audience: the token request may not widen it.
        const { res } = await codeFlow({ token: { resource: API } })
        expect(res.status).toBe(400)
        expect(await res.json()).toMatchObject({ error: 'invalid_target' })
      })

      it('a resource the client is not registered for: /authorize answers invalid_target at the redirect URI, with state and iss', async () => {
        const c = tessera.clients.spa
        const state = oauth.generateRandomState()
        const url = new URL(as.authorization_endpoint as string)
        for (const [name, value] of Object.entries({
          response_type: 'code', client_id: c.id, redirect_uri: REDIRECT_URI, scope: SCOPE, state, resource: 'https://other.example.com',
          code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()), code_challenge_method: 'S256',
        })) url.searchParams.set(name, value)
        const answer = await new FetchBrowser(tessera.issuer).get(url.href)
        expect(answer.status).toBe(302)
        const err = (() => {
          try { return oauth.validateAuthResponse(as, clientOf(c), new URL(answer.location as string), state) } catch (e) { return e }
        })()
        expect(err).toBeInstanceOf(oauth.AuthorizationResponseError)
        expect(err).toMatchObject({ error: 'invalid_target' })
        expect((err as oauth.AuthorizationResponseError).cause.get('iss')).toBe(tessera.issuer)   // RFC 9207
        expect((err as oauth.AuthorizationResponseError).cause.get('state')).toBe(state)
      })
    })

    describe('client credentials (a confidential client on its own behalf)', () => {
      it('a token for the default audience: both verifiers accept it, sub and client_id being the client', async () => {
        const tokens = await clientCredentials({ scope: 'items' })
        expect(tokens.refresh_token).toBeUndefined()                           // RFC 6749 §4.4.3
        const c = tessera.clients.service
        const expected = { sub: c.id, clientId: c.id, aud: tessera.issuer, scope: 'items' }
        expectProfileClaims(await joseAccepts(tokens.access_token, tessera.issuer), expected)
        expectProfileClaims(await oauth4webapiAccepts(tokens.access_token, tessera.issuer), expected)
      })

      it('resource=API: aud is the API, refused where the default audience is expected; an unregistered resource is invalid_target', async () => {
        const tokens = await clientCredentials({ scope: 'items', resource: API })
        const c = tessera.clients.service
        const expected = { sub: c.id, clientId: c.id, aud: API, scope: 'items' }
        expectProfileClaims(await joseAccepts(tokens.access_token, API), expected)
        expectProfileClaims(await oauth4webapiAccepts(tokens.access_token, API), expected)
        await expect(joseAccepts(tokens.access_token, tessera.issuer)).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed)
        await expect(oauth4webapiAccepts(tokens.access_token, tessera.issuer)).rejects.toMatchObject({ code: oauth.JWT_CLAIM_COMPARISON })

        const refused = await clientCredentials({ scope: 'items', resource: 'https://other.example.com' }).catch((err: unknown) => err)
        expect(refused).toBeInstanceOf(oauth.ResponseBodyError)
        expect(refused).toMatchObject({ status: 400, error: 'invalid_target' })
      })
    })
  })
}
