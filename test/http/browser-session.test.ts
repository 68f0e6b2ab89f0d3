import { createHash } from 'node:crypto'
import Sqlite from 'better-sqlite3'
import type { LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ClientRecord } from '../../src/core/index.js'
import { auditEvents } from './session-helpers.js'
import { ISSUER, TestBrowser, rawRows, authorizeUrl, codeFlowClient, formOf, redirectOf, signInAndAuthorize } from './sign-in-helpers.js'
import { FORM, PASSWORD, form, startTestServer, type TestServer } from './test-server.js'

// Issue 9 parts 2 and 3 through the real routes: CSRF on every hosted form (and so login CSRF),
// the session cookie's attributes, the session row keeping only a hash, and /logout and a
// password change ending browser sessions.

const EXPIRED = 'This form has expired or was sent from another site'

let server: TestServer
let client: ClientRecord
let browser: TestBrowser

async function start(config: Parameters<typeof startTestServer>[0] = {}) {
  server = await startTestServer(config)
  client = (await codeFlowClient(server)).client
  browser = new TestBrowser(server)
}

/** A server of the test's own, for tests that change the users or the clock. */
function serverPerTest(): void {
  afterEach(async () => { await server.close() })
}

/**
 * One server for a block whose tests only sign in and out: each test gets a new client (so no
 * consent carries over), a new browser and no browser session of either user.
 */
function sharedServer(): void {
  beforeAll(async () => { await start() })
  afterAll(async () => { await server.close() })
  beforeEach(async () => {
    client = (await codeFlowClient(server)).client
    browser = new TestBrowser(server)
    for (const user of [server.users.johndoe, server.users.bob]) await server.store.browserSessions.deleteAllForUser(user.id)
  })
}

/** Audit entries of one event about this test's client. */
async function clientEvents(event: Parameters<typeof auditEvents>[1]) {
  return (await auditEvents(server, event)).filter((entry) => entry.clientId === client.id)
}

async function signInPage(b: TestBrowser = browser): Promise<LightMyRequestResponse> {
  const page = await b.get(authorizeUrl(client))
  expect(page.body).toContain('name="password"')
  return page
}

async function sessionCount(userId = server.users.johndoe.id): Promise<number> {
  return (await server.store.browserSessions.listForUser(userId)).length
}


function setCookies(res: LightMyRequestResponse): string[] {
  const raw = res.headers['set-cookie']
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
}

/** The ways a forged POST of a page's form arrives; each must be refused on every form. */
const FORGERIES: [string, (b: TestBrowser, page: LightMyRequestResponse, fields: Record<string, string>) => Promise<LightMyRequestResponse>][] = [
  ['without the csrf field', (b, page, fields) => {
    const { action, hidden } = formOf(page.body)
    const { csrf: _dropped, ...rest } = hidden
    return b.post(action, { ...rest, ...fields })
  }],
  ['with a wrong csrf field', (b, page, fields) => b.submit(page, { ...fields, csrf: 'B'.repeat(43) })],
  ['without the csrf cookie', (b, page, fields) => { b.cookies.delete('tessera-csrf'); return b.submit(page, fields) }],
  ['announced cross-site by Sec-Fetch-Site', (b, page, fields) => b.submit(page, fields, { 'sec-fetch-site': 'cross-site' })],
  ['from a foreign Origin', (b, page, fields) => b.submit(page, fields, { origin: 'https://evil.example' })],
]

/**
 * What a browser sends with the page's own form and must be let through: Chromium's
 * `Origin: null` under Referrer-Policy: no-referrer (Fetch §3.2.5), our own origin, or an older
 * browser sending neither header — the double-submit token then decides alone.
 */
const GENUINE: [string, Record<string, string>][] = [
  ['Origin: null, Sec-Fetch-Site: same-origin', {}],
  ['Origin: the issuer', { origin: ISSUER }],
  ['neither header (an older browser)', { origin: '', 'sec-fetch-site': '' }],
]

/** TestBrowser's defaults, with empty values meaning "not sent". */
async function submitAs(b: TestBrowser, page: LightMyRequestResponse, fields: Record<string, string>, headers: Record<string, string>) {
  const { action, hidden } = formOf(page.body)
  const sent = Object.fromEntries(Object.entries({ 'sec-fetch-site': 'same-origin', origin: 'null', ...headers }).filter(([, v]) => v !== ''))
  return server.app.inject({
    method: 'POST', url: action, payload: new URLSearchParams({ ...hidden, ...fields }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...b.cookieHeader(), ...sent },
  })
}

describe('CSRF on every hosted form', () => {
  sharedServer()

  describe('the sign-in form (login CSRF included)', () => {
    it('signs in with the page\'s own token (the control for the refusals below)', async () => {
      const res = await browser.submit(await signInPage(), { username: 'johndoe', password: PASSWORD })
      expect(res.statusCode).toBe(303)
      expect(await sessionCount()).toBe(1)
    })

    for (const [name, forge] of FORGERIES) {
      it(`refuses a POST /signin ${name}: a 403 page, no session, no password checked`, async () => {
        const page = await signInPage()
        const verifies = server.hasher.calls.verify
        const res = await forge(browser, page, { username: 'johndoe', password: PASSWORD })
        expect(res.statusCode).toBe(403)
        expect(res.headers['content-type']).toMatch(/^text\/html/)
        expect(res.body).toContain(EXPIRED)
        expect(res.headers.location).toBeUndefined()
        expect(setCookies(res).some((c) => c.startsWith('tessera-session='))).toBe(false)
        expect(server.hasher.calls.verify).toBe(verifies)
        expect(await sessionCount()).toBe(0)
      })
    }

    it('refuses the attacker\'s own sign-in form posted into the victim\'s browser (login CSRF)', async () => {
      // The attacker loads the page in their own browser and fills in their own account (bob), so
      // that the victim would use the app as bob and hand it their data…
      const attacker = new TestBrowser(server)
      const { action, hidden } = formOf((await signInPage(attacker)).body)
      const forged = { ...hidden, username: 'bob', password: PASSWORD }
      // …and makes the victim's browser post it from the attacker's site. SameSite=Strict keeps the
      // victim's csrf cookie out of a cross-site POST, and the attacker's token is not the victim's anyway.
      await browser.get(authorizeUrl(client))
      expect((await browser.post(action, forged, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).statusCode).toBe(403)
      expect((await browser.post(action, forged, { 'sec-fetch-site': 'same-site' })).statusCode).toBe(403)   // a sibling subdomain
      const quiet = await browser.post(action, forged)                     // even without the headers (an old browser)
      expect(quiet.statusCode).toBe(403)
      expect(browser.cookies.has('tessera-session')).toBe(false)
      expect(await sessionCount(server.users.bob.id)).toBe(0)
      // The control: the same fields from the attacker's own browser do sign the attacker in.
      expect((await attacker.post(action, forged)).statusCode).toBe(303)
      expect(await sessionCount(server.users.bob.id)).toBe(1)
    })
  })

  describe('the sign-in form accepts what a browser sends from the page itself', () => {
    for (const [name, headers] of GENUINE) {
      it(`signs in with ${name}`, async () => {
        const res = await submitAs(browser, await signInPage(), { username: 'johndoe', password: PASSWORD }, headers)
        expect(res.statusCode).toBe(303)
        expect(await sessionCount()).toBe(1)
      })
    }
  })

  describe('the consent form (a forged Allow)', () => {
    async function consentPage(): Promise<LightMyRequestResponse> {
      const signedIn = await browser.submit(await signInPage(), { username: 'johndoe', password: PASSWORD })
      expect(String(signedIn.headers.location)).toMatch(/^\/consent/)
      const page = await browser.get(String(signedIn.headers.location))
      expect(page.body).toContain('value="allow"')
      return page
    }

    for (const [name, forge] of FORGERIES) {
      it(`refuses an Allow ${name}: a 403 page, no code, no consent stored`, async () => {
        const page = await consentPage()
        const res = await forge(browser, page, { decision: 'allow' })
        expect(res.statusCode).toBe(403)
        expect(res.body).toContain(EXPIRED)
        expect(res.headers.location).toBeUndefined()
        expect(await server.store.consents.find(server.users.johndoe.id, client.id)).toBeNull()
        expect(await clientEvents('authorization_code.issued')).toEqual([])
      })
    }

    it('takes the page\'s own Allow (the control): a code, and the consent remembered', async () => {
      const allowed = await browser.submit(await consentPage(), { decision: 'allow' })
      expect(allowed.statusCode).toBe(303)
      expect(redirectOf(allowed).params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(await server.store.consents.find(server.users.johndoe.id, client.id)).not.toBeNull()
    })
  })

  describe('the sign-out confirmation form (a forged sign-out)', () => {
    async function confirmPage(): Promise<LightMyRequestResponse> {
      await signInAndAuthorize(browser, client)
      const confirm = await browser.get('/end-session')
      expect(confirm.statusCode).toBe(200)
      expect(confirm.body).toContain('>Sign out</button>')
      return confirm
    }

    for (const [name, forge] of FORGERIES) {
      it(`refuses a sign-out ${name}: a 403 page, the session stays`, async () => {
        const page = await confirmPage()
        const ended = (await auditEvents(server, 'session.ended')).length
        const res = await forge(browser, page, {})
        expect(res.statusCode).toBe(403)
        expect(res.body).toContain(EXPIRED)
        expect(await sessionCount()).toBe(1)
        expect(setCookies(res).some((c) => c.startsWith('tessera-session='))).toBe(false)
        expect(await auditEvents(server, 'session.ended')).toHaveLength(ended)
      })
    }

    it('signs out with the page\'s own button (the control)', async () => {
      const signedOut = await browser.submit(await confirmPage())
      expect(signedOut.statusCode).toBe(200)
      expect(signedOut.body).toContain('You have signed out')
      expect(await sessionCount()).toBe(0)
      expect(browser.cookies.has('tessera-session')).toBe(false)
    })
  })
})

describe('the session cookie', () => {
  serverPerTest()

  it('is HttpOnly, SameSite=Lax, Path=/, host-only; the row keeps only a hash of it', async () => {
    await start()
    const res = await browser.submit(await signInPage(), { username: 'johndoe', password: PASSWORD })
    const cookie = setCookies(res).find((c) => c.startsWith('tessera-session='))
    expect(cookie).toBeDefined()
    expect(cookie).toMatch(/; HttpOnly/i)
    expect(cookie).toMatch(/; SameSite=Lax/i)
    expect(cookie).toMatch(/; Path=\//)
    expect(cookie).not.toMatch(/; Domain=/i)
    expect(cookie).not.toMatch(/; Secure/i)                               // http issuer: a Secure cookie would never come back

    expect(cookie).toMatch(/; Max-Age=1209600/)                          // TESSERA_SESSION_ABSOLUTE_HOURS: 14 days

    // What an operator, or a thief with a copy of the database, sees: the SHA-256 only, not the value.
    const value = browser.cookies.get('tessera-session') as string
    const rows = await rawRows(server, 'browser_sessions')
    expect(rows).toHaveLength(1)
    expect(JSON.stringify(rows)).not.toContain(value)
    expect(rows[0]?.token_hash).toBe(createHash('sha256').update(value).digest('hex'))
    expect(rows[0]?.id).not.toBe(value)
  })

  it('behind TLS (an https issuer) is named __Host- and Secure, and so is the CSRF cookie', async () => {
    await start({ config: { issuer: 'https://tessera.test', audience: 'https://tessera.test' } })
    const page = await browser.get(authorizeUrl(client), { 'x-forwarded-proto': 'https' })
    expect(setCookies(page).find((c) => c.startsWith('__Host-tessera-csrf='))).toMatch(/; Secure/i)
    const csrf = setCookies(page).find((c) => c.startsWith('__Host-tessera-csrf='))
    expect(csrf).toMatch(/; HttpOnly/i)
    expect(csrf).toMatch(/; SameSite=Strict/i)
    const res = await browser.submit(page, { username: 'johndoe', password: PASSWORD })
    expect(res.statusCode).toBe(303)
    const cookie = setCookies(res).find((c) => c.startsWith('__Host-tessera-session='))
    // RFC 6265bis §4.1.3.2: a __Host- cookie must be Secure, Path=/ and without Domain, or browsers drop it.
    expect(cookie).toMatch(/; Secure/i)
    expect(cookie).toMatch(/; Path=\/(;|$)/)
    expect(cookie).not.toMatch(/; Domain=/i)
    expect(cookie).toMatch(/; HttpOnly/i)
    expect(cookie).toMatch(/; SameSite=Lax/i)
    expect([...browser.cookies.keys()].sort()).toEqual(['__Host-tessera-csrf', '__Host-tessera-session'])
    // The prefixed names are the ones read back: single sign-on works with them.
    const consent = await browser.get(String(res.headers.location))
    expect(consent.body).toContain('value="allow"')
  })

  it('is a new value at every sign-in (no session fixation)', async () => {
    await start()
    await browser.submit(await signInPage(), { username: 'johndoe', password: PASSWORD })
    const first = browser.cookies.get('tessera-session')
    const again = await browser.get(authorizeUrl(client, { prompt: 'login' }))
    await browser.submit(again, { username: 'johndoe', password: PASSWORD })
    expect(browser.cookies.get('tessera-session')).toBeDefined()
    expect(browser.cookies.get('tessera-session')).not.toBe(first)
  })
})

describe('what ends a browser session', () => {
  beforeEach(async () => { await start() })
  serverPerTest()

  async function signedIn(): Promise<void> {
    await signInAndAuthorize(browser, client)
    expect(await sessionCount()).toBe(1)
    const again = await browser.get(authorizeUrl(client))
    expect(again.statusCode).toBe(302)                                    // single sign-on: straight back with a code
  }

  it('POST /logout (logout everywhere): every browser of the user must sign in again; another user\'s session stays', async () => {
    await signedIn()
    const laptop = new TestBrowser(server)
    await signInAndAuthorize(laptop, client)
    const bobs = new TestBrowser(server)
    await signInAndAuthorize(bobs, client, { username: 'bob' })
    expect(await sessionCount()).toBe(2)
    const res = await server.app.inject({ method: 'POST', url: '/logout', headers: { authorization: server.bearer(server.users.johndoe) } })
    expect(res.statusCode).toBe(204)
    expect(await sessionCount()).toBe(0)
    expect((await browser.get(authorizeUrl(client))).body).toContain('name="password"')
    expect((await laptop.get(authorizeUrl(client))).body).toContain('name="password"')
    expect((await bobs.get(authorizeUrl(client))).statusCode).toBe(302)
  })

  it('a password change: the next /authorize shows the sign-in page, which takes only the new password', async () => {
    await signedIn()
    const res = await server.app.inject({
      method: 'POST', url: '/users/me/password', headers: { authorization: server.bearer(server.users.johndoe) },
      payload: { current_password: PASSWORD, new_password: 'a brand new passphrase' },
    })
    expect(res.statusCode).toBe(200)
    expect(await sessionCount()).toBe(0)
    const page = await browser.get(authorizeUrl(client))
    expect(page.body).toContain('name="password"')
    // Sessions started in the second of the change count as before it (tokens-not-before has one-second resolution).
    server.clock.advance(1000)
    expect((await browser.submit(page, { username: 'johndoe', password: PASSWORD })).statusCode).toBe(401)
    expect((await browser.submit(page, { username: 'johndoe', password: 'a brand new passphrase' })).statusCode).toBe(303)
    expect(await sessionCount()).toBe(1)
  })

  it('idleness: unused for longer than TESSERA_SESSION_IDLE_HOURS, the browser must sign in again', async () => {
    await signedIn()
    server.clock.advance(71 * 3_600_000)
    expect((await browser.get(authorizeUrl(client))).statusCode).toBe(302)   // used: the idle clock restarts
    server.clock.advance(72 * 3_600_000 + 1000)
    expect((await browser.get(authorizeUrl(client))).body).toContain('name="password"')
  })
})

describe('the absolute lifetime (TESSERA_SESSION_ABSOLUTE_HOURS)', () => {
  serverPerTest()

  it('ends a session at its absolute end even if it was used a moment ago, and the cookie says so too', async () => {
    await start({ config: { sessionIdleHours: 2, sessionAbsoluteHours: 5 } })
    const res = await browser.submit(await signInPage(), { username: 'johndoe', password: PASSWORD })
    expect(setCookies(res).find((c) => c.startsWith('tessera-session='))).toMatch(/; Max-Age=18000/)
    await browser.submit(await browser.get(String(res.headers.location)), { decision: 'allow' })
    for (let i = 0; i < 3; i++) {                                       // used every 1.5 h: never idle for 2 h
      server.clock.advance(90 * 60_000)
      expect((await browser.get(authorizeUrl(client))).statusCode, `after ${(i + 1) * 1.5} h`).toBe(302)
    }
    server.clock.advance(30 * 60_000)                                   // 5 h since the sign-in, 30 min since its last use
    expect((await browser.get(authorizeUrl(client))).body).toContain('name="password"')
    expect(await sessionCount()).toBe(0)                                // found dead, and deleted
  })

  it('ends a session unused for the configured idle lifetime', async () => {
    await start({ config: { sessionIdleHours: 2, sessionAbsoluteHours: 5 } })
    await signInAndAuthorize(browser, client)
    server.clock.advance(2 * 3_600_000 - 1000)
    expect((await browser.get(authorizeUrl(client))).statusCode).toBe(302)
    server.clock.advance(2 * 3_600_000)
    expect((await browser.get(authorizeUrl(client))).body).toContain('name="password"')
  })
})

describe('one brute-force budget for the sign-in page and POST /token (the password grant)', () => {
  // TESSERA_LOGIN_MAX_FAILURES per username and address, shared: otherwise an attacker would get
  // the budget twice by alternating between the two doors to the same password check.
  const LIMITS = { loginMaxFailures: 3, loginWindowSeconds: 900 }
  beforeEach(async () => { await start({ config: LIMITS }) })
  serverPerTest()

  const passwordGrant = (username: string, password: string) =>
    server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username, password }) })

  async function failOnPage(username = 'johndoe'): Promise<LightMyRequestResponse> {
    const res = await browser.submit(await signInPage(), { username, password: 'wrong password' })
    expect(res.statusCode).toBe(401)
    expect(res.body).toContain('Incorrect username or password.')
    return res
  }

  function expectThrottledAtToken(res: LightMyRequestResponse): void {
    expect(res.statusCode).toBe(429)
    expect(res.headers['retry-after']).toBe('900')
    expect(res.json()).toEqual({
      detail: 'Too many failed login attempts, retry later', error: 'slow_down', error_description: 'Too many failed login attempts, retry later',
    })
  }

  function expectThrottledPage(res: LightMyRequestResponse): void {
    expect(res.statusCode).toBe(429)
    expect(res.headers['retry-after']).toBe('900')
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.body).toContain('Too many failed sign-in attempts. Try again in 15 minutes.')
    expect(res.body).toContain('name="password"')
    expect(setCookies(res).some((c) => c.startsWith('tessera-session='))).toBe(false)
  }

  it('failures on the page lock /token, and the page, even for the right password — before any hashing', async () => {
    await failOnPage()
    await failOnPage()
    // The control: under the limit the right password works (and a success forgets the failures).
    expect((await passwordGrant('johndoe', PASSWORD)).statusCode).toBe(200)
    for (let i = 0; i < 3; i++) await failOnPage()
    const hashes = { ...server.hasher.calls }
    expectThrottledAtToken(await passwordGrant('johndoe', PASSWORD))
    expectThrottledPage(await browser.submit(await signInPage(), { username: 'johndoe', password: PASSWORD }))
    expect(server.hasher.calls).toEqual(hashes)
    expect(await sessionCount()).toBe(0)
    // Another account from the same address is not locked (the budget is per username and address).
    expect((await passwordGrant('bob', PASSWORD)).statusCode).toBe(200)
  })

  it('failures at /token lock the page', async () => {
    for (let i = 0; i < 3; i++) expect((await passwordGrant('johndoe', 'wrong password')).statusCode).toBe(401)
    expectThrottledPage(await browser.submit(await signInPage(), { username: 'johndoe', password: PASSWORD }))
    expect(await sessionCount()).toBe(0)
  })

  it('mixed failures add up: page, /token, page, then both refuse', async () => {
    await failOnPage()
    expect((await passwordGrant('johndoe', 'wrong password')).statusCode).toBe(401)
    await failOnPage()
    expectThrottledAtToken(await passwordGrant('johndoe', PASSWORD))
    expectThrottledPage(await browser.submit(await signInPage(), { username: 'johndoe', password: PASSWORD }))
    // The lock lasts one window (then doubles next time): afterwards the right password works on the page.
    server.clock.advance(900_000)
    expect((await browser.submit(await signInPage(), { username: 'johndoe', password: PASSWORD })).statusCode).toBe(303)
  })

  it('records the audit events /token records: the same reasons, the page marked via=sign_in_page; nothing for a throttled try', async () => {
    await failOnPage()
    expect((await passwordGrant('johndoe', 'wrong password')).statusCode).toBe(401)
    await failOnPage('nobody')
    expect((await passwordGrant('nobody', 'wrong password')).statusCode).toBe(401)
    const failed = (await auditEvents(server, 'login.failed')).reverse()  // oldest first
    const john = server.users.johndoe.id
    expect(failed).toMatchObject([
      { username: 'johndoe', userId: john, clientId: client.id, details: { reason: 'invalid_credentials', via: 'sign_in_page' } },
      { username: 'johndoe', userId: john, clientId: null, details: { reason: 'invalid_credentials' } },
      { username: 'nobody', userId: null, clientId: client.id, details: { reason: 'invalid_credentials', via: 'sign_in_page' } },
      { username: 'nobody', userId: null, clientId: null, details: { reason: 'invalid_credentials' } },
    ])
    expect(failed[1]?.details).not.toHaveProperty('via')
    await failOnPage()                                                   // johndoe's third failure: locked now
    expectThrottledPage(await browser.submit(await signInPage(), { username: 'johndoe', password: PASSWORD }))
    expect(await auditEvents(server, 'login.failed')).toHaveLength(5)      // the throttled try left no entry

    const res = await browser.submit(await signInPage(), { username: 'bob', password: PASSWORD })
    expect(res.statusCode).toBe(303)
    expect((await auditEvents(server, 'login.succeeded'))[0]).toMatchObject({
      username: 'bob', userId: server.users.bob.id, clientId: client.id, details: { via: 'sign_in_page' },
    })
  })

  it('answers an unknown username exactly as a wrong password, after a dummy hash of the same cost', async () => {
    const wrong = await failOnPage('johndoe')
    const before = { ...server.hasher.calls }
    const unknown = await failOnPage('nobody')
    expect(server.hasher.calls).toEqual({ ...before, verifyDummy: before.verifyDummy + 1 })
    const message = (body: string) => /role="alert"[^>]*>([^<]*)</.exec(body)?.[1]
    expect(message(unknown.body)).toBe(message(wrong.body))
    expect(unknown.headers['retry-after']).toBeUndefined()
  })
})
