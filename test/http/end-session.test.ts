import type { LightMyRequestResponse } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createIdTokens, type ClientRecord } from '../../src/core/index.js'
import { auditEvents, mintRefreshToken, refresh } from './session-helpers.js'
import { TestBrowser, authorizeUrl, expectErrorPage, codeFlowClient, exchangeCode, formOf, redirectOf, signInAndAuthorize } from './sign-in-helpers.js'
import { startTestServer, type TestServer } from './test-server.js'

// OpenID Connect RP-Initiated Logout 1.0 at GET/POST /end-session, through the real routes. The
// happy path (hint + registered URI + state, family revoked) is in authorization-code-flow.test.ts;
// here: what is refused and shown on Tessera's page instead of redirected (§3: never an
// unregistered URI), when the user is asked first (§2), and exactly what a sign-out ends.

const BYE = 'https://app.example.com/bye'

let server: TestServer
let client: ClientRecord
let browser: TestBrowser

beforeEach(async () => {
  server = await startTestServer()
  client = (await codeFlowClient(server)).client
  browser = new TestBrowser(server)
})
afterEach(async () => { await server.close() })

interface Tokens { access_token: string; refresh_token: string; id_token: string }

/** The browser signs in through the code flow; the app exchanges the code. */
async function signIn(b: TestBrowser = browser, options: Parameters<typeof signInAndAuthorize>[2] = {}): Promise<Tokens> {
  const { code } = await signInAndAuthorize(b, client, options)
  const res = await exchangeCode(server, client.id, code)
  expect(res.statusCode).toBe(200)
  return res.json()
}

function endSession(params: Record<string, string>, b: TestBrowser = browser): Promise<LightMyRequestResponse> {
  return b.get(`/end-session?${new URLSearchParams(params).toString()}`)
}

async function sessionsOf(userId = server.users.johndoe.id): Promise<number> {
  return (await server.store.browserSessions.listForUser(userId)).length
}

/** Still signed in at Tessera: /authorize goes straight back to the app with a code (single sign-on). */
async function expectStillSignedIn(b: TestBrowser = browser): Promise<void> {
  const res = await b.get(authorizeUrl(client))
  expect(res.statusCode).toBe(302)
  expect(redirectOf(res).params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
}

async function expectSignedOut(b: TestBrowser = browser): Promise<void> {
  expect((await b.get(authorizeUrl(client))).body).toContain('name="password"')
}

function expectConfirmPage(res: LightMyRequestResponse): void {
  expect(res.statusCode).toBe(200)
  expect(res.headers.location).toBeUndefined()
  expect(res.body).toContain('>Sign out</button>')
  expect(formOf(res.body).hidden.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/)
}

function setCookies(res: LightMyRequestResponse): string[] {
  const raw = res.headers['set-cookie']
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
}

describe('with an id_token_hint of the signed-in user: signed out at once', () => {
  it('deletes the session row, clears the cookie, records session.ended, and goes back with state', async () => {
    const tokens = await signIn()
    expect(await sessionsOf()).toBe(1)
    const res = await endSession({ id_token_hint: tokens.id_token, post_logout_redirect_uri: BYE, state: 'bye-1' })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`${BYE}?state=bye-1`)
    expect(setCookies(res).find((c) => c.startsWith('tessera-session='))).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i)
    expect(await sessionsOf()).toBe(0)
    expect(await auditEvents(server, 'session.ended')).toMatchObject([
      { userId: server.users.johndoe.id, clientId: client.id, details: { refresh_tokens_revoked: 1 } },
    ])
    await expectSignedOut()
  })

  it('sends back no state when none was sent: exactly the registered URI', async () => {
    const tokens = await signIn()
    const res = await endSession({ id_token_hint: tokens.id_token, post_logout_redirect_uri: BYE })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(BYE)
  })

  it('shows the signed-out page, naming the app, when no post_logout_redirect_uri is sent', async () => {
    const tokens = await signIn()
    const res = await endSession({ id_token_hint: tokens.id_token })
    expect(res.statusCode).toBe(200)
    expect(res.headers.location).toBeUndefined()
    expect(res.body).toContain('You have signed out')
    expect(res.body).toContain('Example App signed you out')
    expect(await sessionsOf()).toBe(0)
  })

  it('takes the same parameters as a form POST from the app (§2: GET and POST)', async () => {
    const tokens = await signIn()
    const res = await browser.post('/end-session', { id_token_hint: tokens.id_token, post_logout_redirect_uri: BYE, state: 'via-post' })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`${BYE}?state=via-post`)
    expect(await sessionsOf()).toBe(0)
  })

  it('accepts an expired id_token_hint (§2: the OP should accept it)', async () => {
    const tokens = await signIn()
    server.clock.advance(2 * 3_600_000)                                  // the id_token lived 30 min; the browser session 72 h
    const res = await endSession({ id_token_hint: tokens.id_token, post_logout_redirect_uri: BYE, state: 's' })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`${BYE}?state=s`)
    expect(await sessionsOf()).toBe(0)
  })

  it('sends a browser that is already signed out (a second click) back all the same', async () => {
    const tokens = await signIn()
    expect((await endSession({ id_token_hint: tokens.id_token })).statusCode).toBe(200)
    const again = await endSession({ id_token_hint: tokens.id_token, post_logout_redirect_uri: BYE, state: 'twice' })
    expect(again.statusCode).toBe(303)
    expect(again.headers.location).toBe(`${BYE}?state=twice`)
    expect(await auditEvents(server, 'session.ended')).toHaveLength(1)      // nothing was signed in the second time
  })
})

describe('a hint that does not prove the request comes from this sign-in: the user is asked', () => {
  it('asks when the hint names another user, and leaves the session alone until the user answers', async () => {
    await signIn()
    const bobs = await signIn(new TestBrowser(server), { username: 'bob' })
    const res = await endSession({ id_token_hint: bobs.id_token, post_logout_redirect_uri: BYE, state: 's' })
    expectConfirmPage(res)
    expect(await sessionsOf()).toBe(1)
    await expectStillSignedIn()
  })

  it('asks when the hint is from an earlier sign-in of the same user (its sid is another session)', async () => {
    const earlier = await signIn()
    await signIn(browser, { overrides: { prompt: 'login' } })           // a new session replaces the first
    expectConfirmPage(await endSession({ id_token_hint: earlier.id_token }))
    expect(await sessionsOf()).toBe(1)
  })
})

describe('refused on the error page: no redirect, and the browser stays signed in', () => {
  it('an unregistered post_logout_redirect_uri, in any variation of the registered one', async () => {
    const tokens = await signIn()
    const other = (await codeFlowClient(server, { name: 'Other App', postLogoutRedirectUris: ['https://other.example/bye'] })).client
    expect(other.postLogoutRedirectUris).toEqual(['https://other.example/bye'])
    for (const uri of [`${BYE}/`, 'https://APP.example.com/bye', `${BYE}?next=/admin`, 'https://app.example.com:8443/bye', 'https://evil.example/bye',
      'https://other.example/bye']) {                                    // the last: registered, but by another client
      const res = await endSession({ id_token_hint: tokens.id_token, post_logout_redirect_uri: uri, state: 's' })
      expectErrorPage(res, 'The post_logout_redirect_uri is not registered for this application')
      expect(res.body, uri).not.toContain('href="https://')
    }
    expect(await sessionsOf()).toBe(1)
    await expectStillSignedIn()
  })

  it('a post_logout_redirect_uri with neither id_token_hint nor client_id: nothing to check it against', async () => {
    await signIn()
    const res = await endSession({ post_logout_redirect_uri: BYE, state: 's' })
    expectErrorPage(res, 'A post_logout_redirect_uri needs an id_token_hint or a client_id')
    expect(await sessionsOf()).toBe(1)
  })

  it('a hint signed with Tessera\'s own key but for another issuer, a tampered hint, and garbage', async () => {
    const tokens = await signIn()
    const elsewhere = createIdTokens({
      issuer: 'https://elsewhere.example', expiresInSeconds: 1800, clock: server.clock, keys: server.signingKeys,
      provideSigner: async () => server.signingKeys.current(),
    })
    const foreign = await elsewhere.issue({ subject: server.users.johndoe.id, client, authTime: 0 })
    const [header, payload, signature] = tokens.id_token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    const tampered = [header, Buffer.from(JSON.stringify({ ...claims, sub: server.users.bob.id })).toString('base64url'), signature].join('.')
    for (const hint of [foreign, tampered, 'garbage', `${header}.${payload}.`]) {
      const res = await endSession({ id_token_hint: hint, post_logout_redirect_uri: BYE, state: 's' })
      expectErrorPage(res, 'The id_token_hint was not issued by this server')
    }
    expect(await sessionsOf()).toBe(1)
    // The control: the genuine hint is accepted.
    expect((await endSession({ id_token_hint: tokens.id_token, post_logout_redirect_uri: BYE })).statusCode).toBe(303)
  })

  it('a client_id that disagrees with the hint\'s audience, and an unknown client_id', async () => {
    const tokens = await signIn()
    const other = (await codeFlowClient(server, { name: 'Other App' })).client
    expectErrorPage(await endSession({ id_token_hint: tokens.id_token, client_id: other.id }), 'The client_id does not match the id_token_hint')
    expectErrorPage(await endSession({ client_id: 'no-such-client', post_logout_redirect_uri: BYE }), 'unknown client_id')
    expect(await sessionsOf()).toBe(1)
  })
})

describe('without an id_token_hint (anyone can link here): a confirmation page first', () => {
  it('asks with a Sign out button and a CSRF token; only the POST of that form signs out', async () => {
    await signIn()
    const confirm = await endSession({})
    expectConfirmPage(confirm)
    expect(confirm.body).toContain('Sign out of Tessera?')
    expect(formOf(confirm.body).action).toBe('/end-session')
    expect(await sessionsOf()).toBe(1)
    await expectStillSignedIn()

    const res = await browser.submit(confirm)
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('You have signed out')
    expect(await sessionsOf()).toBe(0)
    await expectSignedOut()
  })

  it('carries client_id, post_logout_redirect_uri and state through the question, then goes back with state', async () => {
    await signIn()
    const confirm = await endSession({ client_id: client.id, post_logout_redirect_uri: BYE, state: 'asked' })
    expectConfirmPage(confirm)
    expect(confirm.body).toContain('Example App asked to sign you out')
    expect(String(confirm.headers['content-security-policy'])).toContain('form-action \'self\' https://app.example.com')
    expect(formOf(confirm.body).hidden).toMatchObject({ client_id: client.id, post_logout_redirect_uri: BYE, state: 'asked', confirm: 'yes' })
    const res = await browser.submit(confirm)
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`${BYE}?state=asked`)
    expect(await sessionsOf()).toBe(0)
  })

  it('only asks again for a POST without the form\'s confirm field (an app\'s or another site\'s): nobody is signed out', async () => {
    await signIn()
    const res = await browser.post('/end-session', { client_id: client.id }, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })
    expectConfirmPage(res)
    expect(await sessionsOf()).toBe(1)
  })

  it('shows a browser with no session the signed-out page at once (nothing to ask), or goes back to a registered URI', async () => {
    const page = await endSession({})
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('You have signed out')
    const back = await endSession({ client_id: client.id, post_logout_redirect_uri: BYE, state: 'x' })
    expect(back.statusCode).toBe(303)
    expect(back.headers.location).toBe(`${BYE}?state=x`)
    expect(await auditEvents(server, 'session.ended')).toEqual([])
  })
})

describe('what a sign-out ends: the refresh families this browser session started, nothing else', () => {
  it('revokes this sign-in\'s family; another browser\'s sign-in and a password-grant session of the same user keep theirs', async () => {
    const here = await signIn()
    const elsewhere = new TestBrowser(server)
    const there = await signIn(elsewhere)
    const passwordGrant = await mintRefreshToken(server, server.users.johndoe)

    expect((await endSession({ id_token_hint: here.id_token })).statusCode).toBe(200)
    const dead = await refresh(server, here.refresh_token, { client_id: client.id })
    expect(dead.statusCode).toBe(400)
    expect(dead.json().error).toBe('invalid_grant')
    expect((await refresh(server, there.refresh_token, { client_id: client.id })).statusCode).toBe(200)
    expect((await refresh(server, passwordGrant)).statusCode).toBe(200)
    await expectStillSignedIn(elsewhere)
    await expectSignedOut()
  })

  it('revokes it on the confirmed path too (no hint)', async () => {
    const tokens = await signIn()
    const res = await browser.submit(await endSession({}))
    expect(res.statusCode).toBe(200)
    expect((await refresh(server, tokens.refresh_token, { client_id: client.id })).statusCode).toBe(400)
    expect(await auditEvents(server, 'session.ended')).toMatchObject([{ userId: server.users.johndoe.id, details: { refresh_tokens_revoked: 1 } }])
  })
})
