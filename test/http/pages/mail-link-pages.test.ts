import { describe, expect, it } from 'vitest'
import { renderConfirmEmailChange, renderEmailChanged } from '../../../src/http/pages/email-change.js'
import { renderForgotPassword, renderResetLinkSent } from '../../../src/http/pages/forgot-password.js'
import { PAGE_STYLES_PATH } from '../../../src/http/pages/layout.js'
import { renderPasswordResetDone, renderResetPassword } from '../../../src/http/pages/reset-password.js'
import { renderSignIn } from '../../../src/http/pages/sign-in.js'
import { renderEmailVerified, renderResendVerification, renderVerificationSent, renderVerifyEmail } from '../../../src/http/pages/verify-email.js'
import { hiddenInputs, tags, tagsNamed, textOf, textsOf } from './markup.js'
import { CSRF, signIn } from './views.js'

// The pages of the mailed links (issue 10): what a person, a screen reader and a password
// manager find in each, and that nothing from the data becomes markup.

const TOKEN = 'dGhpcy1pcy1hLXRlc3QtdG9rZW4tb2YtNDMtY2hhcnM'
const HOSTILE = `<script>alert("x")</script> & 'q' <img src=x onerror=alert(1)>`

const pages = (value = 'ada') => ({
  forgot: renderForgotPassword({ productName: 'Tessera', action: '/password/forgot', hidden: {}, csrf: CSRF, email: '', signInUrl: '/signin?return_to=%2Faccount' }),
  forgotRefused: renderForgotPassword({ productName: 'Tessera', action: '/password/forgot', hidden: {}, csrf: CSRF, email: `${value}@example.com`, error: 'Enter a valid email address.', signInUrl: '/signin' }),
  resetLinkSent: renderResetLinkSent({ productName: 'Tessera', email: `${value}@example.com`, minutes: 30 }),
  reset: renderResetPassword({ productName: 'Tessera', action: '/password/reset', hidden: { token: TOKEN }, csrf: CSRF, username: value }),
  resetRefused: renderResetPassword({
    productName: 'Tessera', action: '/password/reset', hidden: { token: TOKEN }, csrf: CSRF, username: value,
    fieldErrors: { new_password_again: 'The two passwords differ.' },
  }),
  resetDone: renderPasswordResetDone({ productName: 'Tessera', signInUrl: '/signin?return_to=%2Faccount' }),
  verify: renderVerifyEmail({ productName: 'Tessera', action: '/email/verify', hidden: { token: TOKEN }, csrf: CSRF, username: value, email: `${value}@example.com` }),
  verified: renderEmailVerified({ productName: 'Tessera', email: `${value}@example.com`, continueUrl: '/account' }),
  resend: renderResendVerification({ productName: 'Tessera', action: '/email/verify/resend', hidden: {}, csrf: CSRF, email: '' }),
  verificationSent: renderVerificationSent({ productName: 'Tessera', email: `${value}@example.com`, hours: 24 }),
  confirmChange: renderConfirmEmailChange({ productName: 'Tessera', action: '/email/change', hidden: { token: TOKEN }, csrf: CSRF, username: value, newEmail: `${value}@new.example` }),
  changed: renderEmailChanged({ productName: 'Tessera', email: `${value}@new.example`, continueUrl: '/account' }),
})

const ELEMENTS = new Set(['html', 'head', 'meta', 'title', 'link', 'body', 'header', 'main', 'h1', 'p', 'strong', 'form', 'input', 'div', 'label', 'button', 'a'])

describe('every mailed-link page', () => {
  for (const [name, page] of Object.entries(pages())) {
    it(`${name}: a complete document with our stylesheet, nothing inline, each form CSRF-protected`, () => {
      expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true)
      expect(tagsNamed(page, 'meta').map((tag) => tag.attrs)).toContainEqual({ name: 'referrer', content: 'no-referrer' })
      expect(tagsNamed(page, 'link').map((tag) => tag.attrs)).toEqual([{ rel: 'stylesheet', href: PAGE_STYLES_PATH }])
      expect(tagsNamed(page, 'h1')).toHaveLength(1)
      expect(textOf(page, 'title')).toBe(`${textOf(page, 'h1')} · Tessera`)
      expect(page).not.toMatch(/<script|<style|<iframe|javascript:/i)
      for (const tag of tags(page)) {
        expect(ELEMENTS.has(tag.name), `<${tag.name}>`).toBe(true)
        expect(Object.keys(tag.attrs).filter((attr) => attr === 'style' || attr.startsWith('on')), `<${tag.name}>`).toEqual([])
      }
      for (const form of tagsNamed(page, 'form')) expect(form.attrs.method).toBe('post')
      if (tagsNamed(page, 'form').length > 0) expect(hiddenInputs(page).at(-1)).toEqual(['csrf', CSRF])
      const visible = tagsNamed(page, 'input').filter((tag) => tag.attrs.type !== 'hidden' && !('hidden' in tag.attrs))
      expect(tagsNamed(page, 'label').map((tag) => tag.attrs.for)).toEqual(visible.map((tag) => tag.attrs.id))
    })
  }

  it('escapes what comes from data: usernames and addresses are text', () => {
    for (const [name, page] of Object.entries(pages(HOSTILE))) {
      expect(page, name).not.toContain('<script>')
      expect(page, name).not.toContain('<img')
      expect(tags(page).map((tag) => tag.name).filter((n) => !ELEMENTS.has(n)), name).toEqual([])
    }
  })
})

describe('the forms', () => {
  it('forgot password: one email field a phone keyboard and a password manager understand', () => {
    const page = pages().forgot
    expect(textsOf(page, 'label')).toEqual(['Email'])
    expect(tagsNamed(page, 'input').filter((tag) => tag.attrs.type !== 'hidden').map((tag) => tag.attrs)).toEqual([{
      id: 'email', name: 'email', type: 'email', value: '', autocomplete: 'email', autocapitalize: 'none', spellcheck: 'false', required: '', autofocus: '',
    }])
    expect(textsOf(page, 'button')).toEqual(['Send reset link'])
    expect(hiddenInputs(page)).toEqual([['csrf', CSRF]])
    const refused = pages().forgotRefused
    expect(tags(refused).find((tag) => tag.attrs.role === 'alert')?.at).toBeLessThan(tagsNamed(refused, 'form')[0]?.at as number)
    expect(tagsNamed(refused, 'input').find((tag) => tag.attrs.name === 'email')?.attrs.value).toBe('ada@example.com')
  })

  it('new password: twice, as new-password, with the account named for the password manager (not sent)', () => {
    const page = pages().reset
    expect(textOf(page, 'p')).toBe('for the account ada')
    expect(hiddenInputs(page)).toEqual([['token', TOKEN], ['csrf', CSRF]])
    const inputs = tagsNamed(page, 'input').filter((tag) => tag.attrs.type !== 'hidden')
    expect(inputs.map((tag) => [tag.attrs.name, tag.attrs.type, tag.attrs.autocomplete])).toEqual([
      [undefined, 'text', 'username'], ['new_password', 'password', 'new-password'], ['new_password_again', 'password', 'new-password'],
    ])
    expect(inputs[0]?.attrs).toMatchObject({ value: 'ada', hidden: '', readonly: '' })
    expect(textsOf(page, 'label')).toEqual(['New password', 'New password again'])
    expect(textsOf(page, 'button')).toEqual(['Set new password'])
    const refused = pages().resetRefused
    const again = tagsNamed(refused, 'input').find((tag) => tag.attrs.name === 'new_password_again')
    expect(again?.attrs).toMatchObject({ 'aria-invalid': 'true', 'aria-describedby': 'new_password_again-error' })
    expect(textsOf(refused, 'p')).toContain('The two passwords differ.')
  })

  it('verification and email change: a button that posts the token, never a GET that acts', () => {
    for (const [page, button, action] of [[pages().verify, 'Verify email address', '/email/verify'], [pages().confirmChange, 'Confirm new address', '/email/change']] as const) {
      expect(tagsNamed(page, 'form').map((tag) => tag.attrs)).toEqual([{ method: 'post', action }])
      expect(hiddenInputs(page)).toEqual([['token', TOKEN], ['csrf', CSRF]])
      expect(textsOf(page, 'button')).toEqual([button])
      expect(tagsNamed(page, 'a')).toEqual([])
    }
    expect(textsOf(pages().verify, 'p')).toContain('Confirm that ada@example.com is the address of the account ada.')
    expect(textsOf(pages().confirmChange, 'p')).toContain('The account ada will use ada@new.example from now on.')
  })

  it('the answers to a link request say the same whatever the address, and name only what was typed', () => {
    expect(textsOf(pages().resetLinkSent, 'p')[0]).toBe('If an account uses ada@example.com, we sent it a link to choose a new password. The link works for 30 minutes, once.')
    expect(textsOf(pages().verificationSent, 'p')[0]).toBe('If an account with ada@example.com still needs verifying, we sent it a new link. It works for 24 hours, once.')
  })
})

describe('the sign-in page', () => {
  it('links "Forgot password?" when the server sends mail, and not otherwise', () => {
    const withLink = renderSignIn({ ...signIn, forgotPasswordUrl: '/password/forgot' })
    expect(tagsNamed(withLink, 'a').map((tag) => tag.attrs.href)).toContain('/password/forgot')
    expect(textsOf(withLink, 'a')).toContain('Forgot password?')
    expect(tagsNamed(withLink, 'a').find((tag) => tag.attrs.href === '/password/forgot')?.at).toBeGreaterThan(tagsNamed(withLink, 'form')[0]?.at as number)
    expect(renderSignIn(signIn)).not.toContain('Forgot password?')
  })
})
