// Issue 10's flows as a person does them, in Debian's chromium against a real `tessera serve`
// process whose mail goes over SMTP to a real server in this test (smtp-server), with
// TESSERA_EMAIL_VERIFICATION=required: register → verify → sign in; enrol an authenticator app
// (codes computed here from the secret the page shows) → sign in to an app with a code, `amr`
// in its id_token → a replayed code refused → a recovery code, once; the password grant's
// mfa_required round trip; forgot → mail → reset → the old sessions dead; known and unknown
// addresses answered alike and in the same time. Last, the server's whole log (at debug) is
// searched for every secret the flows handled.
import { createHash, randomBytes } from 'node:crypto'
import { Secret, TOTP } from 'otpauth'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../support/smtp-sink.js'
import { explained, launchChromium, payloadOf, skipWithoutChromium, startTessera, watch, type Tessera, type Watched } from './harness.js'

const skip = skipWithoutChromium('accounts.test.ts')
const actionTimeoutMs = 15_000

const DANA = { username: 'dana', email: 'Dana@Example.com', password: 'dana has a long password' }
const ERIN = { username: 'erin', email: 'erin@example.com', password: 'erin has a long password', next: 'erin chose another one' }

/** Everything secret the flows saw: none may appear in the server's log. */
const secrets = new Set<string>()
const keep = (...values: string[]) => { for (const value of values) secrets.add(value) }

let sink: SmtpSink
let started: Promise<Tessera> | undefined
let launched: Promise<Browser> | undefined
const tesseraServer = () => (started ??= (async () => {
  sink = await startSmtpSink()
  return startTessera({
    env: {
      TESSERA_SMTP_URL: sink.url, TESSERA_EMAIL_VERIFICATION: 'required', TESSERA_LOG_LEVEL: 'debug',
      // The enumeration test gives each request its own client address (the limits are per address).
      TESSERA_TRUST_PROXY: '127.0.0.1',
    },
  })
})())
const browser = () => (launched ??= launchChromium())

/** The next mail to `to` (its domain lower-cased, as nodemailer sends it) whose subject has `subject`. */
function mailTo(to: string, subject: string): Promise<ReceivedMail> {
  const at = to.lastIndexOf('@')
  const envelope = `${to.slice(0, at)}${to.slice(at).toLowerCase()}`
  return sink.waitFor((mail) => mail.to === envelope && mail.subject.includes(subject), 10_000)
}

/** The mail's link to `path`, its token kept as a secret. */
function linkIn(mail: ReceivedMail, path: string): string {
  const link = sink.linkIn(mail, path)
  keep(link, new URL(link).searchParams.get('token') ?? '')
  return link
}

/** A TOTP code as the user's app would show it at `at` (ms). */
function codeAt(secret: string, at: number): string {
  return new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: at })
}

const step = (at: number) => Math.floor(at / 30_000)

async function signIn(page: Page, who: { username: string }, password: string): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor()
  await page.getByLabel('Username', { exact: true }).fill(who.username)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
}

async function heading(page: Page): Promise<string> {
  return page.locator('h1').innerText()
}

interface Visit { context: BrowserContext; page: Page; watched: Watched }

/** A fresh browser profile (no cookies) watched for console errors, CSP reports and foreign requests. */
async function visit(tessera: Tessera, options: { javaScriptEnabled?: boolean } = {}): Promise<Visit> {
  const context = await (await browser()).newContext(options)
  const watched = await watch(context, tessera.issuer)
  const page = await context.newPage()
  page.setDefaultTimeout(actionTimeoutMs)
  return { context, page, watched }
}

/**
 * Chromium logs a page answered with 400 or 429 as a failed resource: the refusals these flows
 * provoke on purpose (a wrong code, an unverified account) are such pages, and only those.
 */
const REFUSED_PAGE = /^console error on \S+: Failed to load resource: the server responded with a status of (400|429) /

async function inBrowser(tessera: Tessera, run: (visit: Visit) => Promise<void>, options: { javaScriptEnabled?: boolean } = {}): Promise<void> {
  const v = await visit(tessera, options)
  try {
    await explained(v.page, tessera, async () => {
      await run(v)
      expect(v.watched.problems.filter((p) => !REFUSED_PAGE.test(p)), 'console errors, page errors or CSP reports').toEqual([])
      expect(v.watched.foreign, 'requests for hosts other than this server').toEqual([])
    })
  } finally {
    await v.context.close()
  }
}

function form(fields: Record<string, string>, ip?: string): RequestInit {
  return { method: 'POST', body: new URLSearchParams(fields), headers: ip ? { 'x-forwarded-for': ip } : {} }
}

/** The demo app's authorization request with PKCE: where a sign-in for an app starts. */
function authorizeUrl(issuer: string): { url: string; verifier: string; redirectUri: string } {
  const verifier = randomBytes(32).toString('base64url')
  const redirectUri = `${issuer}/demo/`
  const url = new URL('/authorize', issuer)
  url.search = new URLSearchParams({
    response_type: 'code', client_id: 'demo-app', redirect_uri: redirectUri, scope: 'openid profile email', state: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString()
  return { url: url.href, verifier, redirectUri }
}

// Shared by the tests below, in order: dana's authenticator secret, her recovery codes, and the
// last time step a code of hers was used.
let totpSecret = ''
let recoveryCodes: string[] = []
let lastStep = 0

describe.skipIf(skip)('accounts in chromium, mail over SMTP (TESSERA_EMAIL_VERIFICATION=required)', () => {
  afterAll(async () => {
    await (await launched?.catch(() => undefined))?.close().catch(() => undefined)
    await (await started?.catch(() => undefined))?.stop()
    await sink?.close()
  })

  it('register → refused until verified → the mailed link verifies → sign in to the account page', async () => {
    const tessera = await tesseraServer()
    keep(DANA.password)
    await inBrowser(tessera, async ({ page }) => {
      await page.goto(`${tessera.issuer}/account`)
      await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor()
      await page.getByRole('link', { name: 'Create account' }).click()
      await page.getByRole('heading', { name: 'Create account' }).waitFor()
      await page.getByLabel('Username').fill(DANA.username)
      await page.getByLabel('Email').fill(DANA.email)
      await page.getByLabel('Password').fill(DANA.password)
      await page.getByRole('button', { name: 'Create account' }).click()
      await page.getByRole('heading', { name: 'Check your email' }).waitFor()

      // `required`: the right password is not enough yet, and the page says what to do.
      await page.goto(`${tessera.issuer}/account`)
      await signIn(page, DANA, DANA.password)
      await expect.poll(() => page.getByRole('alert').innerText()).toContain('Verify your email address first.')
      expect(await heading(page)).toBe('Sign in')

      const mail = await mailTo(DANA.email, 'Verify your email address')
      expect(mail.html).toContain('/email/verify?token=')
      await page.goto(linkIn(mail, '/email/verify'))
      await page.getByRole('heading', { name: 'Verify your email address' }).waitFor()   // a GET spends nothing
      await page.getByRole('button', { name: 'Verify email address' }).click()
      await page.getByRole('heading', { name: 'Email address verified' }).waitFor()

      await page.goto(`${tessera.issuer}/account`)
      await signIn(page, DANA, DANA.password)
      await page.getByRole('heading', { name: 'Your account' }).waitFor()
      expect(await page.getByRole('region', { name: 'Profile' }).innerText()).toContain('Verified')
    })
  }, 120_000)

  it('enrols an authenticator app from the QR page: the first code turns it on and shows 10 recovery codes once', async () => {
    const tessera = await tesseraServer()
    await inBrowser(tessera, async ({ page }) => {
      await page.goto(`${tessera.issuer}/account`)
      await signIn(page, DANA, DANA.password)
      const mfaSection = page.getByRole('region', { name: 'Two-step verification' })
      await mfaSection.getByLabel('Current password').fill(DANA.password)
      await mfaSection.getByRole('button', { name: 'Set up an authenticator app' }).click()
      await page.getByRole('heading', { name: 'Set up an authenticator app' }).waitFor()
      const qr = page.locator('figure.qr svg')
      expect(await qr.count()).toBe(1)
      totpSecret = (await page.locator('code.secret').innerText()).replace(/\s+/g, '')
      expect(totpSecret).toMatch(/^[A-Z2-7]{32}$/)
      keep(totpSecret)

      await page.getByLabel('Code from the app').fill('000000' === codeAt(totpSecret, Date.now()) ? '111111' : '000000')
      await page.getByRole('button', { name: 'Turn on' }).click()
      await expect.poll(() => page.getByRole('alert').first().innerText()).toMatch(/code/i)      // a wrong code turns nothing on

      const now = Date.now()
      await page.getByLabel('Code from the app').fill(codeAt(totpSecret, now))
      lastStep = step(now)
      await page.getByRole('button', { name: 'Turn on' }).click()
      await page.getByRole('heading', { name: 'Two-step verification is on' }).waitFor()
      recoveryCodes = await page.locator('ol.codes code').allInnerTexts()
      expect(recoveryCodes).toHaveLength(10)
      for (const code of recoveryCodes) expect(code).toMatch(/^[a-z0-9]{4}(-[a-z0-9]{4}){3}$/)
      keep(...recoveryCodes)
      await page.getByRole('link', { name: 'I saved them' }).click()
      await page.getByRole('heading', { name: 'Your account' }).waitFor()
      await page.reload()
      expect(await page.content()).not.toContain(recoveryCodes[0])                        // shown once
    })
  }, 120_000)

  it('signs in to an app with password and code (amr pwd+otp+mfa), refuses the same code again, then takes a recovery code once', async () => {
    const tessera = await tesseraServer()
    const { issuer } = tessera
    // The next step's code: within the ±1 window now, and not the step enrolment used.
    const code = codeAt(totpSecret, (lastStep + 1) * 30_000)
    lastStep += 1
    await inBrowser(tessera, async ({ page }) => {
      const request = authorizeUrl(issuer)
      await page.goto(request.url)
      await signIn(page, DANA, DANA.password)
      await page.getByRole('heading', { name: 'Two-step verification' }).waitFor()
      await page.getByLabel('Code').fill(code)
      await page.getByRole('button', { name: 'Verify' }).click()
      await page.waitForURL((url) => url.href.startsWith(`${request.redirectUri}?`))
      const back = new URL(page.url())
      const exchanged = await fetch(`${issuer}/token`, form({
        grant_type: 'authorization_code', code: back.searchParams.get('code') ?? '', redirect_uri: request.redirectUri, client_id: 'demo-app',
        code_verifier: request.verifier,
      }))
      const tokens = await exchanged.json() as { id_token: string; access_token: string }
      expect(exchanged.status).toBe(200)
      keep(tokens.id_token, tokens.access_token)
      expect(payloadOf(tokens.id_token)).toMatchObject({ iss: issuer, aud: 'demo-app', amr: ['pwd', 'otp', 'mfa'] })
      const info = await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
      expect(await info.json()).toMatchObject({ email: DANA.email, email_verified: true })
    }, { javaScriptEnabled: false })                          // the /demo/ page would otherwise exchange the code itself

    await inBrowser(tessera, async ({ page }) => {
      await page.goto(`${issuer}/account`)
      await signIn(page, DANA, DANA.password)
      await page.getByRole('heading', { name: 'Two-step verification' }).waitFor()
      await page.getByLabel('Code').fill(code)                                            // a replay within its window
      await page.getByRole('button', { name: 'Verify' }).click()
      await expect.poll(() => page.getByRole('alert').innerText()).toContain('That code is not right.')
      expect(await heading(page)).toBe('Two-step verification')

      await page.getByLabel('Code').fill(recoveryCodes[0] as string)
      await page.getByRole('button', { name: 'Verify' }).click()
      await page.getByRole('heading', { name: 'Your account' }).waitFor()
      expect(await page.getByRole('region', { name: 'Two-step verification' }).innerText()).toContain('9')   // recovery codes left
    })

    await inBrowser(tessera, async ({ page }) => {
      await page.goto(`${issuer}/account`)
      await signIn(page, DANA, DANA.password)
      await page.getByRole('heading', { name: 'Two-step verification' }).waitFor()
      await page.getByLabel('Code').fill(recoveryCodes[0] as string)                        // used once already
      await page.getByRole('button', { name: 'Verify' }).click()
      await expect.poll(() => page.getByRole('alert').innerText()).toContain('That code is not right.')
      expect(await heading(page)).toBe('Two-step verification')
    })
  }, 120_000)

  it('password grant: 403 mfa_required with an mfa_token, completed by the mfa-otp grant; the token is single-use', async () => {
    const { issuer } = await tesseraServer()
    const first = await fetch(`${issuer}/token`, form({ username: DANA.username, password: DANA.password, scope: 'me' }))
    expect(first.status).toBe(403)
    expect(first.headers.get('cache-control')).toBe('no-store')
    const challenge = await first.json() as { error: string; mfa_token: string; expires_in: number }
    expect(challenge).toMatchObject({ error: 'mfa_required', mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expires_in: 300 })
    keep(challenge.mfa_token)

    // A step after every one used so far: wait until it is inside the ±1 window.
    const next = lastStep + 1
    while (step(Date.now()) < next - 1) await new Promise((resolve) => setTimeout(resolve, 250))
    const otp = codeAt(totpSecret, next * 30_000)
    lastStep = next
    const grant = { grant_type: 'urn:tessera:params:oauth:grant-type:mfa-otp', mfa_token: challenge.mfa_token, otp }
    const done = await fetch(`${issuer}/token`, form(grant))
    const tokens = await done.json() as { access_token: string; token_type: string; refresh_token: string }
    expect(done.status).toBe(200)
    expect(tokens.token_type).toBe('bearer')
    keep(tokens.access_token, tokens.refresh_token)
    const me = await fetch(`${issuer}/users/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
    expect(await me.json()).toMatchObject({ username: DANA.username, email: DANA.email, email_verified: true })

    const again = await fetch(`${issuer}/token`, form(grant))
    expect(again.status).toBe(400)
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' })
  }, 120_000)

  it('forgot → mail → new password: every earlier session ends, browser and refresh token alike', async () => {
    const tessera = await tesseraServer()
    const { issuer } = tessera
    keep(ERIN.password, ERIN.next)
    // Erin registers through the API and verifies through the link's JSON twin.
    const registered = await fetch(`${issuer}/users`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.10' },
      body: JSON.stringify({ username: ERIN.username, email: ERIN.email, password: ERIN.password }),
    })
    expect(registered.status).toBe(201)
    const token = new URL(linkIn(await mailTo(ERIN.email, 'Verify your email address'), '/email/verify')).searchParams.get('token')
    const verified = await fetch(`${issuer}/email/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) })
    expect(await verified.json()).toEqual({ email: ERIN.email, email_verified: true })

    const apiLogin = await fetch(`${issuer}/token`, form({ username: ERIN.username, password: ERIN.password }))
    const { refresh_token: refresh } = await apiLogin.json() as { refresh_token: string }
    keep(refresh)

    const before = await visit(tessera)
    try {
      await explained(before.page, tessera, async () => {
        await before.page.goto(`${issuer}/account`)
        await signIn(before.page, ERIN, ERIN.password)
        await before.page.getByRole('heading', { name: 'Your account' }).waitFor()

        await inBrowser(tessera, async ({ page }) => {
          await page.goto(`${issuer}/account`)
          await page.getByRole('link', { name: 'Forgot password?' }).click()
          await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor()
          await page.getByLabel('Email').fill('Erin@Example.com')                             // any case
          await page.getByRole('button', { name: 'Send reset link' }).click()
          await page.getByRole('heading', { name: 'Check your email' }).waitFor()
          const mail = await mailTo(ERIN.email, 'Reset your Tessera password')
          await page.goto(linkIn(mail, '/password/reset'))
          await page.getByRole('heading', { name: 'Choose a new password' }).waitFor()
          await page.getByLabel('New password', { exact: true }).fill(ERIN.next)
          await page.getByLabel('New password again').fill(ERIN.next)
          await page.getByRole('button', { name: 'Set new password' }).click()
          await page.getByRole('heading', { name: 'Password changed' }).waitFor()
          await page.getByRole('link', { name: 'Sign in' }).click()
          await signIn(page, ERIN, ERIN.next)
          await page.getByRole('heading', { name: 'Your account' }).waitFor()
        })

        // The browser that was signed in before the reset is signed out; so is the app's refresh token.
        await before.page.reload()
        await before.page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor()
        expect(before.watched.problems).toEqual([])
      })
    } finally {
      await before.context.close()
    }
    const refreshed = await fetch(`${issuer}/token`, form({ grant_type: 'refresh_token', refresh_token: refresh }))
    expect(refreshed.status).toBe(400)
    expect((await fetch(`${issuer}/token`, form({ username: ERIN.username, password: ERIN.password }))).status).toBe(401)
    expect(await mailTo(ERIN.email, 'password was changed')).toBeTruthy()                 // the owner is told
  }, 120_000)

  it('enumeration: known and unknown addresses get the same status, headers and body, in times within 10 %', async () => {
    const { issuer } = await tesseraServer()
    // Ten verified accounts: the per-address limit allows five requests an hour, so each is asked twice.
    const known: string[] = []
    for (let i = 0; i < 10; i += 1) {
      const email = `known${i}@example.com`
      const res = await fetch(`${issuer}/users`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i + 1}` },
        body: JSON.stringify({ username: `known${i}`, email, password: 'a long enough password' }),
      })
      expect(res.status).toBe(201)
      known.push(email)
    }
    const ask = async (email: string, i: number) => {
      const started = performance.now()
      const res = await fetch(`${issuer}/password/forgot`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i + 1}` }, body: JSON.stringify({ email }),
      })
      const body = await res.text()
      const ms = performance.now() - started
      const { date: _date, 'x-request-id': _id, ...headers } = Object.fromEntries(res.headers)
      return { status: res.status, headers, body, ms }
    }
    const times = { known: [] as number[], unknown: [] as number[] }
    const answers = new Set<string>()
    for (let i = 0; i < 20; i += 1) {                                                       // interleaved: drift hits both alike
      const a = await ask(known[i % 10] as string, 2 * i)
      const b = await ask(`nobody${i}@example.com`, 2 * i + 1)
      times.known.push(a.ms)
      times.unknown.push(b.ms)
      answers.add(JSON.stringify([a.status, a.headers, a.body])).add(JSON.stringify([b.status, b.headers, b.body]))
    }
    expect([...answers]).toHaveLength(1)
    expect(JSON.parse([...answers][0] as string)[0]).toBe(202)
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number
    const [k, u] = [median(times.known), median(times.unknown)]
    console.log(`[enumeration] POST /password/forgot median: known ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms (20 each, interleaved)`)
    expect(Math.abs(k - u) / Math.min(k, u), `medians: known ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms`).toBeLessThanOrEqual(0.10)
  }, 120_000)

  it('no token, code, link, secret or password of the flows above appears anywhere in the server\'s log', async () => {
    const tessera = await tesseraServer()
    const log = tessera.fullOutput()
    expect(log).toContain('mail sent')                                                       // the log is there, at debug
    expect(log).toMatch(/"msg":"mail: SMTP smtp:\/\/127\.0\.0\.1:\d+"/)                         // said at start, without credentials
    expect(secrets.size).toBeGreaterThan(20)
    for (const secret of secrets) {
      if (secret === '') continue
      expect(log.includes(secret), `the log holds a secret (${secret.slice(0, 6)}…)`).toBe(false)
    }
  })
})
