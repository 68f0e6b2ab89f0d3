import type { LightMyRequestResponse } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ClientRecord } from '../../src/core/index.js'
import { TestBrowser, authorizeUrl, codeFlowClient, formOf, redirectOf, signInAndAuthorize } from './sign-in-helpers.js'
import { PASSWORD, startTestServer, type TestServer } from './test-server.js'

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
afterEach(async () => { await server?.close() })

async function signInPage(b: TestBrowser = browser): Promise<LightMyRequestResponse> {
  const page = await b.get(authorizeUrl(client))
  expect(page.body).toContain('name="password"')
  return page
}

async function sessionCount(): Promise<number> {
  return (await server.store.browserSessions.listForUser(server.users.johndoe.id)).length
}

function setCookies(res: LightMyRequestResponse): string[] {
  const raw = res.headers['set-cookie']
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
}

describe('CSRF on the sign-in form (login CSRF included)', () => {
  beforeEach(async () => { await start() })

  it('signs in with the page\'s own token (the control for the refusals below)', async () => {
    const res = await browser.submit(await signInPage(), { username: 'johndoe', password: PASSWORD })
    expect(res.statusCode).toBe(303)
    expect(await sessionCount()).toBe(1)
  })

  const forgeries: [string, (page: LightMyRequestResponse) => Promise<LightMyRequestResponse>][] = [
    ['without the csrf field', async (page) => {
      const { action, hidden } = formOf(page.body)
      const { csrf: _dropped, ...rest } = hidden
      return browser.post(action, { ...rest, username: 'johndoe', password: PASSWORD })
    }],
    ['with a wrong csrf field', (page) => browser.submit(page, { username: 'johndoe', password: PASSWORD, csrf: 'A'.repeat(43) })],
    ['without the csrf cookie', (page) => { browser.cookies.delete('tessera-csrf'); return browser.submit(page, { username: 'johndoe', password: PASSWORD }) }],
    ['announced cross-site by Sec-Fetch-Site', (page) => browser.submit(page, { username: 'johndoe', password: PASSWORD }, { 'sec-fetch-site': 'cross-site' })],
    ['from a foreign Origin', (page) => browser.submit(page, { username: 'johndoe', password: PASSWORD }, { origin: 'https://evil.example' })],
  ]
  for (const [name, forge] of forgeries) {
    it(`refuses a POST /signin ${name}: a 403 page, no session, no password checked`, async () => {
      const page = await signInPage()
      const verifies = server.hasher.calls.verify
      const res = await forge(page)
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
    // The attacker loads the page in their own browser and gets a valid form with their token…
    const attacker = new TestBrowser(server)
    const { action, hidden } = formOf((await signInPage(attacker)).body)
    // …and the victim's browser posts it from the attacker's site: the victim's csrf cookie differs.
    await browser.get(authorizeUrl(client))
    const res = await browser.post(action, { ...hidden, username: 'johndoe', password: PASSWORD }, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })
    expect(res.statusCode).toBe(403)
    // Even without the cross-site headers (an old browser), the token is not the victim's.
    const quiet = await browser.post(action, { ...hidden, username: 'johndoe', password: PASSWORD })
    expect(quiet.statusCode).toBe(403)
    expect(browser.cookies.has('tessera-session')).toBe(false)
    expect(await sessionCount()).toBe(0)
  })
})

describe('CSRF on the consent and sign-out forms', () => {
  beforeEach(async () => { await start() })

  async function consentPage(): Promise<LightMyRequestResponse> {
    const signedIn = await browser.submit(await signInPage(), { username: 'johndoe', password: PASSWORD })
    expect(String(signedIn.headers.location)).toMatch(/^\/consent/)
    const page = await browser.get(String(signedIn.headers.location))
    expect(page.body).toContain('value="allow"')
    return page
  }

  it('refuses a forged Allow (wrong token, or cross-site): no code, no consent stored; the real Allow works', async () => {
    const page = await consentPage()
    const wrong = await browser.submit(page, { decision: 'allow', csrf: 'B'.repeat(43) })
    expect(wrong.statusCode).toBe(403)
    expect(wrong.body).toContain(EXPIRED)
    const crossSite = await browser.submit(page, { decision: 'allow' }, { 'sec-fetch-site': 'cross-site' })
    expect(crossSite.statusCode).toBe(403)
    expect(await server.store.consents.find(server.users.johndoe.id, client.id)).toBeNull()

    const allowed = await browser.submit(page, { decision: 'allow' })
    expect(allowed.statusCode).toBe(303)
    expect(redirectOf(allowed).params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(await server.store.consents.find(server.users.johndoe.id, client.id)).not.toBeNull()
  })

  it('refuses a forged sign-out (no token, or a foreign Origin): the session stays; the real button signs out', async () => {
    await signInAndAuthorize(browser, client)
    const confirm = await browser.get('/end-session')
    expect(confirm.statusCode).toBe(200)
    const { action, hidden } = formOf(confirm.body)
    const { csrf: _dropped, ...rest } = hidden
    expect((await browser.post(action, rest)).statusCode).toBe(403)
    expect((await browser.submit(confirm, {}, { origin: 'https://evil.example' })).statusCode).toBe(403)
    expect(await sessionCount()).toBe(1)

    const signedOut = await browser.submit(confirm)
    expect(signedOut.statusCode).toBe(200)
    expect(signedOut.body).toContain('You have signed out')
    expect(await sessionCount()).toBe(0)
    expect(browser.cookies.has('tessera-session')).toBe(false)
  })
})

describe('the session cookie', () => {
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

    const value = browser.cookies.get('tessera-session') as string
    const [row] = await server.store.browserSessions.listForUser(server.users.johndoe.id)
    expect(row).toBeDefined()
    expect(JSON.stringify(row)).not.toContain(value)
    expect(row?.tokenHash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('behind TLS (an https issuer) is named __Host- and Secure, and so is the CSRF cookie', async () => {
    await start({ config: { issuer: 'https://tessera.test', audience: 'https://tessera.test' } })
    const page = await browser.get(authorizeUrl(client), { 'x-forwarded-proto': 'https' })
    expect(setCookies(page).find((c) => c.startsWith('__Host-tessera-csrf='))).toMatch(/; Secure/i)
    const res = await browser.submit(page, { username: 'johndoe', password: PASSWORD })
    const cookie = setCookies(res).find((c) => c.startsWith('__Host-tessera-session='))
    expect(cookie).toMatch(/; Secure/i)
    expect(cookie).toMatch(/; Path=\//)
    expect(cookie).not.toMatch(/; Domain=/i)
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

  async function signedIn(): Promise<void> {
    await signInAndAuthorize(browser, client)
    expect(await sessionCount()).toBe(1)
    const again = await browser.get(authorizeUrl(client))
    expect(again.statusCode).toBe(302)                                    // single sign-on: straight back with a code
  }

  it('POST /logout (logout everywhere): the next /authorize shows the sign-in page', async () => {
    await signedIn()
    const res = await server.app.inject({ method: 'POST', url: '/logout', headers: { authorization: server.bearer(server.users.johndoe) } })
    expect(res.statusCode).toBe(204)
    expect(await sessionCount()).toBe(0)
    expect((await browser.get(authorizeUrl(client))).body).toContain('name="password"')
  })

  it('a password change: the next /authorize shows the sign-in page', async () => {
    await signedIn()
    const res = await server.app.inject({
      method: 'POST', url: '/users/me/password', headers: { authorization: server.bearer(server.users.johndoe) },
      payload: { current_password: PASSWORD, new_password: 'a brand new passphrase' },
    })
    expect(res.statusCode).toBe(200)
    expect(await sessionCount()).toBe(0)
    expect((await browser.get(authorizeUrl(client))).body).toContain('name="password"')
  })

  it('idleness: unused for longer than TESSERA_SESSION_IDLE_HOURS, the browser must sign in again', async () => {
    await signedIn()
    server.clock.advance(71 * 3_600_000)
    expect((await browser.get(authorizeUrl(client))).statusCode).toBe(302)   // used: the idle clock restarts
    server.clock.advance(72 * 3_600_000 + 1000)
    expect((await browser.get(authorizeUrl(client))).body).toContain('name="password"')
  })
})
