// Issue 9 part 8 in a real browser: /docs offers Swagger UI's authorization code + PKCE flow
// (FastAPI's OAuth2AuthorizationCodeBearer) through the built-in public client `tessera-docs`.
// Authorize opens a popup on Tessera's hosted sign-in page; once johndoe signs in there, the popup
// comes back to /docs/static/oauth2-redirect.html, hands the code to Swagger UI and closes, and
// "Try it out" on GET /users/me sends the access token of that code flow. The password flow is
// test/browser/docs.test.ts. A real `tessera serve --demo` process, Debian's chromium, nothing
// fetched from anywhere but 127.0.0.1, no console error, page error or CSP report.
import type { Locator, Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { explained, launchChromium, payloadOf, signInAsJohndoe, skipWithoutChromium, startTessera, watch, type Tessera } from './harness.js'

const skip = skipWithoutChromium('docs-code-flow.test.ts')
const actionTimeoutMs = 15_000

/** The operation block of one method + exact path (not /users/me/items). */
function operation(page: Page, method: string, path: string): Locator {
  return page.locator(`.opblock.opblock-${method}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) })
}

/** Ticks a scope's checkbox in one scheme's section (Swagger UI hides the input behind its label). */
async function tickScope(section: Locator, scope: string): Promise<void> {
  const box = section.locator(`input[type="checkbox"][data-value="${scope}"]`)
  if (!(await box.isChecked())) await section.locator(`label[for="${await box.getAttribute('id')}"]`).click()
  expect(await box.isChecked()).toBe(true)
}

let started: Promise<Tessera> | undefined
let launched: ReturnType<typeof launchChromium> | undefined

// Setup inside the test, so a server or browser that does not start is a failed test, not a skip.
describe.skipIf(skip)('GET /docs, code flow, in chromium', () => {
  afterAll(async () => {
    await (await launched?.catch(() => undefined))?.close().catch(() => undefined)
    await (await started?.catch(() => undefined))?.stop()
  })

  it('authorizes tessera-docs with PKCE through the hosted sign-in popup and reads /users/me as johndoe', async () => {
    const tessera = await (started ??= startTessera())
    const { issuer } = tessera
    const context = await (await (launched ??= launchChromium())).newContext()
    const { problems, foreign } = await watch(context, issuer)
    const page = await context.newPage()
    page.setDefaultTimeout(actionTimeoutMs)
    try {
      await explained(page, tessera, async () => {
        expect((await page.goto(`${issuer}/docs`))?.status()).toBe(200)
        await page.locator('.auth-wrapper button.authorize').click()
        const dialog = page.locator('.modal-ux')
        const codeFlow = dialog.locator('.auth-container').filter({ hasText: 'OAuth2AuthorizationCodeBearer' })
        await expect.poll(() => codeFlow.count(), { message: 'the Authorize dialog offers no code flow' }).toBe(1)
        expect(await codeFlow.innerText()).toContain('authorizationCode with PKCE')
        // initOAuth prefills the built-in client: nothing for the person to type but their password.
        expect(await codeFlow.locator('#client_id_authorizationCode').inputValue()).toBe('tessera-docs')
        expect(await codeFlow.locator('#client_secret_authorizationCode').inputValue()).toBe('')
        await tickScope(codeFlow, 'me')
        await tickScope(codeFlow, 'openid')

        const popupOpened = context.waitForEvent('page')
        await codeFlow.locator('.auth-btn-wrapper button.authorize', { hasText: 'Authorize' }).click()
        const popup = await popupOpened
        popup.setDefaultTimeout(actionTimeoutMs)
        await popup.waitForURL((url) => url.pathname === '/authorize')
        const asked = new URL(popup.url()).searchParams
        expect(Object.fromEntries(asked)).toMatchObject({
          response_type: 'code', client_id: 'tessera-docs', redirect_uri: `${issuer}/docs/static/oauth2-redirect.html`,
          code_challenge_method: 'S256',
        })
        expect(asked.get('code_challenge')).toMatch(/^[\w-]{43}$/)
        expect(asked.get('scope')?.split(' ').sort()).toEqual(['me', 'openid'])

        // The token request Swagger UI makes once the popup hands it the code.
        const tokenRequest = page.waitForRequest((r) => new URL(r.url()).pathname === '/token' && r.method() === 'POST')
        const popupClosed = popup.waitForEvent('close')
        // Tessera's own page in the popup: first party, so no consent page after it.
        await signInAsJohndoe(popup)
        await popupClosed
        const exchange = new URLSearchParams((await tokenRequest).postData() ?? '')
        expect(exchange.get('grant_type')).toBe('authorization_code')
        expect(exchange.get('client_id')).toBe('tessera-docs')
        expect(exchange.get('code_verifier')).toMatch(/^[\w.~-]{43,128}$/)
        expect(exchange.has('client_secret')).toBe(false)

        // Swagger UI shows the scheme as authorized: the Logout button replaces Authorize.
        await codeFlow.locator('.auth-btn-wrapper button', { hasText: 'Logout' }).waitFor().catch(async () => {
          throw new Error(`the code flow did not authorize; the dialog says:\n${await dialog.innerText().catch(() => '?')}`)
        })
        expect(await codeFlow.innerText()).toContain('Authorized')
        await codeFlow.locator('button.btn-done').click()
        await dialog.waitFor({ state: 'detached' })
        expect(await page.locator('.auth-wrapper button.authorize').getAttribute('class')).toContain('locked')

        const usersMe = operation(page, 'get', '/users/me')
        await usersMe.locator('.opblock-summary-control').click()
        await usersMe.locator('button.try-out__btn', { hasText: 'Try it out' }).click()
        const meRequest = page.waitForRequest((r) => new URL(r.url()).pathname === '/users/me')
        await usersMe.locator('button.execute').click()
        const row = usersMe.locator('.live-responses-table tbody tr.response').first()
        await row.waitFor()
        expect((await row.locator('td.response-col_status').innerText()).trim().split(/\s+/)[0]).toBe('200')
        expect(await row.locator('td.response-col_description').innerText()).toContain('"username": "johndoe"')

        // The bearer token is the code flow's: issued to tessera-docs, for this issuer (RFC 9068 §2.2).
        const authorization = (await meRequest).headers().authorization ?? ''
        expect(authorization).toMatch(/^Bearer \S+$/)
        const claims = payloadOf(authorization.slice('Bearer '.length))
        // sub is johndoe's immutable id, not the username (the password grant issues the same).
        expect(claims).toMatchObject({ client_id: 'tessera-docs', aud: issuer, iss: issuer, sub: expect.stringMatching(/^[0-9a-f-]{36}$/) })
        expect(String(claims.scope).split(' ').sort()).toEqual(['me', 'openid'])

        expect(problems, 'console errors, page errors or CSP reports').toEqual([])
        expect(foreign, 'requests for hosts other than this server').toEqual([])
      })
    } finally {
      await context.close()
    }
  }, 120_000)
})
