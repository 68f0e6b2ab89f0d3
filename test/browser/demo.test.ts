// Issue 9's "done when", in a real browser: a fresh clone's `npm start -- --demo` lets a person
// open /demo/, sign in as johndoe and see their claims — then refresh and sign out, as the README
// tour does. A real `tessera serve --demo` process on a free port (its own SQLite file), Debian's
// chromium through playwright-core (never a downloaded browser), nothing fetched from anywhere but
// 127.0.0.1, and not one console error, page error or CSP report on the way.
import { createHash, randomBytes } from 'node:crypto'
import type { Browser, Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { explained, launchChromium, payloadOf, signInAsJohndoe, skipWithoutChromium, startTessera, watch, type Tessera } from './harness.js'

const skip = skipWithoutChromium('demo.test.ts')
const actionTimeoutMs = 15_000

/**
 * Waits for the demo's status line to read `expected`. The app shows what went wrong in an alert
 * instead of throwing, so an alert ends the wait with its text.
 */
async function waitForStatus(page: Page, expected: RegExp): Promise<string> {
  const status = page.getByRole('status')
  const alert = page.locator('#notice')
  const deadline = Date.now() + actionTimeoutMs
  while (Date.now() < deadline) {
    if (await alert.isVisible()) throw new Error(`the demo app says: ${await alert.innerText()}`)
    const text = await status.innerText()
    if (expected.test(text)) return text
    await page.waitForTimeout(100)
  }
  throw new Error(`the demo's status is "${await status.innerText()}", not ${expected}`)
}

/** A section's JSON, as the page shows it (the region named by its heading). */
async function shownJson(page: Page, heading: string): Promise<Record<string, unknown>> {
  return JSON.parse(await page.getByRole('region', { name: heading }).locator('pre').innerText()) as Record<string, unknown>
}

const b64url = (bytes: Buffer) => bytes.toString('base64url')

// One server and one browser for both tests, started by the first that needs them: inside a
// test, so a server that does not start is a failed test (Vitest reports the tests of a failed
// beforeAll as skipped).
let started: Promise<Tessera> | undefined
let launched: Promise<Browser> | undefined
const tesseraServer = () => (started ??= startTessera())
const browser = () => (launched ??= launchChromium())

describe.skipIf(skip)('npm start -- --demo, in chromium', () => {
  afterAll(async () => {
    await (await launched?.catch(() => undefined))?.close().catch(() => undefined)
    await (await started?.catch(() => undefined))?.stop()
  })

  it("lets a person open /demo/, sign in as johndoe, see their claims, refresh and sign out", async () => {
    const tessera = await tesseraServer()
    const { issuer } = tessera
    const context = await (await browser()).newContext()
    const { problems, foreign } = await watch(context, issuer)
    const page = await context.newPage()
    page.setDefaultTimeout(actionTimeoutMs)
    try {
      await explained(page, tessera, async () => {
        const opened = await page.goto(`${issuer}/demo/`)
        expect(opened?.status()).toBe(200)
        await waitForStatus(page, /^Not signed in$/)

        // Sign in with Tessera → the hosted page (a first visit: no session yet) → back at /demo/.
        await page.getByRole('button', { name: 'Sign in with Tessera' }).click()
        await page.waitForURL((url) => url.pathname === '/authorize')
        const tokenAnswer = page.waitForResponse((r) => new URL(r.url()).pathname === '/token' && r.request().method() === 'POST')
        await signInAsJohndoe(page)
        await page.waitForURL(`${issuer}/demo/**`)
        const signedIn = await (await tokenAnswer).json() as { id_token: string; refresh_token?: string }
        expect(await waitForStatus(page, /^Signed in as /)).toBe('Signed in as johndoe')
        // The app drops ?code=…&state=…&iss=… from the address bar once it has read them.
        expect(page.url()).toBe(`${issuer}/demo/`)

        const claims = await shownJson(page, 'ID token claims')
        expect(claims).toMatchObject({ iss: issuer, aud: 'demo-app', azp: 'demo-app' })
        expect(claims.sub).toEqual(expect.any(String))
        expect(claims).toEqual(payloadOf(signedIn.id_token))
        expect(await page.getByRole('region', { name: 'ID token claims' }).innerText()).toMatch(/Signed with RS256, key \S+/)
        const userInfo = await shownJson(page, 'UserInfo')
        expect(userInfo).toMatchObject({ sub: claims.sub, preferred_username: 'johndoe', email: 'johndoe@example.com' })
        expect(await page.getByRole('region', { name: 'UserInfo' }).innerText()).toContain('johndoe@example.com')
        expect(signedIn.refresh_token, 'offline_access was asked for').toEqual(expect.any(String))

        // Refresh: a new id_token (the same user and sign-in, bound to the new access token).
        const refreshAnswer = page.waitForResponse((r) => new URL(r.url()).pathname === '/token' && r.request().postData()?.includes('grant_type=refresh_token') === true)
        await page.getByRole('button', { name: 'Refresh' }).click()
        const refreshed = await (await refreshAnswer).json() as { id_token: string; refresh_token: string }
        expect(await waitForStatus(page, /refreshed at/)).toMatch(/^Signed in as johndoe, refreshed at /)
        const refreshedClaims = await shownJson(page, 'ID token claims')
        expect(refreshedClaims).toEqual(payloadOf(refreshed.id_token))
        expect(refreshedClaims).toMatchObject({ iss: issuer, aud: 'demo-app', sub: claims.sub, auth_time: claims.auth_time })
        expect(refreshedClaims.at_hash).not.toBe(claims.at_hash)
        expect(refreshed.refresh_token).not.toBe(signedIn.refresh_token)

        // Sign out: the refresh token is revoked, Tessera's session ended, and the app is told so.
        const endSession = page.waitForRequest((r) => new URL(r.url()).pathname === '/end-session')
        await page.getByRole('button', { name: 'Sign out' }).click()
        // RP-initiated logout with the id_token as the hint: no confirmation page, straight back.
        expect(new URL((await endSession).url()).searchParams.get('id_token_hint')).toBe(refreshed.id_token)
        await page.waitForURL(`${issuer}/demo/**`)
        expect(await waitForStatus(page, /^Signed out$/)).toBe('Signed out')
        expect(await page.getByRole('region', { name: 'ID token claims' }).isVisible()).toBe(false)

        // The next sign-in asks for the password again: no session left at Tessera.
        await page.getByRole('button', { name: 'Sign in with Tessera' }).click()
        await page.waitForURL((url) => url.pathname === '/authorize')
        await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor()
        expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('')

        expect(problems, 'console errors, page errors or CSP reports').toEqual([])
        expect(foreign, 'requests for hosts other than this server').toEqual([])
      })
    } finally {
      await context.close()
    }
  }, 120_000)

  it('signs in on the hosted page with JavaScript off and sends the browser to /demo/?code=…', async () => {
    const tessera = await tesseraServer()
    const { issuer } = tessera
    const context = await (await browser()).newContext({ javaScriptEnabled: false })
    const { problems, foreign } = await watch(context, issuer)
    const page = await context.newPage()
    page.setDefaultTimeout(actionTimeoutMs)
    try {
      await explained(page, tessera, async () => {
        // The request the demo's script would build (RFC 6749 §4.1.1, RFC 7636 S256), built here.
        const verifier = b64url(randomBytes(32))
        const state = b64url(randomBytes(16))
        const redirectUri = `${issuer}/demo/`
        const authorize = new URL('/authorize', issuer)
        authorize.search = new URLSearchParams({
          response_type: 'code', client_id: 'demo-app', redirect_uri: redirectUri, scope: 'openid profile email',
          state, nonce: b64url(randomBytes(16)),
          code_challenge: b64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256',
        }).toString()
        const opened = await page.goto(authorize.href)
        expect(opened?.status()).toBe(200)
        await signInAsJohndoe(page)
        await page.waitForURL((url) => url.href.startsWith(`${redirectUri}?`))

        const back = new URL(page.url())
        expect(back.searchParams.get('state')).toBe(state)
        expect(back.searchParams.get('iss')).toBe(issuer)
        const code = back.searchParams.get('code')
        expect(code).toEqual(expect.any(String))
        // The page itself says it needs JavaScript (the hosted pages did not).
        expect(await page.locator('noscript').innerText()).toContain('turn JavaScript on')

        // A real code, for this verifier: the app's next step succeeds.
        const exchanged = await fetch(`${issuer}/token`, {
          method: 'POST',
          body: new URLSearchParams({ grant_type: 'authorization_code', code: code as string, redirect_uri: redirectUri, client_id: 'demo-app', code_verifier: verifier }),
        })
        const tokens = await exchanged.json() as { id_token?: string }
        expect(exchanged.status).toBe(200)
        expect(payloadOf(tokens.id_token as string)).toMatchObject({ iss: issuer, aud: 'demo-app' })

        expect(problems, 'console errors, page errors or CSP reports').toEqual([])
        expect(foreign, 'requests for hosts other than this server').toEqual([])
      })
    } finally {
      await context.close()
    }
  }, 120_000)
})
