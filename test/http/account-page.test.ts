import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ClientRecord } from '../../src/core/index.js'
import { ACCOUNT_PATHS } from '../../src/http/pages/account.js'
import {
  ACCOUNT_SIGN_IN, PHONE_UA, appRefresh, appRefreshToken, firstPartyClient, followNotice, formPostingTo, sectionAlert, signedInBrowser,
  submitAccountForm,
} from './account-helpers.js'
import { auditEvents } from './session-helpers.js'
import { TestBrowser, codeFlowClient } from './sign-in-helpers.js'
import { FORM, PASSWORD, form, startTestServer, type TestServer } from './test-server.js'

// Issue 10 part 5 through the real routes: /account needs a signed-in browser, shows the
// profile, and every form is CSRF-checked and answers 303 back with a fixed notice. The
// password change ends every other session and keeps this browser signed in.

const EXPIRED = 'This form has expired or was sent from another site'
const NEW_PASSWORD = 'a brand new passphrase'

let server: TestServer
let home: ClientRecord

async function start(config: Parameters<typeof startTestServer>[0] = {}) {
  server = await startTestServer(config)
  home = await firstPartyClient(server)
}

describe('the account page', () => {
  beforeAll(async () => { await start() })
  afterAll(async () => { await server.close() })
  beforeEach(async () => {
    for (const user of Object.values(server.users)) await server.store.browserSessions.deleteAllForUser(user.id)
    await server.store.users.update(server.users.johndoe.id, { fullName: 'John Doe' })
  })

  it('sends a signed-out browser to the sign-in page in account mode (303), and nothing of the account', async () => {
    const res = await new TestBrowser(server).get('/account')
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(ACCOUNT_SIGN_IN)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body).toBe('')
  })

  it('comes back to the account page after the sign-in page it sends to (account mode, no app)', async () => {
    const browser = new TestBrowser(server)
    const signIn = await browser.get(String((await browser.get('/account')).headers.location))
    expect(signIn.statusCode).toBe(200)
    expect(signIn.body).toContain('href="/signup?return_to=%2Faccount">Create account</a>')
    const res = await browser.submit(signIn, { username: 'johndoe', password: PASSWORD })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/account')
    expect((await browser.get('/account')).body).toContain('Signed in as <strong>johndoe</strong>')
  })

  it('sends a signed-out POST of any form to the sign-in page too, changing nothing', async () => {
    const browser = await signedInBrowser(server, home)
    const page = await browser.get('/account')
    const hidden = formPostingTo(page.body, ACCOUNT_PATHS.profile)
    await server.store.browserSessions.deleteAllForUser(server.users.johndoe.id)
    const res = await browser.post(ACCOUNT_PATHS.profile, { ...hidden, full_name: 'Mallory' })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(ACCOUNT_SIGN_IN)
    expect((await server.store.users.findById(server.users.johndoe.id))?.fullName).toBe('John Doe')
  })

  it('shows the profile, the address unverified, and this browser among the sign-ins, privately and under the page CSP', async () => {
    const browser = await signedInBrowser(server, home, { userAgent: PHONE_UA })
    const res = await browser.get('/account')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-security-policy']).toContain("form-action 'self'")
    expect(res.body).toContain('<title>Your account · Tessera</title>')
    expect(res.body).toContain('Signed in as <strong>johndoe</strong>')
    expect(res.body).toContain('<dd>johndoe@example.com <span class="badge warn">Not verified</span></dd>')
    expect(res.body).toContain('name="full_name" type="text" value="John Doe"')
    expect(res.body).toContain('<strong>Chrome on Android</strong> <span class="badge ok">This browser</span>')
    expect(res.body).toContain('127.0.0.1 · last used <time datetime="2026-01-01T00:00:00.000Z">1 Jan 2026, 00:00 UTC</time>')
    expect(res.body).toContain('No app has access to your account.')
    // Mail is off in this server: no verification link to offer, and an email change applies at once.
    expect(res.body).not.toContain(ACCOUNT_PATHS.verifyEmail)
    expect(res.body).toContain('replaces the current one at once')
  })

  it('shows a notice only from the fixed set; any other ?done= shows nothing of itself', async () => {
    const browser = await signedInBrowser(server, home)
    expect((await browser.get('/account?done=password')).body).toContain('<p class="notice" role="status">Your password was changed.')
    for (const done of ['<script>alert(1)</script>', 'toString', '__proto__', '']) {
      const res = await browser.get(`/account?done=${encodeURIComponent(done)}`)
      expect(res.statusCode).toBe(200)
      expect(res.body).not.toContain('class="notice"')
      expect(res.body).not.toContain('<script>')
    }
  })

  it('saves the full name (303 with a notice), trims it, and clears it when emptied', async () => {
    const browser = await signedInBrowser(server, home)
    const res = await submitAccountForm(browser, ACCOUNT_PATHS.profile, { full_name: '  Jöhn <Q> Doe  ' })
    expect(res.headers.location).toBe('/account?done=profile#profile')
    expect(await followNotice(browser, res)).toBe('Your name was saved.')
    expect((await server.store.users.findById(server.users.johndoe.id))?.fullName).toBe('Jöhn <Q> Doe')
    expect((await browser.get('/account')).body).toContain('value="Jöhn &lt;Q&gt; Doe"')
    await submitAccountForm(browser, ACCOUNT_PATHS.profile, { full_name: '' })
    expect((await server.store.users.findById(server.users.johndoe.id))?.fullName).toBeNull()
  })

  it('refuses a name over 200 characters or with a NUL on the page (422), keeping what was typed and the stored name', async () => {
    const browser = await signedInBrowser(server, home)
    for (const fullName of ['x'.repeat(201), 'a\u0000b']) {
      const res = await submitAccountForm(browser, ACCOUNT_PATHS.profile, { full_name: fullName })
      expect(res.statusCode).toBe(422)
      expect(sectionAlert(res.body, 'profile')).toBe('Choose a name of at most 200 characters.')
    }
    expect((await server.store.users.findById(server.users.johndoe.id))?.fullName).toBe('John Doe')
  })

  it('answers a form field sent twice with 400 on the page, not a 500', async () => {
    const browser = await signedInBrowser(server, home)
    const page = await browser.get('/account')
    const hidden = formPostingTo(page.body, ACCOUNT_PATHS.profile)
    const res = await server.app.inject({
      method: 'POST', url: ACCOUNT_PATHS.profile, headers: { ...FORM, ...browser.cookieHeader(), 'sec-fetch-site': 'same-origin' },
      payload: `${form(hidden)}&full_name=a&full_name=b`,
    })
    expect(res.statusCode).toBe(400)
    expect(sectionAlert(res.body, 'profile')).toBe('The form field full_name must be sent once')
  })
})

describe('CSRF on every account form', () => {
  beforeAll(async () => { await start() })
  afterAll(async () => { await server.close() })

  /** Each form with fields that would change something if it were accepted. */
  const FORMS: [string, Record<string, string>][] = [
    [ACCOUNT_PATHS.profile, { full_name: 'Forged' }],
    [ACCOUNT_PATHS.password, { current_password: PASSWORD, new_password: NEW_PASSWORD, new_password_again: NEW_PASSWORD }],
    [ACCOUNT_PATHS.email, { email: 'forged@example.com', password: PASSWORD }],
    [ACCOUNT_PATHS.totpStart, { password: PASSWORD }],
    [ACCOUNT_PATHS.endSession, {}],
    [ACCOUNT_PATHS.endOtherSessions, {}],
    [ACCOUNT_PATHS.revokeApp, {}],
  ]

  it('refuses a forged POST of each form with 403 and changes nothing', async () => {
    const app = (await codeFlowClient(server)).client
    const browser = await signedInBrowser(server, home)
    await appRefreshToken(server, browser, app)                          // a consent, so the apps form is there
    const other = await signedInBrowser(server, home, { userAgent: PHONE_UA })
    const page = await browser.get('/account')
    const before = { user: await server.store.users.findById(server.users.johndoe.id), sessions: await server.store.browserSessions.listForUser(server.users.johndoe.id) }
    for (const [action, fields] of FORMS) {
      const hidden = formPostingTo(page.body, action)
      const forgeries: [string, () => Promise<{ statusCode: number; body: string }>][] = [
        ['without the csrf field', () => { const { csrf: _csrf, ...rest } = hidden; return browser.post(action, { ...rest, ...fields }) }],
        ['with a wrong csrf field', () => browser.post(action, { ...hidden, ...fields, csrf: 'B'.repeat(43) })],
        ['announced cross-site', () => browser.post(action, { ...hidden, ...fields }, { 'sec-fetch-site': 'cross-site' })],
        ['from a foreign Origin', () => browser.post(action, { ...hidden, ...fields }, { origin: 'https://evil.example' })],
        ['without the csrf cookie', () => server.app.inject({
          method: 'POST', url: action, payload: form({ ...hidden, ...fields }),
          headers: { ...FORM, 'sec-fetch-site': 'same-origin', cookie: `tessera-session=${browser.cookies.get('tessera-session')}` },
        })],
      ]
      for (const [how, forge] of forgeries) {
        const res = await forge()
        expect(res.statusCode, `${action} ${how}`).toBe(403)
        expect(res.body, `${action} ${how}`).toContain(EXPIRED)
      }
    }
    expect(await server.store.users.findById(server.users.johndoe.id)).toEqual(before.user)
    expect(await server.store.browserSessions.listForUser(server.users.johndoe.id)).toEqual(before.sessions)
    expect(await server.store.consents.find(server.users.johndoe.id, app.id)).not.toBeNull()
    expect(await server.store.totp.find(server.users.johndoe.id)).toBeNull()
    expect((await other.get('/account')).statusCode).toBe(200)
  })
})

describe('changing the password on the account page', () => {
  afterEach(async () => { await server.close() })

  it('ends every other session and older token, keeps this browser signed in with a new cookie, and the new password works', async () => {
    await start()
    const app = (await codeFlowClient(server)).client
    const browser = await signedInBrowser(server, home)
    const appToken = await appRefreshToken(server, browser, app)
    const phone = await signedInBrowser(server, home, { userAgent: PHONE_UA })
    const oldBearer = server.bearer(server.users.johndoe)
    const oldCookie = browser.cookies.get('tessera-session')
    const res = await submitAccountForm(browser, ACCOUNT_PATHS.password, { current_password: PASSWORD, new_password: NEW_PASSWORD, new_password_again: NEW_PASSWORD })
    expect(res.headers.location).toBe('/account?done=password#password')
    expect(browser.cookies.get('tessera-session')).not.toBe(oldCookie)
    expect(await followNotice(browser, res)).toBe('Your password was changed. Every other browser and app was signed out.')

    const page = await browser.get('/account')
    expect(page.body.split(`action="${ACCOUNT_PATHS.endSession}"`)).toHaveLength(2)              // one sign-in listed: this one
    expect(page.body).toContain('<span class="badge ok">This browser</span>')
    expect((await phone.get('/account')).headers.location).toBe(ACCOUNT_SIGN_IN)
    const stale = new TestBrowser(server)
    stale.cookies.set('tessera-session', oldCookie as string)
    expect((await stale.get('/account')).headers.location).toBe(ACCOUNT_SIGN_IN)
    expect((await appRefresh(server, appToken, app)).json()).toMatchObject({ error: 'invalid_grant' })
    const me = await server.app.inject({ url: '/users/me', headers: { authorization: oldBearer } })
    expect(me.statusCode).toBe(401)

    const login = (password: string) => server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username: 'johndoe', password }) })
    expect((await login(PASSWORD)).statusCode).toBe(401)
    expect((await login(NEW_PASSWORD)).statusCode).toBe(200)
    const [changed] = await auditEvents(server, 'password.changed')
    expect(changed).toMatchObject({ userId: server.users.johndoe.id, details: { via: 'account_page' } })
  })

  it('refuses a wrong current password (400), two new ones that differ, a short one and the same one, changing nothing', async () => {
    await start()
    const browser = await signedInBrowser(server, home)
    const hash = (await server.store.users.findById(server.users.johndoe.id))?.passwordHash
    const cases: [Record<string, string>, number, string][] = [
      [{ current_password: 'not my password', new_password: NEW_PASSWORD, new_password_again: NEW_PASSWORD }, 400, 'That is not your current password.'],
      [{ current_password: PASSWORD, new_password: NEW_PASSWORD, new_password_again: `${NEW_PASSWORD}!` }, 400, 'The two new passwords differ. Type the same one twice.'],
      [{ current_password: PASSWORD, new_password: 'short', new_password_again: 'short' }, 422, 'Choose a password of at least 8 characters.'],
      [{ current_password: PASSWORD, new_password: PASSWORD, new_password_again: PASSWORD }, 422, 'Choose a new password that differs from the current one.'],
      [{ current_password: '', new_password: NEW_PASSWORD, new_password_again: NEW_PASSWORD }, 400, 'Enter your current password.'],
    ]
    for (const [fields, status, message] of cases) {
      const res = await submitAccountForm(browser, ACCOUNT_PATHS.password, fields)
      expect(res.statusCode, message).toBe(status)
      expect(sectionAlert(res.body, 'password')).toBe(message)
      expect(res.body).not.toContain(NEW_PASSWORD)
    }
    expect((await server.store.users.findById(server.users.johndoe.id))?.passwordHash).toBe(hash)
    expect((await browser.get('/account')).statusCode).toBe(200)
    expect(await auditEvents(server, 'password.change_failed')).toEqual([
      expect.objectContaining({ userId: server.users.johndoe.id, details: { reason: 'incorrect_password', via: 'account_page' } }),
    ])
  })

  it('counts wrong current passwords against the login limits: then 429 with Retry-After, even for the right one', async () => {
    await start({ config: { loginMaxFailures: 2 } })
    const browser = await signedInBrowser(server, home)
    const attempt = (current: string) => submitAccountForm(browser, ACCOUNT_PATHS.password, { current_password: current, new_password: NEW_PASSWORD, new_password_again: NEW_PASSWORD })
    expect((await attempt('wrong one')).statusCode).toBe(400)
    expect((await attempt('wrong two')).statusCode).toBe(400)
    const locked = await attempt(PASSWORD)
    expect(locked.statusCode).toBe(429)
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0)
    expect(sectionAlert(locked.body, 'password')).toMatch(/^Too many wrong passwords or codes\. Try again in \d+ minutes?\.$/)
    expect((await server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username: 'johndoe', password: PASSWORD }) })).statusCode).toBe(429)
  })
})
