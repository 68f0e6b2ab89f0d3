import { createPublicKey } from 'node:crypto'
import { createVerifier } from 'fast-jwt'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tokenHash, type ClientRecord } from '../../src/core/index.js'
import { auditEvents } from './session-helpers.js'
import {
  ISSUER, REDIRECT_URI, TestBrowser, codeFlowClient, exchangeCode, formOf, redirectOf, signInAndAuthorize, authorizeUrl,
} from './sign-in-helpers.js'
import { PASSWORD, T0, startTestServer, type TestServer } from './test-server.js'

// Issue 9 parts 1–5 through the real routes: /authorize → sign-in → consent → code → /token →
// /userinfo → refresh → /end-session, asserting what the browser and the app each see.

let server: TestServer
let client: ClientRecord
let browser: TestBrowser

beforeEach(async () => {
  server = await startTestServer()
  client = (await codeFlowClient(server)).client
  browser = new TestBrowser(server)
})
afterEach(async () => { await server.close() })

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8'))
}
function headerOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString('utf8'))
}

async function verifyIdToken(idToken: string): Promise<Record<string, unknown>> {
  const jwks = (await server.app.inject({ url: '/.well-known/jwks.json' })).json() as { keys: Record<string, string>[] }
  const jwk = jwks.keys.find((k) => k.kid === headerOf(idToken).kid)
  expect(jwk).toBeDefined()
  const key = createPublicKey({ key: jwk as unknown as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string
  return createVerifier({ key, algorithms: [jwk?.alg as 'RS256'], allowedIss: ISSUER, allowedAud: client.id, clockTimestamp: T0 })(idToken)
}

describe('the sign-in page', () => {
  it('is what GET /authorize shows to a browser without a session: a form labelled Username and Password, no script', async () => {
    const res = await browser.get(authorizeUrl(client, { login_hint: 'johndoe' }))
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.headers['cache-control']).toBe('no-store')
    const csp = String(res.headers['content-security-policy'])
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain('form-action \'self\' https://app.example.com')
    expect(csp).not.toContain('script-src')
    expect(res.headers['x-frame-options']).toBe('DENY')
    expect(res.body).toContain('<label for="username">Username</label>')
    expect(res.body).toContain('<label for="password">Password</label>')
    expect(res.body).toContain('>Sign in</button>')
    expect(res.body).toContain('Example App')
    expect(res.body).toContain('value="johndoe"')                       // login_hint
    expect(res.body).not.toMatch(/<script/i)
    const { action, hidden } = formOf(res.body)
    expect(action).toBe('/signin')
    expect(hidden.csrf).toBe(browser.cookies.get('tessera-csrf'))
    expect(new URLSearchParams(hidden.request).get('client_id')).toBe(client.id)
  })

  it('refuses a wrong password with the /token message, keeps the username, and counts it in the audit log', async () => {
    const page = await browser.get(authorizeUrl(client))
    const res = await browser.submit(page, { username: 'johndoe', password: 'wrong password' })
    expect(res.statusCode).toBe(401)
    expect(res.body).toContain('Incorrect username or password')
    expect(res.body).toContain('value="johndoe"')
    expect(browser.cookies.has('tessera-session')).toBe(false)
    const failed = await auditEvents(server, 'login.failed')
    expect(failed[0]).toMatchObject({ username: 'johndoe', clientId: client.id, details: { reason: 'invalid_credentials', via: 'sign_in_page' } })
  })

  it('tells a disabled user only after the right password, and signs nobody in', async () => {
    const page = await browser.get(authorizeUrl(client))
    const res = await browser.submit(page, { username: 'alice', password: PASSWORD })
    expect(res.statusCode).toBe(400)
    expect(res.body).toContain('This account is disabled')
    expect(browser.cookies.has('tessera-session')).toBe(false)
    expect(await server.store.authorizationCodes.findByHash('x')).toBeNull()
  })
})

describe('the code flow end to end', () => {
  it('signs in, asks consent, redirects with code, state and iss, and the code buys tokens, an id_token and userinfo', async () => {
    let res = await browser.get(authorizeUrl(client))
    res = await browser.submit(res, { username: 'johndoe', password: PASSWORD })
    expect(res.statusCode).toBe(303)
    const session = browser.cookies.get('tessera-session')
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] as string | string[])
    expect(setCookie.find((c) => c.startsWith('tessera-session='))).toMatch(/HttpOnly/)
    expect(setCookie.find((c) => c.startsWith('tessera-session='))).toMatch(/SameSite=Lax/)
    expect(String(res.headers.location)).toMatch(/^\/consent\?/)

    res = await browser.get(String(res.headers.location))
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('Example App')
    for (const text of ['openid', 'profile', 'email', 'offline_access', 'See your email address', '>Allow</button>', '>Deny</button>']) expect(res.body).toContain(text)

    res = await browser.submit(res, { decision: 'allow' })
    expect(res.statusCode).toBe(303)
    const { base, params } = redirectOf(res)
    expect(base).toBe(REDIRECT_URI)
    expect(params.get('state')).toBe('state-123')
    expect(params.get('iss')).toBe(ISSUER)
    const code = params.get('code') as string
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/)

    const token = await exchangeCode(server, client.id, code)
    expect(token.statusCode).toBe(200)
    expect(token.headers['cache-control']).toBe('no-store')
    const body = token.json()
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 1800, scope: 'openid profile email offline_access me' })
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(claimsOf(body.access_token)).toMatchObject({ iss: ISSUER, sub: server.users.johndoe.id, aud: ISSUER, client_id: client.id })

    const idToken = await verifyIdToken(body.id_token)
    expect(headerOf(body.id_token)).toMatchObject({ alg: 'RS256', typ: 'JWT' })
    expect(idToken).toMatchObject({
      iss: ISSUER, sub: server.users.johndoe.id, aud: client.id, azp: client.id, nonce: 'nonce-456', auth_time: T0 / 1000,
      at_hash: tokenHash(body.access_token, 'RS256'), amr: ['pwd'],
    })
    expect(typeof idToken.sid).toBe('string')

    const info = await server.app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${body.access_token}` } })
    expect(info.statusCode).toBe(200)
    expect(info.json()).toEqual({
      sub: server.users.johndoe.id, name: 'John Doe', preferred_username: 'johndoe', updated_at: Math.floor(server.users.johndoe.updatedAt.getTime() / 1000),
      email: 'johndoe@example.com', email_verified: false,
    })
    expect((await auditEvents(server, 'consent.granted'))[0]).toMatchObject({ userId: server.users.johndoe.id, clientId: client.id })
    expect((await auditEvents(server, 'authorization_code.exchanged'))).toHaveLength(1)
  })

  it('signs a second client in without the password (single sign-on), and remembers consent', async () => {
    await signInAndAuthorize(browser, client)
    const other = (await codeFlowClient(server, { name: 'Other App' })).client
    const first = await browser.get(authorizeUrl(other))
    expect(first.statusCode).toBe(200)
    expect(first.body).toContain('Other App')
    expect(first.body).toContain('value="allow"')                         // consent, no password
    // The first client again: consent is remembered, straight back with a code.
    const again = await browser.get(authorizeUrl(client))
    expect(again.statusCode).toBe(302)
    expect(redirectOf(again).params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('skips consent for a first-party client', async () => {
    const own = (await codeFlowClient(server, { name: 'Own App', firstParty: true })).client
    let res = await browser.get(authorizeUrl(own))
    res = await browser.submit(res, { username: 'johndoe', password: PASSWORD })
    expect(res.statusCode).toBe(303)
    expect(redirectOf(res).base).toBe(REDIRECT_URI)
  })

  it('refreshes with a new id_token (same auth_time, no nonce), and end-session with the hint signs out and revokes the family', async () => {
    const { code } = await signInAndAuthorize(browser, client)
    const tokens = (await exchangeCode(server, client.id, code)).json()
    server.clock.advance(60_000)
    const refreshed = await server.app.inject({
      method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.id }).toString(),
    })
    expect(refreshed.statusCode).toBe(200)
    const again = refreshed.json()
    const idToken = await verifyIdToken(again.id_token)
    expect(idToken.auth_time).toBe(T0 / 1000)
    expect(idToken.iat).toBe(T0 / 1000 + 60)
    expect(idToken.nonce).toBeUndefined()

    const logout = await browser.get(`/end-session?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://app.example.com/bye', state: 'bye-1' })}`)
    expect(logout.statusCode).toBe(303)
    expect(logout.headers.location).toBe('https://app.example.com/bye?state=bye-1')
    expect(browser.cookies.has('tessera-session')).toBe(false)
    const dead = await server.app.inject({
      method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: again.refresh_token, client_id: client.id }).toString(),
    })
    expect(dead.statusCode).toBe(400)
    expect(dead.json().error).toBe('invalid_grant')
    // Signed out: the next /authorize shows the sign-in page again.
    expect((await browser.get(authorizeUrl(client))).body).toContain('name="password"')
  })

  it('ends the previous user\'s session with its refresh family when another user signs in on the same browser', async () => {
    const { code } = await signInAndAuthorize(browser, client)
    const john = (await exchangeCode(server, client.id, code)).json()
    // bob signs in on the shared browser (prompt=login shows the page although johndoe is signed in).
    await signInAndAuthorize(browser, client, { username: 'bob', overrides: { prompt: 'login', scope: 'openid me' } })
    expect((await server.store.browserSessions.listForUser(server.users.johndoe.id))).toEqual([])
    const refresh = await server.app.inject({
      method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: john.refresh_token, client_id: client.id }).toString(),
    })
    expect(refresh.statusCode).toBe(400)
    expect(refresh.json().error).toBe('invalid_grant')
  })

  it('gives no refresh token without offline_access, and no id_token without openid', async () => {
    const { code } = await signInAndAuthorize(browser, client, { overrides: { scope: 'me' } })
    const body = (await exchangeCode(server, client.id, code)).json()
    expect(body.scope).toBe('me')
    expect(body.refresh_token).toBeUndefined()
    expect(body.id_token).toBeUndefined()
  })
})
