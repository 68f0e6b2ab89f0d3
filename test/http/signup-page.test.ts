import type { LightMyRequestResponse } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ClientRecord } from '../../src/core/index.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'
import { auditEvents } from './session-helpers.js'
import { TestBrowser, authorizeUrl, codeFlowClient, formOf, redirectOf } from './sign-in-helpers.js'
import { FORM, PASSWORD, form, startTestServer, type TestServer } from './test-server.js'

// Issue 10: the sign-up page (GET and POST /signup) behind the sign-in page's "Create account":
// the rules of POST /users, the registration limit, CSRF, and the browser signed in afterwards,
// back on its way (the app's authorization request, or the account page).

const EXPIRED = 'This form has expired or was sent from another site'
const NEW_PASSWORD = 'a fine new passphrase'

let server: TestServer
let client: ClientRecord

async function start(config: Parameters<typeof startTestServer>[0] = {}) {
  server = await startTestServer(config)
  client = (await codeFlowClient(server)).client
}

/** The sign-up page as a person reaches it: the app's sign-in page, then its "Create account" link. */
async function signUpPage(browser: TestBrowser): Promise<LightMyRequestResponse> {
  const signIn = await browser.get(authorizeUrl(client))
  const link = /<a href="(\/signup\?[^"]*)">Create account<\/a>/.exec(signIn.body)?.[1]
  expect(link, 'the sign-in page links to sign-up').toBeDefined()
  const page = await browser.get((link as string).replace(/&amp;/g, '&'))
  expect(page.statusCode).toBe(200)
  return page
}

function fieldError(body: string, field: string): string | null {
  return new RegExp(`<p class="field-error" id="${field}-error">([^<]*)</p>`).exec(body)?.[1]?.replace(/&#39;/g, "'") ?? null
}

describe('the sign-up page', () => {
  beforeAll(async () => { await start() })
  afterAll(async () => { await server.close() })

  it('is linked from the sign-in page, carrying the app\'s request, and asks for Username, Email (optional) and Password', async () => {
    const page = await signUpPage(new TestBrowser(server))
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.body).toContain('<title>Create account · Tessera</title>')
    expect(page.body).toContain('to continue to <strong>Example App</strong>')
    expect(page.body).toContain('<label for="username">Username</label>')
    expect(page.body).toContain('<label for="email">Email <span class="optional">(optional)</span></label>')
    expect(page.body).toContain('<label for="password">Password</label>')
    expect(page.body).toContain('name="password" type="password" autocomplete="new-password"')
    expect(page.body).toContain('<button type="submit" class="button primary">Create account</button>')
    const { action, hidden } = formOf(page.body)
    expect(action).toBe('/signup')
    expect(new URLSearchParams(hidden.request).get('client_id')).toBe(client.id)
    expect(page.body).toContain(`href="/authorize?${hidden.request?.replace(/&/g, '&amp;')}">Sign in</a>`)
  })

  it('creates the account, signs the browser in and goes on with the app\'s request: the app gets its code', async () => {
    const browser = new TestBrowser(server)
    const res = await browser.submit(await signUpPage(browser), { username: 'carol', email: 'carol@example.com', password: NEW_PASSWORD })
    expect(res.statusCode).toBe(303)
    const { base, params } = redirectOf(res)
    expect(base).toBe('/authorize')
    expect(params.get('client_id')).toBe(client.id)
    const carol = await server.store.users.findByUsername('carol')
    expect(carol).toMatchObject({ email: 'carol@example.com', emailVerified: false, fullName: null, disabled: false, scopes: ['me', 'items'] })
    expect(await server.store.browserSessions.listForUser(carol?.id ?? '')).toHaveLength(1)
    // Signed in: the request goes on to the consent page, not the sign-in page.
    const next = await browser.get(String(res.headers.location))
    expect(next.statusCode).toBe(200)
    expect(next.body).toContain('value="allow"')
    expect(next.body).toContain('Signed in as <strong>carol</strong>')
    const [registered] = await auditEvents(server, 'user.registered')
    expect(registered).toMatchObject({ userId: carol?.id, username: 'carol', details: { via: 'sign_up_page' } })
  })

  it('without an app, goes to the account page, signed in, with a welcome', async () => {
    const browser = new TestBrowser(server)
    const page = await browser.get('/signup')
    expect(formOf(page.body).hidden).toEqual({ csrf: expect.any(String) })
    const res = await browser.submit(page, { username: 'dave', password: NEW_PASSWORD })
    expect(res.headers.location).toBe('/account?done=welcome')
    const account = await browser.get('/account?done=welcome')
    expect(account.statusCode).toBe(200)
    expect(account.body).toContain('Signed in as <strong>dave</strong>')
    expect(account.body).toContain('Your account is ready.')
  })

  it('comes back to the account page it was sent from (return_to), and to nowhere else', async () => {
    for (const [returnTo, expected] of [['/account', '/account'], ['https://evil.example/account', '/account?done=welcome'], ['/accountx', '/account?done=welcome'], ['//evil.example', '/account?done=welcome']]) {
      const browser = new TestBrowser(server)
      const page = await browser.get(`/signup?return_to=${encodeURIComponent(returnTo as string)}`)
      const name = `erin${Math.random().toString(36).slice(2, 8)}`
      const res = await browser.submit(page, { username: name, password: NEW_PASSWORD })
      expect(res.headers.location, returnTo).toBe(expected)
    }
  })

  it('refuses what POST /users refuses, saying so by each field, keeping what was typed but never the password', async () => {
    const browser = new TestBrowser(server)
    const page = await signUpPage(browser)
    const cases: [Record<string, string>, number, Record<string, string>][] = [
      [{ username: 'ab', password: NEW_PASSWORD }, 422, { username: 'Choose a username of at least 3 characters.' }],
      [{ username: 'frank', password: 'short' }, 422, { password: 'Choose a password of at least 8 characters.' }],
      [{ username: 'frank', email: 'not an address', password: NEW_PASSWORD }, 422, { email: 'Enter a valid email address, like name@example.com.' }],
      [{ username: 'JohnDoe', password: NEW_PASSWORD }, 409, { username: 'That username is taken. Choose another, or sign in.' }],
      [{ username: '', password: '' }, 422, { username: 'Choose a username.', password: 'Choose a password.' }],
    ]
    for (const [fields, status, errors] of cases) {
      const res = await browser.submit(page, fields)
      expect(res.statusCode, JSON.stringify(fields)).toBe(status)
      for (const [field, message] of Object.entries(errors)) expect(fieldError(res.body, field), field).toBe(message)
      if (fields.username) expect(res.body).toContain(`value="${fields.username}"`)
      if (fields.password) expect(res.body).not.toContain(fields.password)
      expect(formOf(res.body).hidden.request).toBe(formOf(page.body).hidden.request)   // still on its way to the app
    }
    expect(await server.store.users.findByUsername('frank')).toBeNull()
    expect(await server.store.users.findByUsername('ab')).toBeNull()
    expect(browser.cookies.has('tessera-session')).toBe(false)
  })

  it('refuses a forged sign-up (login CSRF into an attacker\'s new account) with 403, creating nothing', async () => {
    const browser = new TestBrowser(server)
    const page = await browser.get('/signup')
    const { hidden } = formOf(page.body)
    const fields = { username: 'mallory', password: NEW_PASSWORD }
    const forgeries = [
      () => browser.post('/signup', fields),
      () => browser.post('/signup', { ...hidden, ...fields, csrf: 'B'.repeat(43) }),
      () => browser.post('/signup', { ...hidden, ...fields }, { 'sec-fetch-site': 'cross-site' }),
      () => browser.post('/signup', { ...hidden, ...fields }, { origin: 'https://evil.example' }),
      () => server.app.inject({ method: 'POST', url: '/signup', headers: FORM, payload: form({ ...hidden, ...fields }) }),
    ]
    for (const forge of forgeries) {
      const res = await forge()
      expect(res.statusCode).toBe(403)
      expect(res.body).toContain(EXPIRED)
    }
    expect(await server.store.users.findByUsername('mallory')).toBeNull()
  })

  it('replaces a sign-in the browser already had with the new account\'s (another user\'s session ends)', async () => {
    const browser = new TestBrowser(server)
    const signIn = await browser.get(authorizeUrl(client))
    await browser.submit(signIn, { username: 'johndoe', password: PASSWORD })
    expect(await server.store.browserSessions.listForUser(server.users.johndoe.id)).toHaveLength(1)
    await browser.submit(await browser.get('/signup'), { username: 'grace', password: NEW_PASSWORD })
    expect(await server.store.browserSessions.listForUser(server.users.johndoe.id)).toHaveLength(0)
    expect((await browser.get('/account')).body).toContain('Signed in as <strong>grace</strong>')
  })
})

describe('sign-up limits and settings', () => {
  afterEach(async () => { await server.close() })

  it('is closed when registration is: 403 on a page that says so, no form, no account, and no link on the sign-in page', async () => {
    await start({ config: { registration: 'closed' } })
    const browser = new TestBrowser(server)
    const signIn = await browser.get(authorizeUrl(client))
    expect(signIn.body).not.toContain('Create account')
    const page = await browser.get('/signup')
    expect(page.statusCode).toBe(403)
    expect(page.body).toContain('Sign-up is closed')
    expect(page.body).not.toContain('<form')
    const res = await browser.post('/signup', { ...formOf(signIn.body).hidden, username: 'heidi', password: NEW_PASSWORD })
    expect(res.statusCode).toBe(403)
    expect(await server.store.users.findByUsername('heidi')).toBeNull()
  })

  it('counts sign-ups against the per-address registration limit shared with POST /users: 429 with Retry-After', async () => {
    await start({ config: { registrationsPerIpPerHour: 2 } })
    const api = await server.app.inject({ method: 'POST', url: '/users', payload: { username: 'ivan', password: NEW_PASSWORD } })
    expect(api.statusCode).toBe(201)
    const browser = new TestBrowser(server)
    expect((await browser.submit(await browser.get('/signup'), { username: 'judy', password: NEW_PASSWORD })).statusCode).toBe(303)
    const other = new TestBrowser(server)
    const refused = await other.submit(await other.get('/signup'), { username: 'ken', password: NEW_PASSWORD })
    expect(refused.statusCode).toBe(429)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect(refused.body).toMatch(/Too many accounts were created from your network\. Try again in \d+ minutes?\./)
    expect(await server.store.users.findByUsername('ken')).toBeNull()
  })
})

describe('sign-up with mail', () => {
  let sink: SmtpSink
  beforeAll(async () => { sink = await startSmtpSink() })
  afterAll(async () => { await sink.close() })
  afterEach(async () => { await server.close() })

  it('optional verification: signed in at once, a verification link mailed, the account page says so', async () => {
    await start({ config: { smtpUrl: sink.url } })
    const browser = new TestBrowser(server)
    const res = await browser.submit(await browser.get('/signup'), { username: 'olivia', email: 'olivia@example.com', password: NEW_PASSWORD })
    expect(res.headers.location).toBe('/account?done=welcome_verify')
    expect((await browser.get('/account?done=welcome_verify')).body).toContain('We sent a link to your email address')
    const mail = await sink.waitFor((m) => m.to === 'olivia@example.com')
    expect(sink.linkIn(mail, '/email/verify')).toMatch(/^http:\/\/tessera\.test\/email\/verify\?token=[A-Za-z0-9_-]{43}$/)
    const olivia = await server.store.users.findByUsername('olivia')
    expect((await auditEvents(server, 'email.verification_sent'))[0]).toMatchObject({ userId: olivia?.id, details: { via: 'sign_up_page' } })
  })

  it('required verification: the address is required, no sign-in yet, "check your email", and the link then lets the account sign in', async () => {
    await start({ config: { smtpUrl: sink.url, emailVerification: 'required' } })
    const browser = new TestBrowser(server)
    const page = await signUpPage(browser)
    expect(page.body).toContain('<label for="email">Email</label>')
    const missing = await browser.submit(page, { username: 'peggy', password: NEW_PASSWORD })
    expect(missing.statusCode).toBe(422)
    expect(fieldError(missing.body, 'email')).toBe('Enter your email address: you verify it before you can sign in.')
    const res = await browser.submit(page, { username: 'peggy', email: 'peggy@example.com', password: NEW_PASSWORD })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('Check your email')
    expect(res.body).toContain('We sent a link to <strong>peggy@example.com</strong>')
    expect(browser.cookies.has('tessera-session')).toBe(false)
    const mail = await sink.waitFor((m) => m.to === 'peggy@example.com')
    const link = new URL(sink.linkIn(mail, '/email/verify'))
    const confirm = await browser.get(`${link.pathname}${link.search}`)
    expect((await browser.submit(confirm)).statusCode).toBe(200)
    expect((await server.store.users.findByUsername('peggy'))?.emailVerified).toBe(true)
    const signIn = await browser.get(authorizeUrl(client))
    expect((await browser.submit(signIn, { username: 'peggy', password: NEW_PASSWORD })).statusCode).toBe(303)
  })
})
