import { describe, expect, it } from 'vitest'
import { ACCOUNT_PATHS, renderAccount } from '../../../src/http/pages/account.js'
import { deviceName } from '../../../src/http/pages/device-name.js'
import { PAGE_STYLES_PATH } from '../../../src/http/pages/layout.js'
import { renderRecoveryCodes } from '../../../src/http/pages/recovery-codes.js'
import { SIGN_UP_PATH, renderSignUp, signUpUrl } from '../../../src/http/pages/sign-up.js'
import { renderTotpEnrolment } from '../../../src/http/pages/totp-enrolment.js'
import { CODES, account, accountEnrolled, accountPages, enrolment, signUp, signUpRefused } from './account-views.js'
import { tags, tagsNamed, textOf, textsOf } from './markup.js'
import { CSRF, REQUEST } from './views.js'

// What a person (a screen reader, a password manager, a phone) finds in the issue 10 pages.

const HOSTILE = `<script>alert("x")</script> & 'q' <img src=x onerror=alert(1)>`

/** The elements these pages are made of (the QR code's svg, rect and path come from qr.ts). */
const ELEMENTS = new Set([
  'html', 'head', 'meta', 'title', 'link', 'body', 'header', 'span', 'main', 'h1', 'h2', 'p', 'strong', 'form', 'input', 'div', 'label',
  'button', 'ul', 'ol', 'li', 'code', 'section', 'dl', 'dt', 'dd', 'time', 'a', 'figure', 'figcaption', 'svg', 'rect', 'path',
])

/** Each form of a page: where it posts and the names of its fields, in order. */
function formsOf(page: string): { action: string; fields: string[] }[] {
  return [...page.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)].map((m) => ({
    action: m[1] as string, fields: tagsNamed(m[2] as string, 'input').map((tag) => tag.attrs.name as string),
  }))
}

describe('every issue 10 page', () => {
  for (const [name, page] of Object.entries(accountPages())) {
    it(`${name}: a complete document, phone-ready, with our stylesheet, nothing inline, every form CSRF-protected`, () => {
      expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true)
      expect(tagsNamed(page, 'meta').map((tag) => tag.attrs)).toContainEqual({ name: 'viewport', content: 'width=device-width, initial-scale=1' })
      expect(tagsNamed(page, 'link').map((tag) => tag.attrs)).toEqual([{ rel: 'stylesheet', href: PAGE_STYLES_PATH }])
      expect(tagsNamed(page, 'h1')).toHaveLength(1)
      expect(page).not.toMatch(/<script|<style|<iframe|javascript:/i)
      for (const tag of tags(page)) {
        expect(ELEMENTS.has(tag.name), `<${tag.name}>`).toBe(true)
        expect(Object.keys(tag.attrs).filter((attr) => attr === 'style' || attr.startsWith('on')), `<${tag.name}>`).toEqual([])
      }
      for (const form of formsOf(page)) expect(form.fields.at(-1) === 'csrf' || form.fields.includes('csrf'), form.action).toBe(true)
      const ids = tagsNamed(page, 'input').filter((tag) => tag.attrs.type !== 'hidden').map((tag) => tag.attrs.id)
      expect(tagsNamed(page, 'label').map((tag) => tag.attrs.for), 'every field labelled, every label a field').toEqual(ids)
      expect(new Set(ids).size, 'field ids are unique').toBe(ids.length)
    })
  }
})

describe('the account page', () => {
  const page = renderAccount(account)

  it('has a section for each part, each titled, and says who is signed in', () => {
    expect(textOf(page, 'h1')).toBe('Your account')
    expect(textsOf(page, 'h2')).toEqual(['Profile', 'Change email', 'Change password', 'Two-step verification', 'Where you are signed in', 'Apps you allowed'])
    expect(page).toContain('Signed in as <strong>johndoe</strong>')
    expect(textsOf(page, 'dt')).toEqual(['Username', 'Email'])
    expect(textsOf(page, 'dd')).toEqual(['johndoe', 'johndoe@example.com Not verified'])
  })

  it('posts each change to its own path, with the fields the routes read', () => {
    expect(formsOf(page).map((form) => [form.action, form.fields])).toEqual([
      [ACCOUNT_PATHS.verifyEmail, ['csrf']],
      [ACCOUNT_PATHS.profile, ['csrf', 'full_name']],
      [ACCOUNT_PATHS.email, ['csrf', 'email', 'password']],
      [ACCOUNT_PATHS.password, ['csrf', 'current_password', 'new_password', 'new_password_again']],
      [ACCOUNT_PATHS.totpStart, ['csrf', 'password']],
      [ACCOUNT_PATHS.endSession, ['session_id', 'csrf']],
      [ACCOUNT_PATHS.endSession, ['session_id', 'csrf']],
      [ACCOUNT_PATHS.endOtherSessions, ['csrf']],
      [ACCOUNT_PATHS.revokeApp, ['client_id', 'csrf']],
    ])
    expect(tagsNamed(page, 'input').filter((t) => t.attrs.name === 'csrf').every((t) => t.attrs.value === CSRF)).toBe(true)
  })

  it('lets password managers tell the current password from a new one', () => {
    const autocomplete = Object.fromEntries(tagsNamed(page, 'input').filter((t) => t.attrs.type === 'password').map((t) => [t.attrs.id, t.attrs.autocomplete]))
    expect(autocomplete).toEqual({
      email_password: 'current-password', current_password: 'current-password', new_password: 'new-password', new_password_again: 'new-password',
      totp_password: 'current-password',
    })
  })

  it('lists the sign-ins with device, address and times, this browser marked, and one Sign out form each', () => {
    expect(page).toContain('<strong>Firefox on Linux</strong> <span class="badge ok">This browser</span>')
    expect(page).toContain('192.0.2.10 · last used <time datetime="2026-01-01T09:30:00.000Z">1 Jan 2026, 09:30 UTC</time>')
    expect(page).toContain('<button type="submit" class="button secondary">Sign out</button>')
    expect(page).toContain('<button type="submit" class="button secondary">Sign it out</button>')
    expect(page).toContain('<input type="hidden" name="session_id" value="a6f1c2d4-0000-4000-8000-000000000002">')
  })

  it('when the second factor is on: the codes left, new codes and turning it off each ask for the password; the problem in its section', () => {
    const enrolled = renderAccount(accountEnrolled)
    expect(enrolled).toContain('9 of 10 recovery codes left.')
    expect(formsOf(enrolled).filter((f) => f.action === ACCOUNT_PATHS.recoveryCodes || f.action === ACCOUNT_PATHS.totpRemove).map((f) => f.fields))
      .toEqual([['csrf', 'password'], ['csrf', 'password']])
    expect(enrolled).not.toContain(ACCOUNT_PATHS.totpStart + '"')
    expect(enrolled).not.toContain(ACCOUNT_PATHS.verifyEmail)
    expect(enrolled).toContain('<span class="badge ok">Verified</span>')
    const mfa = enrolled.slice(enrolled.indexOf('id="mfa"'), enrolled.indexOf('id="sessions"'))
    expect(mfa).toContain('<p class="alert" role="alert">That is not your current password.</p>')
    expect(enrolled.split('class="alert"')).toHaveLength(2)
  })

  it('with mail off, says an email change applies at once; with no app, says so', () => {
    const off = renderAccount({ ...account, mailEnabled: false, canVerifyEmail: false, apps: [] })
    expect(off).toContain('The new address replaces the current one at once, not verified')
    expect(off).toContain('No app has access to your account.')
  })

  it('escapes every value it shows or carries', () => {
    const hostile = renderAccount({
      ...account, username: HOSTILE, email: HOSTILE, fullName: HOSTILE, notice: HOSTILE, problem: { section: 'profile', message: HOSTILE },
      typed: { fullName: HOSTILE, newEmail: HOSTILE },
      sessions: [{ ...account.sessions[0] as AccountSession, id: HOSTILE, device: HOSTILE, ip: HOSTILE }],
      apps: [{ clientId: HOSTILE, name: HOSTILE, since: 0, scopes: [{ name: HOSTILE, description: HOSTILE }] }],
    })
    expect(hostile).not.toContain('<script>')
    expect(hostile).not.toContain('<img')
    expect(hostile).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;')
  })
})

type AccountSession = (typeof account.sessions)[number]

describe('the authenticator set-up page', () => {
  const page = renderTotpEnrolment(enrolment)

  it('shows the QR code, the key in groups of four, and asks for the first code as a phone keyboard expects', () => {
    expect(page).toContain('<figure class="qr"><svg')
    expect(page).toContain('<code class="secret">JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP</code>')
    const code = tagsNamed(page, 'input').find((t) => t.attrs.name === 'code')
    expect(code?.attrs).toMatchObject({ type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', required: '' })
    expect(formsOf(page)).toEqual([{ action: ACCOUNT_PATHS.totpConfirm, fields: ['csrf', 'code'] }])
    expect(page).toContain(`<a href="${ACCOUNT_PATHS.page}">Cancel</a>`)
  })

  it('after a wrong code: the message in an alert', () => {
    expect(renderTotpEnrolment({ ...enrolment, error: 'Wrong' })).toContain('<p class="alert" role="alert">Wrong</p>')
    expect(page).not.toContain('class="alert"')
  })
})

describe('the recovery codes page', () => {
  it('lists the ten codes, says they are shown once, and leads back to the account', () => {
    const page = renderRecoveryCodes({ productName: 'Tessera', codes: CODES, reason: 'enrolled' })
    expect(textOf(page, 'h1')).toBe('Two-step verification is on')
    expect(textsOf(page, 'li')).toEqual(CODES)
    expect(page).toContain('This is the only time they are shown.')
    expect(page).toContain(`<a class="button primary" href="${ACCOUNT_PATHS.page}">I saved them</a>`)
    expect(page).not.toContain('<form')
    const again = renderRecoveryCodes({ productName: 'Tessera', codes: CODES, reason: 'regenerated' })
    expect(textOf(again, 'h1')).toBe('Your new recovery codes')
    expect(again).toContain('Your old recovery codes no longer work.')
  })
})

describe('the sign-up page', () => {
  it('has Username, Email (optional) and Password, the button Create account, and a way back to sign in', () => {
    const page = renderSignUp(signUp)
    expect(textsOf(page, 'label')).toEqual(['Username', 'Email (optional)', 'Password'])
    expect(formsOf(page)).toEqual([{ action: '/signup', fields: ['request', 'csrf', 'username', 'email', 'password'] }])
    expect(tagsNamed(page, 'input').find((t) => t.attrs.name === 'password')?.attrs).toMatchObject({ autocomplete: 'new-password', minlength: '8' })
    expect(tagsNamed(page, 'input').find((t) => t.attrs.name === 'username')?.attrs).toHaveProperty('autofocus')
    expect(textOf(page, 'button')).toBe('Create account')
    expect(page).toContain('Already have an account? <a href="/authorize?')
  })

  it('after a refusal: each field\'s problem next to it (described and marked invalid), the typed values kept, the password focused', () => {
    const page = renderSignUp(signUpRefused)
    expect(textsOf(page, 'label')).toEqual(['Username', 'Email', 'Password'])
    const inputs = Object.fromEntries(tagsNamed(page, 'input').filter((t) => t.attrs.type !== 'hidden').map((t) => [t.attrs.name, t.attrs]))
    expect(inputs.username).toMatchObject({ value: 'ab', 'aria-invalid': 'true', 'aria-describedby': 'username-error' })
    expect(inputs.email).toMatchObject({ value: 'not an address', required: '', 'aria-describedby': 'email-error' })
    expect(inputs.password).toMatchObject({ 'aria-describedby': 'password-hint password-error', autofocus: '' })
    expect(inputs.password).not.toHaveProperty('value')
    expect(textsOf(page, 'p').filter((text) => text.startsWith('Choose') || text.startsWith('Enter'))).toEqual([
      'Choose a username of at least 3 characters.', 'Enter a valid email address, like name@example.com.', 'Choose a password of at least 8 characters.',
    ])
    expect(page).toContain('<p class="alert" role="alert">Too many accounts')
  })

  it('escapes every value it shows or carries', () => {
    const page = renderSignUp({ ...signUpRefused, clientName: HOSTILE, username: HOSTILE, email: HOSTILE, error: HOSTILE, hidden: { request: HOSTILE }, signInUrl: HOSTILE, fieldErrors: { username: HOSTILE } })
    expect(page).not.toContain('<script>')
    expect(page).not.toContain('<img')
  })

  it('is linked with the request, or the page to come back to, carried as one query parameter', () => {
    expect(signUpUrl({ request: REQUEST })).toBe(`${SIGN_UP_PATH}?${new URLSearchParams({ request: REQUEST }).toString()}`)
    expect(new URLSearchParams(signUpUrl({ request: REQUEST }).split('?')[1]).get('request')).toBe(REQUEST)
    expect(signUpUrl({ returnTo: '/account' })).toBe('/signup?return_to=%2Faccount')
    expect(signUpUrl({})).toBe('/signup')
  })
})

describe('deviceName', () => {
  it('names the browser and the system of the common User-Agents', () => {
    const cases: [string | null, string][] = [
      ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', 'Safari on iPhone'],
      ['Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1', 'Chrome on iPad'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67', 'Edge on Windows'],
      ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', 'Safari on macOS'],
      ['Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', 'Firefox on Linux'],
      ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'Chrome on ChromeOS'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0', 'Opera on Windows'],
      ['Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36', 'Samsung Internet on Android'],
      ['curl/8.5.0', 'curl'],
      ['Mozilla/5.0 (X11; Linux x86_64)', 'A browser on Linux'],
      ['', 'Unknown device'],
      [null, 'Unknown device'],
      ['<script>', 'Unknown device'],
    ]
    for (const [agent, name] of cases) expect(deviceName(agent), String(agent)).toBe(name)
  })
})
