import { createHash } from 'node:crypto'
import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClientRecord, SigningAlgorithm } from '../../src/core/index.js'
import { refresh } from './session-helpers.js'
import { ISSUER, TestBrowser, codeFlowClient, exchangeCode, signInAndAuthorize } from './sign-in-helpers.js'
import { T0, startTestServer, type TestServer } from './test-server.js'

// Issue 9 part 5: id_tokens are signed with an asymmetric key of the algorithm the client
// registered (id_token_signed_response_alg, OIDC Registration §2): RS256 by default, EdDSA or
// ES256 when asked, the key being created the first time a client needs it and published in the
// JWKS. jose verifies each one against the JWKS alone, and at_hash (OIDC Core §3.1.3.6) is the
// left half of the hash the algorithm names — SHA-256 for RS256 and ES256, SHA-512 for Ed25519.

const HASH_OF: Record<SigningAlgorithm, 'sha256' | 'sha512'> = { RS256: 'sha256', ES256: 'sha256', EdDSA: 'sha512' }

/** at_hash computed here from the spec, not with Tessera's own function. */
function atHash(accessToken: string, hash: 'sha256' | 'sha512'): string {
  const digest = createHash(hash).update(accessToken, 'ascii').digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}

for (const alg of ['RS256', 'EdDSA', 'ES256'] as const satisfies readonly SigningAlgorithm[]) {
  describe(`a client registered with id_token_signed_response_alg ${alg}`, () => {
    let server: TestServer
    let client: ClientRecord

    beforeAll(async () => {
      server = await startTestServer()
      client = (await codeFlowClient(server, { name: `Example ${alg} App`, idTokenSignedResponseAlg: alg })).client
    })
    afterAll(async () => { await server.close() })

    async function jwks(): Promise<JSONWebKeySet & { keys: { kid: string; alg: string }[] }> {
      return (await server.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json()
    }

    /** What a relying party checks with jose: the JWKS's key of that kid, the client's algorithm only, iss, aud, exp at T0. */
    async function verify(idToken: string, audience: string, algorithms: string[] = [alg]): Promise<JWTPayload> {
      const { payload } = await jwtVerify(idToken, createLocalJWKSet(await jwks()), {
        issuer: ISSUER, audience, algorithms, typ: 'JWT', currentDate: new Date(T0), requiredClaims: ['iat', 'exp', 'sub'],
      })
      return payload
    }

    async function signIn(browser: TestBrowser, c: ClientRecord = client) {
      const { code } = await signInAndAuthorize(browser, c)
      const res = await exchangeCode(server, c.id, code)
      expect(res.statusCode).toBe(200)
      return res.json() as { access_token: string; id_token: string; refresh_token: string }
    }

    it(`is advertised in the metadata, and gets id_tokens signed ${alg} that jose verifies with the JWKS, at_hash by ${HASH_OF[alg]}`, async () => {
      const metadata = (await server.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json()
      expect(metadata.id_token_signing_alg_values_supported).toContain(alg)
      // Only the default RS256 key exists at first start: any other is made when a client first needs it.
      const before = (await jwks()).keys.map((k) => k.alg)
      expect(before).toEqual(['RS256'])

      const tokens = await signIn(new TestBrowser(server))
      const header = decodeProtectedHeader(tokens.id_token)
      expect(header).toEqual({ alg, typ: 'JWT', kid: expect.any(String) })
      const published = (await jwks()).keys
      expect(published.find((k) => k.kid === header.kid)?.alg).toBe(alg)
      expect(published.filter((k) => k.alg === alg)).toHaveLength(1)

      const claims = await verify(tokens.id_token, client.id)
      expect(claims).toMatchObject({ iss: ISSUER, sub: server.users.johndoe.id, aud: client.id, azp: client.id, nonce: 'nonce-456', iat: T0 / 1000 })
      expect(claims.at_hash).toBe(atHash(tokens.access_token, HASH_OF[alg]))
      // The hash the algorithm does not name gives another value: the choice is what makes it match.
      expect(claims.at_hash).not.toBe(atHash(tokens.access_token, HASH_OF[alg] === 'sha256' ? 'sha512' : 'sha256'))
    })

    it('keeps the algorithm and the key: on refresh (at_hash of the new access token) and for the next sign-in', async () => {
      const first = await signIn(new TestBrowser(server))
      const kid = decodeProtectedHeader(first.id_token).kid

      const res = await refresh(server, first.refresh_token, { client_id: client.id })
      expect(res.statusCode).toBe(200)
      const refreshed = res.json() as { access_token: string; id_token: string }
      expect(decodeProtectedHeader(refreshed.id_token)).toEqual({ alg, typ: 'JWT', kid })
      const claims = await verify(refreshed.id_token, client.id)
      expect(claims.at_hash).toBe(atHash(refreshed.access_token, HASH_OF[alg]))
      expect(claims.nonce).toBeUndefined()                                   // OIDC Core §12.2: not on refresh

      const again = await signIn(new TestBrowser(server))
      expect(decodeProtectedHeader(again.id_token).kid).toBe(kid)             // one key per algorithm, not one per token
      expect((await jwks()).keys.filter((k) => k.alg === alg)).toHaveLength(1)
    })

    it('is refused by a relying party that allows only another algorithm, or that is another client', async () => {
      const tokens = await signIn(new TestBrowser(server))
      const others = (['RS256', 'EdDSA', 'ES256'] as const).filter((a) => a !== alg)
      await expect(verify(tokens.id_token, client.id, others)).rejects.toBeInstanceOf(errors.JOSEAlgNotAllowed)
      await expect(verify(tokens.id_token, 'another-client')).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed)
      await expect(verify(tokens.id_token, client.id)).resolves.toMatchObject({ aud: client.id })  // the positive control
    })
  })
}

describe('clients with different algorithms on one server', () => {
  let server: TestServer
  beforeAll(async () => { server = await startTestServer() })
  afterAll(async () => { await server.close() })

  it('each gets its own algorithm in one browser session (single sign-on), and the JWKS publishes a key of each', async () => {
    const browser = new TestBrowser(server)
    const seen: Record<string, unknown> = {}
    for (const alg of ['EdDSA', 'ES256', 'RS256'] as const) {
      const { client } = await codeFlowClient(server, { name: `Example ${alg} App`, idTokenSignedResponseAlg: alg })
      const { code } = await signInAndAuthorize(browser, client)
      const idToken = (await exchangeCode(server, client.id, code)).json().id_token as string
      seen[alg] = decodeProtectedHeader(idToken).alg
      const set = createLocalJWKSet((await server.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json())
      const verified = jwtVerify(idToken, set, { issuer: ISSUER, audience: client.id, algorithms: [alg], currentDate: new Date(T0) })
      await expect(verified).resolves.toBeDefined()
    }
    expect(seen).toEqual({ EdDSA: 'EdDSA', ES256: 'ES256', RS256: 'RS256' })
    const algs = ((await server.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys as { alg: string }[]).map((k) => k.alg)
    expect([...algs].sort()).toEqual(['ES256', 'EdDSA', 'RS256'])
  })
})
