import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MAIL_REQUEST_FLOOR_MS } from '../../src/http/response-floor.js'
import { expectNoMailTo, expectPage, json, linkOf, mailTo, startMailServer, type MailServer } from './mail-link-helpers.js'
import { TestBrowser, codeFlowClient, formOf, rawRows, signInAndAuthorize, authorizeUrl } from './sign-in-helpers.js'
import { FORM, PASSWORD, form, startTestServer, type TestServer } from './test-server.js'

// Password reset (issue 10 part 3): "Forgot password?" on the sign-in page, POST /password/forgot
// (JSON or form) answering the same for every address, a single-use link (30 min) to a page that
// sets a new password under the registration policy and ends every session; POST /password/reset
// for API clients; limited per address and per network; audited; never a token in a log.

const NEW_PASSWORD = 'a whole new password'

let mail: MailServer
let server: TestServer
beforeEach(async () => {
  mail = await startMailServer()
  server = mail.server
})
afterEach(async () => { await mail.close() })

function passwordLogin(password: string) {
  return server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username: 'johndoe', password }) })
}

async function audited(event: string) {
  return (await server.store.audit.list({ limit: 100, offset: 0 })).filter((e) => e.event === event)
}

/** Asks for a reset link for johndoe through the JSON API and returns it from the mail. */
async function resetLink(): Promise<{ url: string; token: string }> {
  const res = await json(server, 'POST', '/password/forgot', { email: 'johndoe@example.com' })
  expect(res.statusCode).toBe(202)
  return linkOf(mail.sink, await mailTo(mail.sink, 'johndoe@example.com', 'Reset your Tessera password'), '/password/reset')
}

describe('the pages: forgot → mail → new password', () => {
  it('leads from the sign-in page to a new password, signing out everywhere', async () => {
    const { client } = await codeFlowClient(server)
    const before = new TestBrowser(server)                                       // signed in before the reset
    await signInAndAuthorize(before, client)
    const refresh = (await passwordLogin(PASSWORD)).json().refresh_token as string

    const browser = new TestBrowser(server)
    const signIn = await browser.get(authorizeUrl(client))
    expect(signIn.body).toContain('<a href="/password/forgot">Forgot password?</a>')
    const forgot = await browser.get('/password/forgot')
    expectPage(forgot, 200, 'Forgot your password?')
    expect(forgot.body).toContain('name="email" type="email"')
    const sent = await browser.submit(forgot, { email: 'JohnDoe@Example.com' })
    expectPage(sent, 200, 'Check your email')
    expect(sent.body).toContain('If an account uses <strong>JohnDoe@Example.com</strong>, we sent it a link to choose a new password. The link works for 30 minutes, once.')

    const message = await mailTo(mail.sink, 'johndoe@example.com', 'Reset your Tessera password')
    expect(message.text).toContain('The link works once, for 30 minutes.')
    const link = linkOf(mail.sink, message, '/password/reset')
    const page = await browser.get(link.url)
    expectPage(page, 200, 'Choose a new password')
    expect(page.body).toContain('for the account <strong>johndoe</strong>')
    expect(formOf(page.body)).toMatchObject({ action: '/password/reset', hidden: { token: link.token } })

    const mismatch = await browser.submit(page, { new_password: NEW_PASSWORD, new_password_again: 'something else entirely' })
    expectPage(mismatch, 422, 'Choose a new password')
    expect(mismatch.body).toContain('The two passwords differ. Type the same one twice.')
    const short = await browser.submit(page, { new_password: 'tiny', new_password_again: 'tiny' })
    expectPage(short, 422, 'Choose a new password')
    expect(short.body).toContain('Choose a password of at least 8 characters.')
    expect(short.body).not.toContain('value="tiny"')
    expect((await passwordLogin(PASSWORD)).statusCode).toBe(200)                  // refused attempts changed nothing

    const done = await browser.submit(page, { new_password: NEW_PASSWORD, new_password_again: NEW_PASSWORD })
    expectPage(done, 200, 'Password changed')
    expect(done.body).toContain('you were signed out everywhere')

    expect((await passwordLogin(PASSWORD)).statusCode).toBe(401)
    expect((await passwordLogin(NEW_PASSWORD)).statusCode).toBe(200)
    const refreshed = await server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ grant_type: 'refresh_token', refresh_token: refresh }) })
    expect(refreshed.statusCode).toBe(400)                                        // the refresh token died with the sessions
    const again = await before.get(authorizeUrl(client))
    expect(again.body).toContain('name="password"')                               // the old browser sign-in is gone
    expect(await rawRows(server, 'browser_sessions')).toEqual([])

    const notice = await mailTo(mail.sink, 'johndoe@example.com', 'Your Tessera password was changed')
    expect(notice.text).not.toMatch(/https?:\/\//)
    expect((await server.store.users.findById(server.users.johndoe.id))?.emailVerified).toBe(true) // the mailbox answered

    const reused = await browser.submit(page, { new_password: 'yet another password', new_password_again: 'yet another password' })
    expectPage(reused, 400, 'This request cannot be completed')
    expect(reused.body).toContain('This link is invalid or has expired')
    expect((await passwordLogin(NEW_PASSWORD)).statusCode).toBe(200)

    expect((await audited('password.reset_requested')).map((e) => [e.userId, e.details])).toEqual([[server.users.johndoe.id, { via: 'page', mailed: true }]])
    expect((await audited('password.reset')).map((e) => [e.userId, e.username])).toEqual([[server.users.johndoe.id, 'johndoe']])
    expect((await audited('password.reset_failed')).map((e) => e.details)).toEqual([{ reason: 'invalid_link' }])
  })

  it('never uses the link on a GET: scanners may open it any number of times', async () => {
    const link = await resetLink()
    const browser = new TestBrowser(server)
    await browser.get(link.url)
    await browser.get(link.url)
    const page = await browser.get(link.url)
    expectPage(page, 200, 'Choose a new password')
    expect((await browser.submit(page, { new_password: NEW_PASSWORD, new_password_again: NEW_PASSWORD })).statusCode).toBe(200)
  })

  it('answers a made-up, expired or missing link with the error page', async () => {
    const browser = new TestBrowser(server)
    for (const url of ['/password/reset?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/password/reset?token=../../etc', '/password/reset']) {
      const res = await browser.get(url)
      expectPage(res, 400, 'This request cannot be completed')
      expect(res.body).toContain('This link is invalid or has expired')
    }
    const link = await resetLink()
    server.clock.advance(30 * 60 * 1000)
    expectPage(await browser.get(link.url), 400, 'This request cannot be completed')
  })

  it('refuses a reset form without the page\'s CSRF token, or sent from another site', async () => {
    const link = await resetLink()
    const browser = new TestBrowser(server)
    const page = await browser.get(link.url)
    const { hidden } = formOf(page.body)
    const fields = { ...hidden, new_password: NEW_PASSWORD, new_password_again: NEW_PASSWORD }
    expectPage(await browser.post('/password/reset', { ...fields, csrf: 'x'.repeat(43) }), 403, 'This form has expired')
    expectPage(await browser.post('/password/reset', fields, { 'sec-fetch-site': 'cross-site' }), 403, 'This form has expired')
    expectPage(await new TestBrowser(server).post('/password/reset', fields), 403, 'This form has expired')
    const forgot = await browser.get('/password/forgot')
    expectPage(await browser.post('/password/forgot', { ...formOf(forgot.body).hidden, email: 'johndoe@example.com' }, { origin: 'https://evil.example' }), 403, 'This form has expired')
    expect((await passwordLogin(PASSWORD)).statusCode).toBe(200)
  })
})

describe('the same answer for every address', () => {
  it('answers known, unknown and disabled addresses with the same status, headers and body, no sooner than the floor', async () => {
    const answers = []
    for (const email of ['johndoe@example.com', 'nobody@example.com', 'alice@example.com']) {
      const started = performance.now()
      const res = await json(server, 'POST', '/password/forgot', { email })
      answers.push({ status: res.statusCode, body: res.body, type: res.headers['content-type'], cache: res.headers['cache-control'], ms: performance.now() - started })
    }
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 202, type: 'application/json; charset=utf-8', cache: 'no-store' })
      expect(JSON.parse(answer.body)).toEqual({ detail: 'If an account uses this address, a link to choose a new password is on its way.' })
      expect(answer.ms).toBeGreaterThanOrEqual(MAIL_REQUEST_FLOOR_MS - 1)
    }
    await mailTo(mail.sink, 'johndoe@example.com', 'Reset your Tessera password')
    await expectNoMailTo(mail.sink, 'alice@example.com')                         // disabled: no link
    expect(mail.sink.messages.map((m) => m.to)).toEqual(['johndoe@example.com'])
  })

  it('shows the same page, but for the address typed, whether or not an account uses it', async () => {
    const browser = new TestBrowser(server)
    const pages = []
    for (const email of ['johndoe@example.com', 'nobody@example.com']) {
      const forgot = await browser.get('/password/forgot')
      const res = await browser.submit(forgot, { email })
      expect(res.statusCode).toBe(200)
      pages.push(res.body.replaceAll(email, 'ADDRESS'))
    }
    expect(pages[0]).toBe(pages[1])
  })

  it('stores only the hash of the link\'s token, and no log line holds the token or the link', async () => {
    const { token } = await resetLink()
    const rows = await rawRows(server, 'one_time_tokens')
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ purpose: 'reset_password', user_id: server.users.johndoe.id, token_hash: createHash('sha256').update(token).digest('hex') })
    expect(JSON.stringify(rows)).not.toContain(token)
    const browser = new TestBrowser(server)
    const page = await browser.get(`/password/reset?token=${token}`)
    await browser.submit(page, { new_password: NEW_PASSWORD, new_password_again: NEW_PASSWORD })
    await json(server, 'POST', '/password/reset', { token, new_password: NEW_PASSWORD })
    const logs = mail.logs.join('')
    expect(logs).toContain('/password/reset?token=[Redacted]')
    expect(logs).not.toContain(token)
    expect(logs).not.toContain(NEW_PASSWORD)
  })
})

describe('the JSON API', () => {
  it('resets with POST /password/reset {token, new_password}: 204, and the link works once', async () => {
    const { token } = await resetLink()
    const res = await json(server, 'POST', '/password/reset', { token, new_password: NEW_PASSWORD })
    expect(res.statusCode).toBe(204)
    expect(res.body).toBe('')
    expect((await passwordLogin(NEW_PASSWORD)).statusCode).toBe(200)
    const again = await json(server, 'POST', '/password/reset', { token, new_password: 'yet another password' })
    expect(again.statusCode).toBe(400)
    expect(again.json()).toEqual({ detail: 'This link is invalid or has expired' })
    expect(again.headers['content-type']).toBe('application/json; charset=utf-8')
  })

  it('holds the new password to the registration policy, without echoing it, and keeps the link usable', async () => {
    const { token } = await resetLink()
    const res = await json(server, 'POST', '/password/reset', { token, new_password: 'tiny' })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toEqual({ detail: [{ type: 'string_too_short', loc: ['body', 'new_password'], msg: 'String should have at least 8 characters', ctx: { min_length: 8 } }] })
    expect((await json(server, 'POST', '/password/reset', { token, new_password: NEW_PASSWORD })).statusCode).toBe(204)
  })

  it('answers malformed bodies with 422, never 5xx', async () => {
    for (const payload of [{}, { email: 42 }, { email: 'not an address' }, { email: 'a\u0000b@example.com' }, { email: `${'x'.repeat(400)}@example.com` }]) {
      const res = await json(server, 'POST', '/password/forgot', payload)
      expect(res.statusCode, JSON.stringify(payload)).toBe(422)
      expect(res.json().detail[0].loc).toEqual(['body', 'email'])
    }
    for (const payload of [{}, { token: 'x' }, { token: 'A'.repeat(43) }, { new_password: NEW_PASSWORD }, { token: ['a'], new_password: NEW_PASSWORD }]) {
      const res = await json(server, 'POST', '/password/reset', payload)
      expect([400, 422], JSON.stringify(payload)).toContain(res.statusCode)
    }
    const text = await server.app.inject({ method: 'POST', url: '/password/forgot', headers: { 'content-type': 'text/plain' }, payload: 'johndoe@example.com' })
    expect(text.statusCode).toBe(415)
    const broken = await server.app.inject({ method: 'POST', url: '/password/forgot', headers: { 'content-type': 'application/json' }, payload: '{"email":' })
    expect(broken.statusCode).toBe(422)
  })
})

describe('limits', () => {
  it('refuses a sixth request for one address within the hour, from any network, known or not', async () => {
    for (const email of ['johndoe@example.com', 'nobody@example.com']) {
      for (let i = 0; i < 5; i += 1) {
        expect((await json(server, 'POST', '/password/forgot', { email }, { remoteAddress: `192.0.2.${i + 1}` })).statusCode).toBe(202)
      }
      const refused = await json(server, 'POST', '/password/forgot', { email }, { remoteAddress: '198.51.100.1' })
      expect(refused.statusCode).toBe(429)
      expect(refused.headers['retry-after']).toBe('3600')
      expect(refused.json()).toEqual({ detail: 'Too many requests for mail, retry later' })
    }
    server.clock.advance(60 * 60 * 1000)
    expect((await json(server, 'POST', '/password/forgot', { email: 'johndoe@example.com' })).statusCode).toBe(202)
  })

  it('refuses a network\'s 21st request within the hour, whatever the addresses, and says so on the page', async () => {
    for (let i = 0; i < 20; i += 1) {
      expect((await json(server, 'POST', '/password/forgot', { email: `user${i}@example.com` }, { remoteAddress: '203.0.113.5' })).statusCode).toBe(202)
    }
    expect((await json(server, 'POST', '/password/forgot', { email: 'other@example.com' }, { remoteAddress: '203.0.113.5' })).statusCode).toBe(429)
    const browser = new TestBrowser(server)
    const forgot = await browser.get('/password/forgot')
    const page = await server.app.inject({
      method: 'POST', url: '/password/forgot', remoteAddress: '203.0.113.5',
      headers: { ...browser.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
      payload: form({ ...formOf(forgot.body).hidden, email: 'other@example.com' }),
    })
    expectPage(page, 429, 'Forgot your password?')
    expect(page.headers['retry-after']).toBe('3600')
    expect(page.body).toContain('Too many reset links were asked for. Try again in 60 minutes.')
    expect((await json(server, 'POST', '/password/forgot', { email: 'other@example.com' }, { remoteAddress: '198.51.100.9' })).statusCode).toBe(202)
  }, 60_000)

  it('does not count a malformed address', async () => {
    for (let i = 0; i < 8; i += 1) expect((await json(server, 'POST', '/password/forgot', { email: 'johndoe@' })).statusCode).toBe(422)
    expect((await json(server, 'POST', '/password/forgot', { email: 'johndoe@example.com' })).statusCode).toBe(202)
  })
})

describe('without mail', () => {
  it('has no "Forgot password?" link and says plainly that reset is unavailable', async () => {
    const off = await startTestServer()
    try {
      const { client } = await codeFlowClient(off)
      const browser = new TestBrowser(off)
      expect((await browser.get(authorizeUrl(client))).body).not.toContain('Forgot password?')
      const page = await browser.get('/password/forgot')
      expectPage(page, 404, 'This request cannot be completed')
      expect(page.body).toContain('Password reset is not available here: this server sends no mail.')
      const api = await json(off, 'POST', '/password/forgot', { email: 'johndoe@example.com' })
      expect(api.statusCode).toBe(404)
      expect(api.json().detail).toContain('Password reset is not available here')
    } finally {
      await off.close()
    }
  })
})
