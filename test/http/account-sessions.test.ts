import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ClientRecord } from '../../src/core/index.js'
import { ACCOUNT_PATHS } from '../../src/http/pages/account.js'
import {
  ACCOUNT_SIGN_IN, LAPTOP_UA, PHONE_UA, appRefresh, appRefreshToken, firstPartyClient, followNotice, formPostingTo, sectionAlert, signedInBrowser,
  submitAccountForm,
} from './account-helpers.js'
import { auditEvents } from './session-helpers.js'
import { authorizeUrl, codeFlowClient, rawRows } from './sign-in-helpers.js'
import { startTestServer, type TestServer } from './test-server.js'

// Issue 10 part 5: the account page's list of sign-ins (device, address, last used; end one or
// every other) and of apps the user allowed (remove one: the consent and the app's offline access).

let server: TestServer
let home: ClientRecord

beforeAll(async () => {
  server = await startTestServer()
  home = await firstPartyClient(server)
})
afterAll(async () => { await server.close() })
beforeEach(async () => {
  for (const user of Object.values(server.users)) await server.store.browserSessions.deleteAllForUser(user.id)
  for (const consent of await server.store.consents.listForUser(server.users.johndoe.id)) await server.store.consents.revoke(consent.userId, consent.clientId)
})

describe('the sign-ins on the account page', () => {
  it('lists every sign-in of the user, newest first, each with its device, address and times, and none of anyone else', async () => {
    const laptop = await signedInBrowser(server, home, { userAgent: LAPTOP_UA })
    server.clock.advance(60_000)
    await signedInBrowser(server, home, { userAgent: PHONE_UA })
    await signedInBrowser(server, home, { username: 'bob', userAgent: 'curl/8.5.0' })
    const page = (await laptop.get('/account')).body
    const devices = [...page.matchAll(/<li>\n<strong>([^<]*)<\/strong>( <span class="badge ok">This browser<\/span>)?/g)].map((m) => [m[1], m[2] !== undefined])
    expect(devices).toEqual([['Chrome on Android', false], ['Firefox on Linux', true]])
    expect(page).toContain('Signed in <time datetime="2026-01-01T00:01:00.000Z">1 Jan 2026, 00:01 UTC</time>')
    expect(page).not.toContain('curl')
    const ids = (await server.store.browserSessions.listForUser(server.users.johndoe.id)).map((s) => s.id)
    for (const id of ids) expect(formPostingTo(page, ACCOUNT_PATHS.endSession, (h) => h.session_id === id)).toMatchObject({ session_id: id })
  })

  it('shows this browser as used now: opening the page uses the sign-in (the idle lifetime starts again)', async () => {
    const browser = await signedInBrowser(server, home)
    server.clock.advance(3_600_000)
    const page = (await browser.get('/account')).body
    expect(page).toContain('last used <time datetime="2026-01-01T')
    const [session] = await server.store.browserSessions.listForUser(server.users.johndoe.id)
    expect(session?.lastSeenAt).toBe(server.clock.now())
    expect(page).toContain(`last used <time datetime="${new Date(server.clock.now()).toISOString()}">`)
  })

  it('signs another browser out: it must sign in again and the refresh tokens its apps got from it are revoked', async () => {
    const app = (await codeFlowClient(server)).client
    const laptop = await signedInBrowser(server, home)
    const phone = await signedInBrowser(server, home, { userAgent: PHONE_UA })
    const phoneToken = await appRefreshToken(server, phone, app)
    const laptopToken = await appRefreshToken(server, laptop, app)
    const phoneSession = (await server.store.browserSessions.listForUser(server.users.johndoe.id)).find((s) => s.userAgent === PHONE_UA)
    const res = await submitAccountForm(laptop, ACCOUNT_PATHS.endSession, {}, { where: (h) => h.session_id === phoneSession?.id })
    expect(res.headers.location).toBe('/account?done=session_ended#sessions')
    expect(await followNotice(laptop, res)).toBe('That browser was signed out.')
    expect((await phone.get('/account')).headers.location).toBe(ACCOUNT_SIGN_IN)
    expect((await phone.get(authorizeUrl(home))).body).toContain('name="password"')
    expect((await appRefresh(server, phoneToken, app)).json()).toMatchObject({ error: 'invalid_grant' })
    expect((await appRefresh(server, laptopToken, app)).statusCode).toBe(200)
    expect((await laptop.get('/account')).statusCode).toBe(200)
    const [ended] = await auditEvents(server, 'session.ended')
    expect(ended).toMatchObject({ userId: server.users.johndoe.id, details: { via: 'account_page', sessions: 1, refresh_tokens_revoked: 1 } })
  })

  it('ends nothing for the id of someone else\'s sign-in, or one that is gone: 400 on the page', async () => {
    const laptop = await signedInBrowser(server, home)
    await signedInBrowser(server, home, { username: 'bob' })
    const [bobs] = await server.store.browserSessions.listForUser(server.users.bob.id)
    const page = await laptop.get('/account')
    const hidden = formPostingTo(page.body, ACCOUNT_PATHS.endSession)
    for (const id of [bobs?.id ?? '', '00000000-0000-4000-8000-000000000000', 'x\u0000y', '']) {
      const res = await laptop.post(ACCOUNT_PATHS.endSession, { ...hidden, session_id: id })
      expect(res.statusCode).toBe(400)
      expect(sectionAlert(res.body, 'sessions')).toBe('That sign-in has already ended.')
    }
    expect(await server.store.browserSessions.listForUser(server.users.bob.id)).toEqual([bobs])
  })

  it('signs this very browser out from its own entry: the signed-out page, the cookie cleared', async () => {
    const laptop = await signedInBrowser(server, home)
    const [mine] = await server.store.browserSessions.listForUser(server.users.johndoe.id)
    const res = await submitAccountForm(laptop, ACCOUNT_PATHS.endSession, {}, { where: (h) => h.session_id === mine?.id })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('You have signed out')
    expect(String(res.headers['set-cookie'])).toMatch(/^tessera-session=;/)
    expect(laptop.cookies.has('tessera-session')).toBe(false)
    expect(await server.store.browserSessions.listForUser(server.users.johndoe.id)).toEqual([])
    expect((await laptop.get('/account')).headers.location).toBe(ACCOUNT_SIGN_IN)
  })

  it('signs out everywhere else and keeps this browser; the button is gone when there is nowhere else', async () => {
    const laptop = await signedInBrowser(server, home)
    const others = [await signedInBrowser(server, home, { userAgent: PHONE_UA }), await signedInBrowser(server, home, { userAgent: 'curl/8.5.0' })]
    const bob = await signedInBrowser(server, home, { username: 'bob' })
    const res = await submitAccountForm(laptop, ACCOUNT_PATHS.endOtherSessions)
    expect(await followNotice(laptop, res)).toBe('Every other browser was signed out.')
    for (const other of others) expect((await other.get('/account')).headers.location).toBe(ACCOUNT_SIGN_IN)
    expect((await bob.get('/account')).statusCode).toBe(200)
    const page = await laptop.get('/account')
    expect(page.statusCode).toBe(200)
    expect(page.body).not.toContain(ACCOUNT_PATHS.endOtherSessions)
    expect((await auditEvents(server, 'session.ended'))[0]).toMatchObject({ details: { via: 'account_page', sessions: 2 } })
  })
})

describe('the apps on the account page', () => {
  it('lists each app allowed, with its name and what it may do, and removes one: consent, then its refresh tokens, gone', async () => {
    const [app, other] = [(await codeFlowClient(server, { name: 'Photo <Printer>' })).client, (await codeFlowClient(server, { name: 'Calendar' })).client]
    const browser = await signedInBrowser(server, home)
    const appToken = await appRefreshToken(server, browser, app)
    const otherToken = await appRefreshToken(server, browser, other)
    const page = (await browser.get('/account')).body
    expect(page).toContain('<strong>Photo &lt;Printer&gt;</strong>')
    expect(page).toContain('<strong>Calendar</strong>')
    expect(page).toContain('<li><code>offline_access</code> <span>Stay signed in when you are away (a refresh token)</span></li>')

    const res = await submitAccountForm(browser, ACCOUNT_PATHS.revokeApp, {}, { where: (h) => h.client_id === app.id })
    expect(res.headers.location).toBe('/account?done=app_removed#apps')
    expect(await followNotice(browser, res)).toBe('The app no longer has access to your account.')
    expect(await server.store.consents.find(server.users.johndoe.id, app.id)).toBeNull()
    expect(await server.store.consents.find(server.users.johndoe.id, other.id)).not.toBeNull()
    expect((await appRefresh(server, appToken, app)).json()).toMatchObject({ error: 'invalid_grant' })
    expect((await appRefresh(server, otherToken, other)).statusCode).toBe(200)
    const revoked = (await rawRows(server, 'refresh_tokens')).filter((row) => row.client_id === app.id)
    expect(revoked.length).toBeGreaterThan(0)
    expect(revoked.every((row) => row.revoked_at !== null)).toBe(true)
    expect((await browser.get('/account')).body).not.toContain('Photo &lt;Printer&gt;')
    // Next time the app asks, the user is asked again.
    const again = await browser.get(authorizeUrl(app))
    expect(again.statusCode).toBe(200)
    expect(again.body).toContain('value="allow"')
    const [entry] = await auditEvents(server, 'consent.revoked')
    expect(entry).toMatchObject({ userId: server.users.johndoe.id, clientId: app.id, details: { refresh_tokens_revoked: 1 } })
  })

  it('removes nothing of another user\'s, and answers an unknown or missing app calmly', async () => {
    const app = (await codeFlowClient(server)).client
    const bob = await signedInBrowser(server, home, { username: 'bob' })
    const bobsToken = await appRefreshToken(server, bob, app)
    const john = await signedInBrowser(server, home)
    await appRefreshToken(server, john, app)
    const page = await john.get('/account')
    const hidden = formPostingTo(page.body, ACCOUNT_PATHS.revokeApp)
    expect((await john.post(ACCOUNT_PATHS.revokeApp, { ...hidden, client_id: 'no-such-app' })).statusCode).toBe(303)
    const missing = await john.post(ACCOUNT_PATHS.revokeApp, { ...hidden, client_id: '' })
    expect(missing.statusCode).toBe(400)
    expect(sectionAlert(missing.body, 'apps')).toBe('No app was named.')
    await john.post(ACCOUNT_PATHS.revokeApp, hidden)
    expect(await server.store.consents.find(server.users.bob.id, app.id)).not.toBeNull()
    expect((await appRefresh(server, bobsToken, app)).statusCode).toBe(200)
  })
})
