import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ClientRecord } from '../../src/core/index.js'
import { ACCOUNT_PATHS } from '../../src/http/pages/account.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'
import { firstPartyClient, followNotice, sectionAlert, signedInBrowser, submitAccountForm } from './account-helpers.js'
import { auditEvents } from './session-helpers.js'
import { formOf, type TestBrowser } from './sign-in-helpers.js'
import { PASSWORD, startTestServer, type TestServer } from './test-server.js'

// Issue 10 parts 2, 3 and 5 on the account page: a new address (confirmed by a link to it, the
// old one told; at once and unverified without mail), and a new verification link, through the
// real routes and, where mail goes out, a real SMTP server.

let server: TestServer
let home: ClientRecord

async function start(config: Parameters<typeof startTestServer>[0] = {}) {
  server = await startTestServer(config)
  home = await firstPartyClient(server)
}

async function johndoe() {
  return server.store.users.findById(server.users.johndoe.id)
}

/** Opens a mailed link as a person would (GET shows a page, its button POSTs) and returns the answer to the button. */
async function openLink(browser: TestBrowser, sink: SmtpSink, to: string, path: string) {
  const mail = await sink.waitFor((m) => m.to === to && m.text.includes(path))
  const link = new URL(sink.linkIn(mail, path))
  const page = await browser.get(`${link.pathname}${link.search}`)
  expect(page.statusCode).toBe(200)
  return browser.submit(page, formOf(page.body).hidden)
}

describe('changing the email address without mail', () => {
  beforeAll(async () => { await start() })
  afterAll(async () => { await server.close() })
  beforeEach(async () => { await server.store.users.update(server.users.johndoe.id, { email: 'johndoe@example.com' }) })

  it('applies at once, unverified, after the password: 303 with a notice, audited', async () => {
    const browser = await signedInBrowser(server, home)
    const res = await submitAccountForm(browser, ACCOUNT_PATHS.email, { email: 'John.New@Example.com', password: PASSWORD })
    expect(res.headers.location).toBe('/account?done=email_changed#email')
    expect(await followNotice(browser, res)).toBe('Your email address was changed.')
    expect(await johndoe()).toMatchObject({ email: 'John.New@Example.com', emailVerified: false })
    expect((await auditEvents(server, 'email.changed'))[0]).toMatchObject({ userId: server.users.johndoe.id, details: { via: 'account_page', verified: false } })
  })

  it('refuses a wrong password, a missing or malformed address and the current one, on the page, changing nothing', async () => {
    const browser = await signedInBrowser(server, home)
    const verifies = server.hasher.calls.verify
    const malformed = await submitAccountForm(browser, ACCOUNT_PATHS.email, { email: 'not an address', password: PASSWORD })
    expect(malformed.statusCode).toBe(422)
    expect(sectionAlert(malformed.body, 'email')).toBe('Enter a valid email address, like name@example.com.')
    expect(malformed.body).toContain('name="email" type="email" value="not an address"')
    expect(server.hasher.calls.verify).toBe(verifies)                                   // refused before the password costs a hash
    const cases: [Record<string, string>, number, string][] = [
      [{ email: 'other@example.com', password: 'not my password' }, 400, 'That is not your current password.'],
      [{ email: 'other@example.com', password: '' }, 400, 'Enter your current password.'],
      [{ email: '', password: PASSWORD }, 400, 'Enter the new email address.'],
      [{ email: 'JOHNDOE@example.com', password: PASSWORD }, 422, 'That is already your address.'],
    ]
    for (const [fields, status, message] of cases) {
      const res = await submitAccountForm(browser, ACCOUNT_PATHS.email, fields)
      expect(res.statusCode, message).toBe(status)
      expect(sectionAlert(res.body, 'email')).toBe(message)
      expect(res.body).not.toContain(PASSWORD)
    }
    expect((await johndoe())?.email).toBe('johndoe@example.com')
  })

  it('refuses an address another account has verified (409)', async () => {
    await server.store.users.update(server.users.bob.id, { email: 'taken@example.com', emailVerified: true })
    const browser = await signedInBrowser(server, home)
    const res = await submitAccountForm(browser, ACCOUNT_PATHS.email, { email: 'Taken@Example.com', password: PASSWORD })
    expect(res.statusCode).toBe(409)
    expect(sectionAlert(res.body, 'email')).toBe('Another account already uses that address.')
    expect((await johndoe())?.email).toBe('johndoe@example.com')
  })
})

describe('the account page\'s address forms with mail', () => {
  let sink: SmtpSink
  beforeAll(async () => { sink = await startSmtpSink() })
  afterAll(async () => { await sink.close() })
  afterEach(async () => { await server.close() })

  it('a new address waits for its link, the old address is told; the link makes it the address, verified', async () => {
    await start({ config: { smtpUrl: sink.url } })
    const browser = await signedInBrowser(server, home)
    expect((await browser.get('/account')).body).toContain('We send a link to the new address')
    const res = await submitAccountForm(browser, ACCOUNT_PATHS.email, { email: 'john.new@example.com', password: PASSWORD })
    expect(res.headers.location).toBe('/account?done=email_sent#email')
    expect(await followNotice(browser, res)).toBe('We sent a confirmation link to your new address. Your address changes when you open it.')
    expect((await johndoe())?.email).toBe('johndoe@example.com')
    const notice = await sink.waitFor((m) => m.to === 'johndoe@example.com')
    expect(notice.text).toContain('john.new@example.com')
    expect((await auditEvents(server, 'email.change_requested'))[0]).toMatchObject({ userId: server.users.johndoe.id, details: { via: 'account_page' } })

    const confirmed = await openLink(browser, sink, 'john.new@example.com', '/email/change')
    expect(confirmed.statusCode).toBe(200)
    expect(await johndoe()).toMatchObject({ email: 'john.new@example.com', emailVerified: true })
    expect((await browser.get('/account')).body).toContain('<dd>john.new@example.com <span class="badge ok">Verified</span></dd>')
  })

  it('sends a verification link for the current address (the button goes once it is verified), within the mail limits', async () => {
    await start({ config: { smtpUrl: sink.url } })
    await server.store.users.update(server.users.johndoe.id, { email: 'verify.me@example.com' })
    const browser = await signedInBrowser(server, home)
    const res = await submitAccountForm(browser, ACCOUNT_PATHS.verifyEmail)
    expect(res.headers.location).toBe('/account?done=verification_sent#profile')
    expect(await followNotice(browser, res)).toBe('We sent a verification link to your email address.')
    expect((await auditEvents(server, 'email.verification_sent'))[0]).toMatchObject({ userId: server.users.johndoe.id, details: { via: 'account_page' } })
    expect((await openLink(browser, sink, 'verify.me@example.com', '/email/verify')).statusCode).toBe(200)
    expect((await johndoe())?.emailVerified).toBe(true)
    const page = await browser.get('/account')
    expect(page.body).not.toContain(ACCOUNT_PATHS.verifyEmail)
    const again = await browser.post(ACCOUNT_PATHS.verifyEmail, { csrf: browser.cookies.get('tessera-csrf') ?? '' })
    expect(again.statusCode).toBe(400)
    expect(sectionAlert(again.body, 'profile')).toBe('Your email address is verified already.')
  })

  it('refuses more verification links than the mail limits allow: 429 with Retry-After', async () => {
    await start({ config: { smtpUrl: sink.url } })
    await server.store.users.update(server.users.johndoe.id, { email: 'flood@example.com' })
    const browser = await signedInBrowser(server, home)
    for (let i = 0; i < 5; i += 1) expect((await submitAccountForm(browser, ACCOUNT_PATHS.verifyEmail)).statusCode).toBe(303)
    const refused = await submitAccountForm(browser, ACCOUNT_PATHS.verifyEmail)
    expect(refused.statusCode).toBe(429)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect(sectionAlert(refused.body, 'profile')).toMatch(/^Too many requests\. Try again in \d+ minutes?\.$/)
  })
})
