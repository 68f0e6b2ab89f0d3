import { afterEach, describe, expect, it } from 'vitest'
import { expectNoMailTo, expectPage, json, linkOf, mailTo, startMailServer, type MailServer } from './mail-link-helpers.js'
import { TestBrowser, authorizeUrl, codeFlowClient, formOf, rawRows } from './sign-in-helpers.js'
import { FORM, form, startTestServer, type TestServer } from './test-server.js'

// Email verification (issue 10 part 2): registration mails a single-use link (24 h); opening it
// shows a page whose button verifies; `required` refuses the password grant and the sign-in page
// until then; a resend form for those who cannot sign in yet, with the same answer for every
// address and limits per address and per network.

const PASSWORD = 'a long enough password'

let mail: MailServer
afterEach(async () => { await mail?.close() })

async function register(server: TestServer, username: string, email?: string | null) {
  return server.app.inject({ method: 'POST', url: '/users', payload: { username, password: PASSWORD, ...(email === undefined ? {} : { email }) } })
}

function passwordLogin(server: TestServer, username: string) {
  return server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username, password: PASSWORD }) })
}

async function verificationLink(username: string, email: string): Promise<{ url: string; token: string; id: string }> {
  const res = await register(mail.server, username, email)
  expect(res.statusCode).toBe(201)
  const link = linkOf(mail.sink, await mailTo(mail.sink, email, 'Verify your email address for Tessera'), '/email/verify')
  return { ...link, id: res.json().id as string }
}

describe('registration with mail on (optional)', () => {
  it('mails a link whose page verifies the address with its button, once', async () => {
    mail = await startMailServer()
    const { server } = mail
    const { url, token, id } = await verificationLink('carol', 'Carol@Example.com')
    const user = await server.store.users.findById(id)
    expect(user?.emailVerified).toBe(false)
    const me = await server.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: server.bearer(user!) } })
    expect(me.json()).toMatchObject({ email: 'Carol@Example.com', email_verified: false })

    const browser = new TestBrowser(server)
    const page = await browser.get(url)
    expectPage(page, 200, 'Verify your email address')
    expect(page.body).toContain('Confirm that <strong>Carol@Example.com</strong> is the address of the account <strong>carol</strong>.')
    expect(formOf(page.body)).toMatchObject({ action: '/email/verify', hidden: { token } })
    await browser.get(url)
    expect((await server.store.users.findById(id))?.emailVerified).toBe(false)     // opening it changes nothing

    const done = await browser.submit(page)
    expectPage(done, 200, 'Email address verified')
    expect(done.body).toContain('<strong>Carol@Example.com</strong> is verified.')
    const verified = await server.store.users.findById(id)
    expect(verified?.emailVerified).toBe(true)
    const after = await server.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: server.bearer(verified!) } })
    expect(after.json()).toMatchObject({ email: 'Carol@Example.com', email_verified: true })

    const again = await browser.submit(page)
    expectPage(again, 400, 'This request cannot be completed')
    expect(again.body).toContain('This link is invalid or has expired')
    expectPage(await browser.get(url), 400, 'This request cannot be completed')

    const events = (await server.store.audit.list({ userId: id, limit: 10, offset: 0 })).map((e) => [e.event, e.details])
    expect(events).toEqual(expect.arrayContaining([['email.verification_sent', { via: 'registration' }], ['email.verified', {}]]))
    expect(mail.logs.join('')).not.toContain(token)
  })

  it('verifies through the JSON API: 200 with the address, then 400 for the spent link', async () => {
    mail = await startMailServer()
    const { token } = await verificationLink('carol', 'carol@example.com')
    const res = await json(mail.server, 'POST', '/email/verify', { token })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ email: 'carol@example.com', email_verified: true })
    const again = await json(mail.server, 'POST', '/email/verify', { token })
    expect(again.statusCode).toBe(400)
    expect(again.json()).toEqual({ detail: 'This link is invalid or has expired' })
    expect((await json(mail.server, 'POST', '/email/verify', {})).statusCode).toBe(422)
    expect((await json(mail.server, 'POST', '/email/verify', { token: 12 })).statusCode).toBe(422)
  })

  it('answers 409 when another account verified the address first (ignoring case)', async () => {
    mail = await startMailServer()
    const first = await verificationLink('carol', 'carol@example.com')
    const second = await verificationLink('carla', 'CAROL@example.com')
    expect((await json(mail.server, 'POST', '/email/verify', { token: first.token })).statusCode).toBe(200)
    const res = await json(mail.server, 'POST', '/email/verify', { token: second.token })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toEqual({ detail: 'Email already in use' })
  })

  it('refuses a verification form without the page\'s CSRF token', async () => {
    mail = await startMailServer()
    const { url, id } = await verificationLink('carol', 'carol@example.com')
    const browser = new TestBrowser(mail.server)
    const page = await browser.get(url)
    expectPage(await new TestBrowser(mail.server).post('/email/verify', formOf(page.body).hidden), 403, 'This form has expired')
    expectPage(await browser.post('/email/verify', formOf(page.body).hidden, { 'sec-fetch-site': 'cross-site' }), 403, 'This form has expired')
    expect((await mail.server.store.users.findById(id))?.emailVerified).toBe(false)
  })

  it('sends nothing to an account without an address, or under TESSERA_EMAIL_VERIFICATION=off', async () => {
    mail = await startMailServer({ emailVerification: 'off' })
    expect((await register(mail.server, 'carol', 'carol@example.com')).statusCode).toBe(201)
    expect((await register(mail.server, 'dave')).statusCode).toBe(201)
    await expectNoMailTo(mail.sink, 'carol@example.com')
    expect(await rawRows(mail.server, 'one_time_tokens')).toEqual([])
    expectPage(await new TestBrowser(mail.server).get('/email/verify/resend'), 404, 'This request cannot be completed')
  })
})

describe('TESSERA_EMAIL_VERIFICATION=required', () => {
  it('asks registration for an address', async () => {
    mail = await startMailServer({ emailVerification: 'required' })
    const res = await register(mail.server, 'carol')
    expect(res.statusCode).toBe(422)
    expect(res.json()).toEqual({ detail: [{ type: 'missing', loc: ['body', 'email'], msg: 'Field required', input: null }] })
    expect((await register(mail.server, 'carol', null)).statusCode).toBe(422)
  })

  it('refuses the password grant and the sign-in page until the address is verified, then lets them in', async () => {
    mail = await startMailServer({ emailVerification: 'required' })
    const { server } = mail
    const { token } = await verificationLink('carol', 'carol@example.com')

    const refused = await passwordLogin(server, 'carol')
    expect(refused.statusCode).toBe(400)
    expect(refused.json()).toEqual({ detail: 'Email not verified', error: 'invalid_grant', error_description: 'Email not verified' })
    const wrong = await server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username: 'carol', password: 'not the password' }) })
    expect(wrong.statusCode).toBe(401)                                           // nothing revealed without the password

    const { client } = await codeFlowClient(server)
    const browser = new TestBrowser(server)
    const page = await browser.get(authorizeUrl(client))
    const signIn = await browser.submit(page, { username: 'carol', password: PASSWORD })
    expect(signIn.statusCode).toBe(400)
    expect(signIn.headers.location).toBeUndefined()
    expect(await rawRows(server, 'browser_sessions')).toEqual([])
    const failed = (await server.store.audit.list({ event: 'login.failed', limit: 10, offset: 0 })).map((e) => e.details.reason)
    expect(failed).toEqual(['email_not_verified', 'invalid_credentials', 'email_not_verified'])

    expect((await json(server, 'POST', '/email/verify', { token })).statusCode).toBe(200)
    expect((await passwordLogin(server, 'carol')).statusCode).toBe(200)
    const signedIn = await browser.submit(await browser.get(authorizeUrl(client)), { username: 'carol', password: PASSWORD })
    expect(signedIn.statusCode).toBe(303)
  })

  it('refuses the seeded accounts too: bob has no address at all', async () => {
    mail = await startMailServer({ emailVerification: 'required' })
    for (const username of ['johndoe', 'bob']) {
      const res = await mail.server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username, password: 'correct horse battery' }) })
      expect(res.json().error_description).toBe('Email not verified')
    }
  })
})

describe('sending the link again', () => {
  it('mails a new link from the resend page, and the older one stops working', async () => {
    mail = await startMailServer({ emailVerification: 'required' })
    const first = await verificationLink('carol', 'carol@example.com')
    const browser = new TestBrowser(mail.server)
    const page = await browser.get('/email/verify/resend')
    expectPage(page, 200, 'Send the verification link again')
    const sent = await browser.submit(page, { email: 'CAROL@example.com' })
    expectPage(sent, 200, 'Check your email')
    expect(sent.body).toContain('If an account with <strong>CAROL@example.com</strong> still needs verifying, we sent it a new link. It works for 24 hours, once.')
    await mail.sink.waitFor((m) => m.to === 'carol@example.com' && m.text.includes('/email/verify?token=') && !m.text.includes(first.token))
    const second = mail.sink.messages.filter((m) => m.to === 'carol@example.com')[1]!
    expect((await json(mail.server, 'POST', '/email/verify', { token: first.token })).statusCode).toBe(400)
    expect((await json(mail.server, 'POST', '/email/verify', { token: linkOf(mail.sink, second, '/email/verify').token })).statusCode).toBe(200)
    expect((await mail.server.store.audit.list({ event: 'email.verification_sent', limit: 10, offset: 0 })).map((e) => e.details)).toEqual([{ via: 'resend' }, { via: 'registration' }])
  })

  it('answers the same for an unknown, a verified and an unverified address, and mails only the unverified one', async () => {
    mail = await startMailServer()
    await mail.server.store.users.update(mail.server.users.johndoe.id, { emailVerified: true })
    await verificationLink('carol', 'carol@example.com')
    const answers = []
    for (const email of ['carol@example.com', 'johndoe@example.com', 'nobody@example.com']) {
      const res = await json(mail.server, 'POST', '/email/verify/resend', { email })
      answers.push([res.statusCode, res.json()])
    }
    expect(answers).toEqual(Array(3).fill([202, { detail: 'If an account with this address still needs verifying, a new link is on its way.' }]))
    await mail.sink.waitFor(() => mail.sink.messages.filter((m) => m.to === 'carol@example.com').length === 2)
    await expectNoMailTo(mail.sink, 'johndoe@example.com')
  })

  it('limits requests per address (429 after five in an hour) and refuses a malformed one with 422', async () => {
    mail = await startMailServer()
    for (let i = 0; i < 5; i += 1) expect((await json(mail.server, 'POST', '/email/verify/resend', { email: 'x@example.com' }, { remoteAddress: `192.0.2.${i + 1}` })).statusCode).toBe(202)
    const refused = await json(mail.server, 'POST', '/email/verify/resend', { email: 'X@example.com' }, { remoteAddress: '198.51.100.2' })
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['retry-after']).toBe('3600')
    expect((await json(mail.server, 'POST', '/email/verify/resend', { email: 'nope' })).statusCode).toBe(422)
    const browser = new TestBrowser(mail.server)
    const page = await browser.get('/email/verify/resend')
    const limited = await browser.submit(page, { email: 'x@example.com' })
    expectPage(limited, 429, 'Send the verification link again')
    expect(limited.body).toContain('Too many links were asked for.')
  })
})

describe('without mail', () => {
  it('sends no verification and says the resend page is unavailable', async () => {
    const server = await startTestServer()
    try {
      expect((await register(server, 'carol', 'carol@example.com')).statusCode).toBe(201)
      expect(await rawRows(server, 'one_time_tokens')).toEqual([])
      const page = await new TestBrowser(server).get('/email/verify/resend')
      expectPage(page, 404, 'This request cannot be completed')
      expect(page.body).toContain('Email verification is not available here')
      expect((await json(server, 'POST', '/email/verify/resend', { email: 'carol@example.com' })).statusCode).toBe(404)
    } finally {
      await server.close()
    }
  })
})
