import Sqlite from 'better-sqlite3'
import type { LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { hashAuthorizationCode, type ClientRecord } from '../../src/core/index.js'
import { auditEvents, basic, refresh } from './session-helpers.js'
import {
  CHALLENGE, ISSUER, expectErrorPage, rawRows, REDIRECT_URI, TestBrowser, VERIFIER, authorizeUrl, codeFlowClient, exchangeCode, redirectOf, signInAndAuthorize,
} from './sign-in-helpers.js'
import { PASSWORD, T0, startTestServer, type TestServer } from './test-server.js'

// Issue 9 part 10, the attacks on the authorization endpoint and the code grant, through the real
// routes (GET /authorize, POST /signin, GET/POST /consent, POST /token) as a browser and an app see
// them. Each refusal has its positive control in the same file, so a defence that stopped
// refusing, or a route that stopped working, both fail here.

let server: TestServer
let client: ClientRecord
let browser: TestBrowser

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8'))
}



/** The sign-in page: the request was accepted and the user is asked for their password. */
function expectSignInPage(res: LightMyRequestResponse): void {
  expect(res.statusCode).toBe(200)
  expect(res.headers.location).toBeUndefined()
  expect(res.body).toContain('name="password"')
}

/** An error answer at the client's redirect URI (RFC 6749 §4.1.2.1) with `iss` (RFC 9207 §2), and no code. */
function expectErrorRedirect(
  res: LightMyRequestResponse, error: string, options: { status?: number; base?: string; state?: string | null } = {},
): URLSearchParams {
  expect(res.statusCode).toBe(options.status ?? 302)
  const { base, params } = redirectOf(res)
  expect(base).toBe(options.base ?? REDIRECT_URI)
  expect(params.get('error')).toBe(error)
  expect(params.get('error_description')).toMatch(/\S/)
  expect(params.get('iss')).toBe(ISSUER)
  const state = options.state === undefined ? 'state-123' : options.state
  expect(params.get('state')).toBe(state)
  expect(params.has('code')).toBe(false)
  return params
}

/**
 * One server for a describe block whose tests need no database of their own: each gets its own
 * client and browser (a server per test costs ~0.3 s on PostgreSQL).
 */
function useSharedServer(): void {
  let shared: TestServer
  beforeAll(async () => { shared = await startTestServer() })
  afterAll(async () => { await shared.close() })
  beforeEach(async () => {
    server = shared
    client = (await codeFlowClient(shared)).client                        // a client of the test's own: what it counts is its own
    browser = new TestBrowser(shared)
  })
}

/** A server of the test's own: for tests that count rows or audit events, or move the clock. */
function useFreshServer(): void {
  beforeEach(async () => {
    server = await startTestServer()
    client = (await codeFlowClient(server)).client
    browser = new TestBrowser(server)
  })
  afterEach(async () => { await server.close() })
}

describe('GET /authorize before the client and its redirect URI are verified: an error page, never a redirect', () => {
  // Nothing here changes what is stored: one server for the block, a fresh browser per test.
  useSharedServer()

  it('accepts the registered redirect URI exactly as registered (the control for the refusals below)', async () => {
    expectSignInPage(await browser.get(authorizeUrl(client)))
  })

  it('shows an unknown client_id on the page', async () => {
    expectErrorPage(await browser.get(authorizeUrl({ id: 'no-such-client' })), 'unknown client_id')
  })

  it('shows a missing client_id on the page', async () => {
    expectErrorPage(await browser.get(authorizeUrl(client, { client_id: undefined })), 'client_id is missing')
  })

  it('shows a missing redirect_uri on the page: with exact matching there is no default to guess', async () => {
    expectErrorPage(await browser.get(authorizeUrl(client, { redirect_uri: undefined })), 'The request has no redirect_uri')
  })

  it('shows a redirect_uri of another site on the page, and offers no link to it', async () => {
    const res = await browser.get(authorizeUrl(client, { redirect_uri: 'https://evil.example/callback' }))
    expectErrorPage(res, 'The redirect_uri is not registered for this application')
    expect(res.body).not.toContain('evil.example')
  })

  // RFC 9700 §4.1.3: "exact string matching" — no normalisation that an attacker's URI could ride.
  it.each([
    ['a trailing slash', 'https://app.example.com/callback/'],
    ['the host in another case', 'https://APP.example.com/callback'],
    ['the path in another case', 'https://app.example.com/Callback'],
    ['an extra query parameter', 'https://app.example.com/callback?next=https://evil.example'],
    ['a fragment', 'https://app.example.com/callback#x'],
    ['another port', 'https://app.example.com:8443/callback'],
    ['the default port spelled out', 'https://app.example.com:443/callback'],
    ['http instead of https', 'http://app.example.com/callback'],
    ['a subdomain', 'https://evil.app.example.com/callback'],
  ])('refuses the registered redirect URI with %s', async (_variation, uri) => {
    expectErrorPage(await browser.get(authorizeUrl(client, { redirect_uri: uri })), 'The redirect_uri is not registered for this application')
  })

  it('refuses a repeated redirect_uri (which one would the code go to?)', async () => {
    const url = `${authorizeUrl(client)}&redirect_uri=${encodeURIComponent('https://evil.example/callback')}`
    expectErrorPage(await browser.get(url), 'The redirect_uri is not registered for this application')
  })

  it('holds a web (confidential) client to the loopback port it registered: the any-port rule is for native apps only', async () => {
    const web = (await codeFlowClient(server, { type: 'confidential', redirectUris: ['http://127.0.0.1:8080/cb'] })).client
    expectSignInPage(await browser.get(authorizeUrl(web, { redirect_uri: 'http://127.0.0.1:8080/cb' })))
    for (const uri of ['http://127.0.0.1:9090/cb', 'http://127.0.0.1/cb']) {
      expectErrorPage(await browser.get(authorizeUrl(web, { redirect_uri: uri })), 'The redirect_uri is not registered for this application')
    }
  })

  it('lets a public native client use any port on the loopback IP it registered (RFC 8252 §7.3), path still exact', async () => {
    const native = (await codeFlowClient(server, { redirectUris: ['http://127.0.0.1/callback', 'http://[::1]:8000/callback'] })).client
    const anyPort = ['http://127.0.0.1/callback', 'http://127.0.0.1:51234/callback', 'http://127.0.0.1:80/callback', 'http://[::1]:49152/callback']
    for (const uri of anyPort) {
      expectSignInPage(await browser.get(authorizeUrl(native, { redirect_uri: uri })))
    }
    const otherwise = [
      'http://127.0.0.1:51234/other', 'http://127.0.0.1:51234/callback/', 'http://127.0.0.1:70000/callback', 'http://[::1]:8000/Callback',
    ]
    for (const uri of otherwise) {
      expectErrorPage(await browser.get(authorizeUrl(native, { redirect_uri: uri })), 'The redirect_uri is not registered for this application')
    }
  })

  it('gives no port freedom for localhost, even to a native client (RFC 8252 §8.3: it may resolve elsewhere)', async () => {
    const native = (await codeFlowClient(server, { redirectUris: ['http://localhost:8000/callback'] })).client
    expectSignInPage(await browser.get(authorizeUrl(native, { redirect_uri: 'http://localhost:8000/callback' })))
    expectErrorPage(await browser.get(authorizeUrl(native, { redirect_uri: 'http://localhost:8001/callback' })), 'not registered')
  })

  it('shows a client with no redirect URIs (a password-grant client) on the page', async () => {
    const legacy = (await codeFlowClient(server, { grantTypes: ['password'], redirectUris: [] })).client
    expectErrorPage(await browser.get(authorizeUrl(legacy)), 'The redirect_uri is not registered for this application')
  })
})

describe('GET /authorize after the client and redirect URI are verified: errors go back to the client', () => {
  useSharedServer()

  it('answers a client registered without the authorization_code grant unauthorized_client, at its verified redirect URI', async () => {
    // Its redirect URI is registered, so the answer may go there (RFC 6749 §4.1.2.1 lists unauthorized_client as a redirect error).
    const other = (await codeFlowClient(server, { grantTypes: ['password', 'refresh_token'] })).client
    expectErrorRedirect(await browser.get(authorizeUrl(other)), 'unauthorized_client')
  })

  it('answers response_type=token unsupported_response_type (no implicit flow, RFC 9700 §2.1.2)', async () => {
    expectErrorRedirect(await browser.get(authorizeUrl(client, { response_type: 'token' })), 'unsupported_response_type')
    expectErrorRedirect(await browser.get(authorizeUrl(client, { response_type: 'code id_token' })), 'unsupported_response_type')
  })

  it('answers a missing response_type invalid_request', async () => {
    expectErrorRedirect(await browser.get(authorizeUrl(client, { response_type: undefined })), 'invalid_request')
  })

  it('requires PKCE of every client: no code_challenge is invalid_request', async () => {
    const res = await browser.get(authorizeUrl(client, { code_challenge: undefined, code_challenge_method: undefined }))
    const params = expectErrorRedirect(res, 'invalid_request')
    expect(params.get('error_description')).toContain('code_challenge is required')
  })

  it('refuses code_challenge_method=plain (RFC 9700 §2.1.1: it sends the verifier itself through the browser)', async () => {
    const res = await browser.get(authorizeUrl(client, { code_challenge: CHALLENGE, code_challenge_method: 'plain' }))
    const params = expectErrorRedirect(res, 'invalid_request')
    expect(params.get('error_description')).toBe('code_challenge_method must be S256')
  })

  it('refuses a challenge without code_challenge_method, which RFC 7636 §4.3 would read as plain', async () => {
    const params = expectErrorRedirect(await browser.get(authorizeUrl(client, { code_challenge_method: undefined })), 'invalid_request')
    expect(params.get('error_description')).toBe('code_challenge_method must be S256')
  })

  it.each([
    ['too short', CHALLENGE.slice(1)],
    ['padded', `${CHALLENGE.slice(0, 42)}=`],
    ['in base64, not base64url', `${CHALLENGE.slice(0, 42)}+`],
    ['a verifier sent as the challenge', 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-too-long'],
  ])('refuses a malformed S256 challenge (%s)', async (_shape, challenge) => {
    const params = expectErrorRedirect(await browser.get(authorizeUrl(client, { code_challenge: challenge })), 'invalid_request')
    expect(params.get('error_description')).toBe('code_challenge is not a base64url SHA-256 value')
  })

  it('answers an unknown scope invalid_scope', async () => {
    expectErrorRedirect(await browser.get(authorizeUrl(client, { scope: 'openid admin' })), 'invalid_scope')
  })

  it('leaves out a known scope the client is not registered for, as /token does: the user is never asked for it, the token lacks it', async () => {
    const narrow = (await codeFlowClient(server, { scopes: ['openid', 'me'] })).client
    const page = await browser.get(authorizeUrl(narrow, { scope: 'openid me items' }))
    const consent = await browser.get(String((await browser.submit(page, { username: 'johndoe', password: PASSWORD })).headers.location))
    expect(consent.body).toContain('value="allow"')
    expect(consent.body).not.toContain('<code>items</code>')
    const { params } = redirectOf(await browser.submit(consent, { decision: 'allow' }))
    const token = await exchangeCode(server, narrow.id, params.get('code') as string)
    expect(token.json().scope).toBe('openid me')
  })

  it('answers prompt=none without a session login_required, without showing a page (OIDC Core §3.1.2.6)', async () => {
    expectErrorRedirect(await browser.get(authorizeUrl(client, { prompt: 'none' })), 'login_required')
    expect(browser.cookies.has('tessera-session')).toBe(false)
  })

  it('answers prompt=none consent_required when signed in but this client was never allowed; with consent, a code', async () => {
    await signInAndAuthorize(browser, client)                              // signed in, and client allowed
    const other = (await codeFlowClient(server, { name: 'Other App' })).client
    expectErrorRedirect(await browser.get(authorizeUrl(other, { prompt: 'none' })), 'consent_required')
    // The control: the client the user allowed gets its code silently.
    const silent = await browser.get(authorizeUrl(client, { prompt: 'none' }))
    expect(silent.statusCode).toBe(302)
    expect(redirectOf(silent).params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('answers prompt=none with other prompts invalid_request (OIDC Core §3.1.2.1: none stands alone)', async () => {
    expectErrorRedirect(await browser.get(authorizeUrl(client, { prompt: 'none login' })), 'invalid_request')
  })

  it('refuses request objects (request_not_supported) rather than ignoring what they would say', async () => {
    expectErrorRedirect(await browser.get(authorizeUrl(client, { request: 'eyJhbGciOiJub25lIn0.e30.' })), 'request_not_supported')
  })
})

describe('state round-trip (RFC 6749 §4.1.2: exactly as sent, and only when sent)', () => {
  // Characters that break a hand-built query: spaces, &, =, +, %, #, quotes, non-ASCII.
  const STATE = 'a b&c=d+e/f?g#h%25i"j\'k<l>é✓'

  useSharedServer()

  it('echoes a state with characters needing escaping exactly, through sign-in and consent, beside the code', async () => {
    const { params } = await signInAndAuthorize(browser, client, { overrides: { state: STATE } })
    expect(params.getAll('state')).toEqual([STATE])
    expect(params.has('c')).toBe(false)                                    // the & and = did not leak into parameters of their own
    expect(params.get('iss')).toBe(ISSUER)
  })

  it('echoes the same state with an error', async () => {
    const res = await browser.get(authorizeUrl(client, { state: STATE, prompt: 'none' }))
    const params = expectErrorRedirect(res, 'login_required', { state: STATE })
    expect(params.getAll('state')).toEqual([STATE])
  })

  it('sends no state back when none was sent: not even an empty one', async () => {
    const { params } = await signInAndAuthorize(browser, client, { overrides: { state: undefined } })
    expect(params.has('state')).toBe(false)
    expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(params.get('iss')).toBe(ISSUER)
    const error = await new TestBrowser(server).get(authorizeUrl(client, { state: undefined, prompt: 'none' }))
    expectErrorRedirect(error, 'login_required', { state: null })
  })

  it('refuses a repeated state rather than echoing one of the two', async () => {
    const res = await browser.get(`${authorizeUrl(client)}&state=other`)
    expectErrorRedirect(res, 'invalid_request', { state: null })
  })
})

describe('re-authentication: prompt=login and max_age (OIDC Core §3.1.2.1)', () => {
  useFreshServer()
  beforeEach(async () => { await signInAndAuthorize(browser, client) })  // signed in at T0, consent remembered

  async function authTimeOf(code: string): Promise<number> {
    const token = await exchangeCode(server, client.id, code)
    expect(token.statusCode).toBe(200)
    return claimsOf(token.json().id_token).auth_time as number
  }

  it('goes straight through for a signed-in browser without prompt (the control: single sign-on)', async () => {
    server.clock.advance(30_000)
    const res = await browser.get(authorizeUrl(client))
    expect(res.statusCode).toBe(302)
    expect(await authTimeOf(redirectOf(res).params.get('code') as string)).toBe(T0 / 1000)
  })

  it('shows the sign-in page again for prompt=login, and the id_token\'s auth_time is the new sign-in', async () => {
    server.clock.advance(30_000)
    const page = await browser.get(authorizeUrl(client, { prompt: 'login' }))
    expectSignInPage(page)
    const res = await browser.submit(page, { username: 'johndoe', password: PASSWORD })
    expect(res.statusCode).toBe(303)
    expect(await authTimeOf(redirectOf(res).params.get('code') as string)).toBe(T0 / 1000 + 30)
  })

  it('asks for the password again once the sign-in is older than max_age, and not before', async () => {
    server.clock.advance(120_000)
    const fresh = await browser.get(authorizeUrl(client, { max_age: '300' }))
    expect(fresh.statusCode).toBe(302)                                     // 120 s ≤ 300 s: no prompt
    const page = await browser.get(authorizeUrl(client, { max_age: '60' }))
    expectSignInPage(page)
    const res = await browser.submit(page, { username: 'johndoe', password: PASSWORD })
    expect(await authTimeOf(redirectOf(res).params.get('code') as string)).toBe(T0 / 1000 + 120)
  })

  it('treats max_age=0 as "sign in now" once any time has passed', async () => {
    server.clock.advance(1000)
    const page = await browser.get(authorizeUrl(client, { max_age: '0' }))
    expectSignInPage(page)
    const res = await browser.submit(page, { username: 'johndoe', password: PASSWORD })
    expect(await authTimeOf(redirectOf(res).params.get('code') as string)).toBe(T0 / 1000 + 1)
  })

  it('answers prompt=none with a sign-in older than max_age login_required, rather than a page', async () => {
    server.clock.advance(120_000)
    expectErrorRedirect(await browser.get(authorizeUrl(client, { prompt: 'none', max_age: '60' })), 'login_required')
  })
})

describe('consent denied', () => {
  useFreshServer()

  it('redirects access_denied with state and iss, issues no code, remembers nothing: the next request asks again', async () => {
    const page = await browser.get(authorizeUrl(client))
    const consent = await browser.get(String((await browser.submit(page, { username: 'johndoe', password: PASSWORD })).headers.location))
    expect(consent.body).toContain('value="allow"')
    expectErrorRedirect(await browser.submit(consent, { decision: 'deny' }), 'access_denied', { status: 303 })
    expect(await rawRows(server, 'authorization_codes')).toEqual([])
    expect(await server.store.consents.find(server.users.johndoe.id, client.id)).toBeNull()
    expect(await auditEvents(server, 'consent.denied')).toHaveLength(1)

    // Still signed in, and asked again rather than answered with a code.
    const again = await browser.get(authorizeUrl(client))
    expect(again.statusCode).toBe(200)
    expect(again.body).toContain('value="allow"')
    // The control: allowing is remembered, and the request after that goes straight through.
    expect((await browser.submit(again, { decision: 'allow' })).statusCode).toBe(303)
    expect((await browser.get(authorizeUrl(client))).statusCode).toBe(302)
  })

  it('treats a consent form without a decision as a denial', async () => {
    const page = await browser.get(authorizeUrl(client))
    const consent = await browser.get(String((await browser.submit(page, { username: 'johndoe', password: PASSWORD })).headers.location))
    expectErrorRedirect(await browser.submit(consent, {}), 'access_denied', { status: 303 })
    expect(await server.store.consents.find(server.users.johndoe.id, client.id)).toBeNull()
  })
})

describe('POST /token grant_type=authorization_code: attacks on the code', () => {
  useSharedServer()

  function expectInvalidGrant(res: LightMyRequestResponse): void {
    expect(res.statusCode).toBe(400)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toMatchObject({ error: 'invalid_grant', error_description: 'Invalid authorization code' })
    expect(res.json().access_token).toBeUndefined()
  }

  /** This test's events: the server is shared, the client is the test's own. */
  const eventsOf = async (event: Parameters<typeof auditEvents>[1]) => (await auditEvents(server, event)).filter((e) => e.clientId === client.id)
  const userinfo = (accessToken: string) => server.app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${accessToken}` } })
  const usersMe = (accessToken: string) => server.app.inject({ url: '/users/me', headers: { authorization: `Bearer ${accessToken}` } })

  it('refuses a replayed code and revokes what its first exchange issued: access token and refresh family (RFC 6749 §4.1.2)', async () => {
    const { code } = await signInAndAuthorize(browser, client)
    const first = await exchangeCode(server, client.id, code)
    expect(first.statusCode).toBe(200)
    const { access_token: accessToken, refresh_token: refreshToken } = first.json()
    expect((await userinfo(accessToken)).statusCode).toBe(200)            // the control: they worked until the replay
    expect((await usersMe(accessToken)).statusCode).toBe(200)

    expectInvalidGrant(await exchangeCode(server, client.id, code))
    expect((await userinfo(accessToken)).statusCode).toBe(401)
    expect((await usersMe(accessToken)).statusCode).toBe(401)
    const refused = await refresh(server, refreshToken, { client_id: client.id })
    expect(refused.statusCode).toBe(400)
    expect(refused.json().error).toBe('invalid_grant')
    expect(await eventsOf('authorization_code.reuse_detected')).toMatchObject([{ userId: server.users.johndoe.id, clientId: client.id }])
  })

  it('a replay also revokes the refresh tokens rotated from the first exchange since', async () => {
    const { code } = await signInAndAuthorize(browser, client)
    const first = (await exchangeCode(server, client.id, code)).json()
    const rotated = await refresh(server, first.refresh_token, { client_id: client.id })
    expect(rotated.statusCode).toBe(200)
    expectInvalidGrant(await exchangeCode(server, client.id, code))
    expect((await refresh(server, rotated.json().refresh_token, { client_id: client.id })).statusCode).toBe(400)
  })

  it('answers two simultaneous exchanges of one code with at most one token response, and leaves no token of it alive', async () => {
    // The exchange that consumes the code wins the conditional write; the other is a replay, which
    // revokes what the winner issues (RFC 6749 §4.1.2). When the replay lands while the winner is
    // still issuing, the winner hands out nothing either (authorization-code-grant.ts,
    // assertNotReplayedMeanwhile): on PostgreSQL both may be refused, never both answered.
    for (let round = 0; round < 5; round += 1) {
      const { code } = await signInAndAuthorize(browser, client)          // signed in and allowed: no password after round 0
      const answers = await Promise.all([exchangeCode(server, client.id, code), exchangeCode(server, client.id, code)])
      const won = answers.filter((a) => a.statusCode === 200)
      expect(won.length).toBeLessThanOrEqual(1)
      for (const lost of answers.filter((a) => a.statusCode !== 200)) expectInvalidGrant(lost)
      for (const winner of won.map((a) => a.json())) {
        expect((await userinfo(winner.access_token)).statusCode).toBe(401)
        expect((await refresh(server, winner.refresh_token, { client_id: client.id })).statusCode).toBe(400)
      }
    }
    // Every refresh token either exchange stored is revoked.
    const families = (await rawRows(server, 'refresh_tokens')).filter((row) => row.client_id === client.id)
    for (const row of families) expect(row.revoked_at).not.toBeNull()
    expect((await eventsOf('authorization_code.reuse_detected')).length).toBeGreaterThanOrEqual(5) // one per round, two when both lost
  })

  it('refuses a wrong code_verifier (RFC 7636 §4.6) and issues nothing; the rightful client, with its verifier, still can — once', async () => {
    // Designed: a failed attempt does not burn the code (as node-oidc-provider): a 256-bit verifier
    // cannot be guessed in the code's 60 s, and burning it would let whoever saw the code (a
    // log, a Referer) lock the real app out. Single-use is about exchanges that succeed.
    const { code } = await signInAndAuthorize(browser, client)
    expectInvalidGrant(await exchangeCode(server, client.id, code, { code_verifier: 'x'.repeat(43) }))
    expectInvalidGrant(await exchangeCode(server, client.id, code, { code_verifier: 'too-short' }))
    expect(await eventsOf('authorization_code.exchanged')).toEqual([])
    expect((await exchangeCode(server, client.id, code)).statusCode).toBe(200)
    expectInvalidGrant(await exchangeCode(server, client.id, code))
  })

  it('refuses an exchange without code_verifier: every code was issued with a challenge (RFC 7636 §4.5)', async () => {
    const { code } = await signInAndAuthorize(browser, client)
    const res = await server.app.inject({
      method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: client.id }).toString(),
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ error: 'invalid_request', error_description: 'Missing code_verifier parameter' })
  })

  it('refuses a redirect_uri other than the one the code was issued for, or none (RFC 6749 §4.1.3)', async () => {
    const { code } = await signInAndAuthorize(browser, client)
    expectInvalidGrant(await exchangeCode(server, client.id, code, { redirect_uri: `${REDIRECT_URI}/` }))
    expectInvalidGrant(await exchangeCode(server, client.id, code, { redirect_uri: 'https://evil.example/callback' }))
    const missing = await server.app.inject({
      method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: VERIFIER, client_id: client.id }).toString(),
    })
    expect(missing.statusCode).toBe(400)
    expect(missing.json().error).toBe('invalid_request')
    expect((await exchangeCode(server, client.id, code)).statusCode).toBe(200) // the control
  })

  it('binds the code to the loopback port a native client used, not just to the registered portless URI', async () => {
    const native = (await codeFlowClient(server, { redirectUris: ['http://127.0.0.1/callback'] })).client
    const used = 'http://127.0.0.1:51234/callback'
    const { code } = await signInAndAuthorize(browser, native, { overrides: { redirect_uri: used } })
    expectInvalidGrant(await exchangeCode(server, native.id, code, { redirect_uri: 'http://127.0.0.1/callback' }))
    expectInvalidGrant(await exchangeCode(server, native.id, code, { redirect_uri: 'http://127.0.0.1:51235/callback' }))
    expect((await exchangeCode(server, native.id, code, { redirect_uri: used })).statusCode).toBe(200)
  })

  it('refuses a code of client A presented by client B (mixed-up clients), which leaves A\'s code to A', async () => {
    const { code } = await signInAndAuthorize(browser, client)
    const b = (await codeFlowClient(server, { name: 'Client B' })).client
    expectInvalidGrant(await exchangeCode(server, b.id, code))
    const confidential = await codeFlowClient(server, { name: 'Client C', type: 'confidential' })
    expectInvalidGrant(await exchangeCode(server, confidential.client.id, code, {}, basic(confidential.client.id, confidential.secret as string)))
    const token = await exchangeCode(server, client.id, code)
    expect(token.statusCode).toBe(200)
    expect(claimsOf(token.json().id_token).aud).toBe(client.id)
  })

  it('refuses a code older than 60 s, and takes one just younger (RFC 6749 §4.1.2: short-lived)', async () => {
    const { code: young } = await signInAndAuthorize(browser, client)
    server.clock.advance(59_000)
    expect((await exchangeCode(server, client.id, young)).statusCode).toBe(200)
    const { code: old } = await signInAndAuthorize(browser, client)
    server.clock.advance(61_000)
    expectInvalidGrant(await exchangeCode(server, client.id, old))
  })

  it('makes a confidential client authenticate: client_id alone or a wrong secret is invalid_client, 401', async () => {
    const { client: web, secret } = await codeFlowClient(server, { type: 'confidential' })
    const { code } = await signInAndAuthorize(browser, web)
    for (const headers of [{}, basic(web.id, 'not-the-secret')]) {
      const res = await exchangeCode(server, web.id, code, {}, headers)
      expect(res.statusCode).toBe(401)
      expect(res.json().error).toBe('invalid_client')
      expect(res.json().access_token).toBeUndefined()
    }
    const postSecret = await exchangeCode(server, web.id, code, { client_secret: 'not-the-secret' })
    expect(postSecret.statusCode).toBe(401)
    expect((await exchangeCode(server, web.id, code, {}, basic(web.id, secret as string))).statusCode).toBe(200)
  })

  it('refuses a public client that sends a secret (invalid_client): it has none to prove', async () => {
    const { code } = await signInAndAuthorize(browser, client)
    const res = await exchangeCode(server, client.id, code, { client_secret: 'anything' })
    expect(res.statusCode).toBe(401)
    expect(res.json().error).toBe('invalid_client')
    expect((await exchangeCode(server, client.id, code)).statusCode).toBe(200)
  })

  it('refuses a code whose browser session was signed out before the exchange', async () => {
    const { code } = await signInAndAuthorize(browser, client)
    await server.store.browserSessions.deleteAllForUser(server.users.johndoe.id)
    expectInvalidGrant(await exchangeCode(server, client.id, code))
  })

  it('stores the code only as its SHA-256: the plaintext is nowhere in the row', async () => {
    const { code } = await signInAndAuthorize(browser, client)
    const rows = (await rawRows(server, 'authorization_codes')).filter((row) => row.client_id === client.id)
    expect(rows).toHaveLength(1)
    expect(rows[0]?.code_hash).toBe(hashAuthorizationCode(code))
    expect(JSON.stringify(rows)).not.toContain(code)
    expect(JSON.stringify(rows)).not.toContain(Buffer.from(code, 'base64url').toString('hex'))
  })
})

describe('a disabled user on the sign-in page', () => {
  useFreshServer()

  it('is refused with a clear message, gets no session cookie and no session row, and the app gets no code', async () => {
    const page = await browser.get(authorizeUrl(client))
    const res = await browser.submit(page, { username: 'alice', password: PASSWORD })
    expect(res.statusCode).toBe(400)
    expect(res.headers.location).toBeUndefined()
    expect(res.body).toContain('This account is disabled. Contact your administrator.')
    expect(res.body).toContain('name="password"')                          // the sign-in form again, for another account
    expect(browser.cookies.has('tessera-session')).toBe(false)
    expect(String(res.headers['set-cookie'] ?? '')).not.toContain('tessera-session=')
    expect(await rawRows(server, 'browser_sessions')).toEqual([])
    expect(await rawRows(server, 'authorization_codes')).toEqual([])
    expect(await auditEvents(server, 'login.failed')).toMatchObject([{ username: 'alice', details: { via: 'sign_in_page' } }])
    // Not signed in: the next request shows the sign-in page again; prompt=none is login_required.
    expectSignInPage(await browser.get(authorizeUrl(client)))
    expectErrorRedirect(await browser.get(authorizeUrl(client, { prompt: 'none' })), 'login_required')
    // The control: the same form signs an active user in.
    expect((await browser.submit(page, { username: 'johndoe', password: PASSWORD })).statusCode).toBe(303)
  })
})
