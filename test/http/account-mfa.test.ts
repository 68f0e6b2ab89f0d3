import * as OTPAuth from 'otpauth'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ClientRecord } from '../../src/core/index.js'
import { ACCOUNT_PATHS } from '../../src/http/pages/account.js'
import { firstPartyClient, followNotice, sectionAlert, signedInBrowser, submitAccountForm, type DeviceBrowser } from './account-helpers.js'
import { auditEvents } from './session-helpers.js'
import { formOf } from './sign-in-helpers.js'
import { PASSWORD, startTestServer, type TestServer } from './test-server.js'

// Issue 10 part 4 on the account page: set up an authenticator app (QR code and key, the first
// code switches it on, ten recovery codes shown once), new recovery codes and turning it off
// (each after the password). Codes are computed here from the secret the page shows (RFC 6238).

let server: TestServer
let home: ClientRecord

beforeAll(async () => {
  server = await startTestServer()
  home = await firstPartyClient(server)
})
afterAll(async () => { await server.close() })
beforeEach(async () => {
  await server.store.totp.delete(server.users.johndoe.id)
  await server.store.browserSessions.deleteAllForUser(server.users.johndoe.id)
  server.clock.advance(5 * 60_000)                                    // each test's codes are of steps no earlier test used
})

/** The code an authenticator app shows for `secret` at the server's time (or `offsetSteps` away). */
function codeFor(secret: string, offsetSteps = 0): string {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 })
  return totp.generate({ timestamp: server.clock.now() + offsetSteps * 30_000 })
}

function secretOn(page: string): string {
  const shown = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(page)?.[1]
  if (shown === undefined) throw new Error(`no key on the page:\n${page.slice(0, 2000)}`)
  return shown.replace(/ /g, '')
}

function codesOn(page: string): string[] {
  return [...page.matchAll(/<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})<\/code><\/li>/g)].map((m) => m[1] as string)
}

/** Starts the set-up from the account page: the enrolment page with its QR code and key. */
async function startEnrolment(browser: DeviceBrowser) {
  const page = await submitAccountForm(browser, ACCOUNT_PATHS.totpStart, { password: PASSWORD })
  expect(page.statusCode).toBe(200)
  return { page, secret: secretOn(page.body) }
}

async function enrol(browser: DeviceBrowser): Promise<{ secret: string; codes: string[] }> {
  const { page, secret } = await startEnrolment(browser)
  const done = await browser.submit(page, { code: codeFor(secret) })
  expect(done.statusCode).toBe(200)
  return { secret, codes: codesOn(done.body) }
}

describe('setting up an authenticator app on the account page', () => {
  it('shows a QR code of the otpauth URI and the key; nothing is on until the first code', async () => {
    const browser = await signedInBrowser(server, home)
    const { page, secret } = await startEnrolment(browser)
    expect(page.body).toContain('<h1>Set up an authenticator app</h1>')
    expect(page.body).toMatch(/<figure class="qr"><svg[^>]*>/)
    expect(page.body).not.toMatch(/ style=/)
    expect(page.headers['cache-control']).toBe('no-store')
    expect(Buffer.from(OTPAuth.Secret.fromBase32(secret).bytes)).toHaveLength(20)
    expect(formOf(page.body).action).toBe(ACCOUNT_PATHS.totpConfirm)
    expect(await server.store.totp.find(server.users.johndoe.id)).toMatchObject({ secret, confirmedAt: null })
    expect((await browser.get('/account')).body).toContain('<span class="badge warn">Off</span>')
  })

  it('a right first code turns it on and shows ten recovery codes once, stored only hashed; audited', async () => {
    const browser = await signedInBrowser(server, home)
    const { page, secret } = await startEnrolment(browser)
    const done = await browser.submit(page, { code: codeFor(secret) })
    expect(done.body).toContain('<h1>Two-step verification is on</h1>')
    const codes = codesOn(done.body)
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    expect(await server.store.recoveryCodes.countUnused(server.users.johndoe.id)).toBe(10)
    expect((await server.store.totp.find(server.users.johndoe.id))?.confirmedAt).toBe(server.clock.now())
    const account = (await browser.get('/account')).body
    expect(account).toContain('<span class="badge ok">On</span>')
    expect(account).toContain('10 of 10 recovery codes left.')
    for (const code of codes) expect(account).not.toContain(code)
    expect((await auditEvents(server, 'mfa.enrolled'))[0]).toMatchObject({ userId: server.users.johndoe.id })
  })

  it('a wrong or missing first code shows the same QR code and key again with the problem (400), nothing switched on', async () => {
    const browser = await signedInBrowser(server, home)
    const { page, secret } = await startEnrolment(browser)
    const right = codeFor(secret)
    const wrong = right === '000000' ? '111111' : '000000'
    for (const [code, message] of [[wrong, 'That code is not right. Enter the code the app shows now.'], ['', 'Enter the 6-digit code your app shows.'], [codeFor(secret, 5), 'That code is not right. Enter the code the app shows now.']]) {
      const res = await browser.submit(page, { code: code as string })
      expect(res.statusCode).toBe(400)
      expect(secretOn(res.body)).toBe(secret)
      expect(res.body).toContain(`<p class="alert" role="alert">${message}</p>`)
    }
    expect((await server.store.totp.find(server.users.johndoe.id))?.confirmedAt).toBeNull()
    // A code one step old still counts (±1 step of clock drift).
    const late = await browser.submit(page, { code: codeFor(secret, -1).replace(/^(\d{3})/, '$1 ') })
    expect(late.statusCode).toBe(200)
  })

  it('needs the password to start: a stolen session cookie alone cannot put another app on the account', async () => {
    const browser = await signedInBrowser(server, home)
    const refused = await submitAccountForm(browser, ACCOUNT_PATHS.totpStart, { password: 'not my password' })
    expect(refused.statusCode).toBe(400)
    expect(sectionAlert(refused.body, 'mfa')).toBe('That is not your current password.')
    expect(refused.body).not.toContain('<code class="secret">')
    expect(await server.store.totp.find(server.users.johndoe.id)).toBeNull()
  })

  it('cannot start again while it is on: the account page says so (409)', async () => {
    const browser = await signedInBrowser(server, home)
    await enrol(browser)
    const page = await browser.get('/account')
    const res = await browser.post(ACCOUNT_PATHS.totpStart, { csrf: formOf(page.body).hidden.csrf as string, password: PASSWORD })
    expect(res.statusCode).toBe(409)
    expect(sectionAlert(res.body, 'mfa')).toBe('Two-step verification is already on.')
  })
})

describe('recovery codes and turning it off', () => {
  it('new recovery codes need the password, replace every old one and are shown once; audited', async () => {
    const browser = await signedInBrowser(server, home)
    const { codes: old } = await enrol(browser)
    const refused = await submitAccountForm(browser, ACCOUNT_PATHS.recoveryCodes, { password: 'not my password' })
    expect(refused.statusCode).toBe(400)
    expect(sectionAlert(refused.body, 'mfa')).toBe('That is not your current password.')
    const res = await submitAccountForm(browser, ACCOUNT_PATHS.recoveryCodes, { password: PASSWORD })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('Your old recovery codes no longer work.')
    const fresh = codesOn(res.body)
    expect(fresh).toHaveLength(10)
    expect(fresh.filter((code) => old.includes(code))).toEqual([])
    expect((await auditEvents(server, 'mfa.recovery_codes_regenerated'))[0]).toMatchObject({ userId: server.users.johndoe.id })
  })

  it('turning it off needs the password, then sign-in asks for no code; audited', async () => {
    const browser = await signedInBrowser(server, home)
    await enrol(browser)
    const refused = await submitAccountForm(browser, ACCOUNT_PATHS.totpRemove, { password: '' })
    expect(refused.statusCode).toBe(400)
    expect(sectionAlert(refused.body, 'mfa')).toBe('Enter your current password.')
    expect(await server.store.totp.find(server.users.johndoe.id)).not.toBeNull()
    const res = await submitAccountForm(browser, ACCOUNT_PATHS.totpRemove, { password: PASSWORD })
    expect(res.headers.location).toBe('/account?done=totp_removed#mfa')
    expect(await followNotice(browser, res)).toBe('Two-step verification is off.')
    expect(await server.store.totp.find(server.users.johndoe.id)).toBeNull()
    expect(await server.store.recoveryCodes.countUnused(server.users.johndoe.id)).toBe(0)
    expect((await auditEvents(server, 'mfa.removed'))[0]).toMatchObject({ userId: server.users.johndoe.id, details: { via: 'account_page' } })
    await signedInBrowser(server, home)                                 // password only: straight back to the app
  })
})
