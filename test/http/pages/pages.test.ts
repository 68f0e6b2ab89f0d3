import { describe, expect, it } from 'vitest'
import { renderConsent } from '../../../src/http/pages/consent.js'
import { renderError } from '../../../src/http/pages/error.js'
import { PAGE_STYLES_PATH } from '../../../src/http/pages/layout.js'
import { renderSignIn } from '../../../src/http/pages/sign-in.js'
import { renderSignOutConfirm, renderSignedOut } from '../../../src/http/pages/signed-out.js'
import { hiddenInputs, tags, tagsNamed, textOf, textsOf } from './markup.js'
import { CSRF, REQUEST, allPages, consent, error, signIn, signInFailed, signOutConfirm, signedOut } from './views.js'

// What a person (and a screen reader, a password manager, a phone) finds in each hosted page.

const HOSTILE = `<script>alert("x")</script> & 'q' <img src=x onerror=alert(1)>`

/** The only elements a page is made of: anything else (a <script>, an <img>) came from data. */
const ELEMENTS = new Set(['html', 'head', 'meta', 'title', 'link', 'body', 'header', 'span', 'main', 'h1', 'p', 'strong', 'form', 'input', 'div', 'label', 'button', 'ul', 'li', 'code'])

describe('every page', () => {
  for (const [name, page] of Object.entries(allPages())) {
    it(`${name}: a complete document, phone-ready, private, with our stylesheet and nothing inline`, () => {
      expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true)
      const meta = tagsNamed(page, 'meta').map((tag) => tag.attrs)
      expect(meta).toEqual([
        { charset: 'utf-8' },
        { name: 'viewport', content: 'width=device-width, initial-scale=1' },
        { name: 'referrer', content: 'no-referrer' },
        { name: 'robots', content: 'noindex' },
      ])
      expect(tagsNamed(page, 'link').map((tag) => tag.attrs)).toEqual([{ rel: 'stylesheet', href: PAGE_STYLES_PATH }])
      expect(textOf(page, 'title')).toMatch(/^.+ · Tessera$/)
      expect(textOf(page, 'header')).toBe('Tessera')
      expect(tagsNamed(page, 'h1')).toHaveLength(1)
      expect(tagsNamed(page, 'main')).toHaveLength(1)
      expect(page).not.toMatch(/<script|<style|<iframe|javascript:/i)
      for (const tag of tags(page)) {
        expect(ELEMENTS.has(tag.name), `<${tag.name}>`).toBe(true)
        expect(Object.keys(tag.attrs).filter((attr) => attr === 'style' || attr.startsWith('on')), `<${tag.name}>`).toEqual([])
      }
    })
  }

  it('labels every visible field, and every label names a field', () => {
    for (const page of Object.values(allPages())) {
      const ids = tagsNamed(page, 'input').filter((tag) => tag.attrs.type !== 'hidden').map((tag) => tag.attrs.id)
      expect(tagsNamed(page, 'label').map((tag) => tag.attrs.for)).toEqual(ids)
    }
  })
})

describe('the sign-in page', () => {
  const page = renderSignIn(signIn)

  it('is titled "Sign in", says which app, and has the fields Username and Password and the button Sign in', () => {
    expect(textOf(page, 'title')).toBe('Sign in · Tessera')
    expect(textOf(page, 'h1')).toBe('Sign in')
    expect(textsOf(page, 'p')).toContain('to continue to Demo App')
    expect(textsOf(page, 'label')).toEqual(['Username', 'Password'])
    expect(tagsNamed(page, 'label').map((tag) => tag.attrs.for)).toEqual(['username', 'password'])
    expect(textsOf(page, 'button')).toEqual(['Sign in'])
    expect(tagsNamed(page, 'button')[0]?.attrs.type).toBe('submit')
  })

  it('posts to the action with the carried request and the CSRF token', () => {
    expect(tagsNamed(page, 'form').map((tag) => tag.attrs)).toEqual([{ method: 'post', action: '/signin' }])
    expect(hiddenInputs(page)).toEqual([['request', REQUEST], ['csrf', CSRF]])
  })

  it('has fields a password manager and a phone keyboard understand, the empty username focused', () => {
    const [username, password] = tagsNamed(page, 'input').filter((tag) => tag.attrs.type !== 'hidden').map((tag) => tag.attrs)
    expect(username).toEqual({
      id: 'username', name: 'username', type: 'text', value: '', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: '', autofocus: '',
    })
    expect(password).toEqual({ id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: '' })
  })

  it('after a failure: the message in an alert above the form, the username kept, the password focused', () => {
    const failed = renderSignIn(signInFailed)
    const alert = tags(failed).find((tag) => tag.attrs.role === 'alert')
    expect(alert?.at).toBeLessThan(tagsNamed(failed, 'form')[0]?.at as number)
    expect(textsOf(failed, 'p')).toContain('Incorrect username or password')
    const [username, password] = tagsNamed(failed, 'input').filter((tag) => tag.attrs.type !== 'hidden')
    expect(username?.attrs.value).toBe('johndoe')
    expect(username?.attrs).not.toHaveProperty('autofocus')
    expect(password?.attrs).toHaveProperty('autofocus')
    expect(password?.attrs).not.toHaveProperty('value')
  })

  it('without a client name, says nothing about one; without an error, has no alert', () => {
    const plain = renderSignIn({ ...signIn, clientName: null })
    expect(plain).not.toContain('to continue to')
    expect(plain).not.toContain('role="alert"')
  })

  it('escapes every value it shows or carries', () => {
    const hostile = renderSignIn({
      productName: HOSTILE, clientName: HOSTILE, action: HOSTILE, hidden: { [HOSTILE]: HOSTILE }, csrf: HOSTILE, username: HOSTILE, error: HOSTILE,
    })
    expectEscaped(hostile)
    expect(textOf(hostile, 'header')).toBe(HOSTILE)
    expect(tagsNamed(hostile, 'form')[0]?.attrs.action).toBe(HOSTILE)
    expect(hiddenInputs(hostile)).toEqual([[HOSTILE, HOSTILE], ['csrf', HOSTILE]])
    expect(tagsNamed(hostile, 'input').find((tag) => tag.attrs.name === 'username')?.attrs.value).toBe(HOSTILE)
  })

  it('refuses a carried field named like one of its own (the browser would send both)', () => {
    for (const name of ['csrf', 'username', 'password']) {
      expect(() => renderSignIn({ ...signIn, hidden: { [name]: 'x' } }), name).toThrow(TypeError)
    }
  })
})

describe('the consent page', () => {
  const page = renderConsent(consent)

  it('names the app, who is signed in, and each scope with its description', () => {
    expect(textOf(page, 'h1')).toBe('Demo App wants to access your account')
    expect(textsOf(page, 'p')).toContain('Signed in as johndoe')
    expect(textsOf(page, 'li')).toEqual([
      'openid Sign you in with your account', 'profile See your name and username', 'offline_access Stay signed in when you are away (a refresh token)',
    ])
    expect(textsOf(page, 'code')).toEqual(['openid', 'profile', 'offline_access'])
  })

  it('has the buttons Allow and Deny, submitting decision=allow and decision=deny with the request and CSRF token', () => {
    expect(textsOf(page, 'button')).toEqual(['Allow', 'Deny'])
    expect(tagsNamed(page, 'button').map(({ attrs }) => [attrs.type, attrs.name, attrs.value])).toEqual([['submit', 'decision', 'allow'], ['submit', 'decision', 'deny']])
    expect(tagsNamed(page, 'form').map((tag) => tag.attrs)).toEqual([{ method: 'post', action: '/consent' }])
    expect(hiddenInputs(page)).toEqual([['request', REQUEST], ['csrf', CSRF]])
  })

  it('says the choice is remembered', () => {
    expect(textsOf(page, 'p').join(' ')).toContain('this app will not ask again for these permissions')
  })

  it('escapes every value it shows or carries', () => {
    const hostile = renderConsent({
      productName: HOSTILE, clientName: HOSTILE, username: HOSTILE, action: HOSTILE, hidden: { [HOSTILE]: HOSTILE }, csrf: HOSTILE,
      scopes: [{ name: HOSTILE, description: HOSTILE }],
    })
    expectEscaped(hostile)
    expect(textOf(hostile, 'h1')).toBe(`${HOSTILE} wants to access your account`)
    expect(textsOf(hostile, 'code')).toEqual([HOSTILE])
    expect(hiddenInputs(hostile)).toEqual([[HOSTILE, HOSTILE], ['csrf', HOSTILE]])
  })

  it('refuses a carried field named decision or csrf', () => {
    expect(() => renderConsent({ ...consent, hidden: { decision: 'allow' } })).toThrow(TypeError)
    expect(() => renderConsent({ ...consent, hidden: { csrf: 'x' } })).toThrow(TypeError)
  })
})

describe('the error page', () => {
  const page = renderError(error)

  it('shows the title and the message, the reference for support, and no way back to the app', () => {
    expect(textOf(page, 'title')).toBe('This sign-in link is not valid · Tessera')
    expect(textOf(page, 'h1')).toBe('This sign-in link is not valid')
    const alert = textsOf(page, 'p')[0]
    expect(alert).toBe('The application sent an invalid request: redirect_uri is not registered for this client')
    expect(page).toContain('role="alert"')
    expect(textsOf(page, 'p')).toContain('If you contact support, quote this reference: req-1a2b')
    expect(page).not.toMatch(/<a\b|<form\b/)
  })

  it('without a request id, shows no reference line', () => {
    expect(renderError({ ...error, requestId: null })).not.toContain('reference')
  })

  it('escapes every value it shows', () => {
    const hostile = renderError({ productName: HOSTILE, title: HOSTILE, message: HOSTILE, requestId: HOSTILE })
    expectEscaped(hostile)
    expect(textOf(hostile, 'h1')).toBe(HOSTILE)
    expect(textsOf(hostile, 'code')).toEqual([HOSTILE])
  })
})

describe('the signed-out pages', () => {
  it('says "You have signed out", naming the app when known', () => {
    const page = renderSignedOut(signedOut)
    expect(textOf(page, 'h1')).toBe('You have signed out')
    expect(textsOf(page, 'p')).toContain('Demo App signed you out of Tessera.')
    expect(textsOf(renderSignedOut({ productName: 'Tessera', clientName: null }), 'p')).toContain('You are no longer signed in to Tessera.')
    expect(page).not.toMatch(/<a\b|<form\b/)
  })

  it('asks "Sign out of <product>?" with one Sign out button posting the carried parameters and the CSRF token', () => {
    const page = renderSignOutConfirm(signOutConfirm)
    expect(textOf(page, 'h1')).toBe('Sign out of Tessera?')
    expect(textsOf(page, 'button')).toEqual(['Sign out'])
    expect(tagsNamed(page, 'form').map((tag) => tag.attrs)).toEqual([{ method: 'post', action: '/end-session' }])
    expect(hiddenInputs(page)).toEqual([['state', 'xyz'], ['confirm', 'yes'], ['csrf', CSRF]])
    expect(textsOf(page, 'p')).toContain('You can close this page to stay signed in.')
    expect(page).not.toMatch(/<a\b/)
  })

  it('escape every value they show or carry', () => {
    const out = renderSignedOut({ productName: HOSTILE, clientName: HOSTILE })
    expectEscaped(out)
    expect(textOf(out, 'h1')).toBe('You have signed out')
    const confirm = renderSignOutConfirm({ productName: HOSTILE, clientName: HOSTILE, action: HOSTILE, hidden: { [HOSTILE]: HOSTILE }, csrf: HOSTILE })
    expectEscaped(confirm)
    expect(textOf(confirm, 'h1')).toBe(`Sign out of ${HOSTILE}?`)
    expect(hiddenInputs(confirm)).toEqual([[HOSTILE, HOSTILE], ['csrf', HOSTILE]])
  })
})

/** The hostile text appears only escaped: no tag, attribute or handler came from it. */
function expectEscaped(page: string): void {
  expect(page).not.toMatch(/<script|<img/i)
  expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;')
  for (const tag of tags(page)) expect(ELEMENTS.has(tag.name), `<${tag.name}>`).toBe(true)
}
