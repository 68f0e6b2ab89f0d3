import { hiddenFields, type FormView } from './form.js'
import { html, type Html } from './html.js'
import { renderDocument } from './layout.js'

/** Where the sign-up page lives (routes/sign-up.ts). */
export const SIGN_UP_PATH = '/signup'

/**
 * The sign-up page's address for a sign-in page (its "Create account" link), carrying what that
 * page carries: an app's authorization request, or the account page to come back to.
 */
export function signUpUrl(carried: { request?: string | null; returnTo?: string | null }): string {
  const query = carried.request != null
    ? new URLSearchParams({ request: carried.request })
    : new URLSearchParams(carried.returnTo != null ? { return_to: carried.returnTo } : {})
  const text = query.toString()
  return text === '' ? SIGN_UP_PATH : `${SIGN_UP_PATH}?${text}`
}

/** A problem with one field of the form, shown next to it. */
export type SignUpField = 'username' | 'email' | 'password'

export interface SignUpView extends FormView {
  productName: string
  /** The app the account is being made for, when the sign-up started from its sign-in page. */
  clientName?: string | null
  /** Typed before a refused attempt (never the password). */
  username: string
  email: string
  /** TESSERA_EMAIL_VERIFICATION=required: an account without an address could never sign in. */
  emailRequired: boolean
  /** A problem with the whole attempt (too many sign-ups from here), above the form. */
  error?: string | null
  fieldErrors?: Partial<Record<SignUpField, string>>
  /** Back to the sign-in page this came from. */
  signInUrl: string
}

function fieldError(view: SignUpView, field: SignUpField): Html | null {
  const message = view.fieldErrors?.[field]
  return message === undefined ? null : html`<p class="field-error" id="${field}-error">${message}</p>`
}

function described(view: SignUpView, field: SignUpField, hint: boolean): Html | null {
  const ids = [hint ? `${field}-hint` : null, view.fieldErrors?.[field] === undefined ? null : `${field}-error`].filter((id) => id !== null)
  return ids.length === 0 ? null : html` aria-describedby="${ids.join(' ')}"${view.fieldErrors?.[field] === undefined ? null : html` aria-invalid="true"`}`
}

/**
 * The sign-up page: the rules of POST /users (a username of 3 to 50 characters, a password of 8
 * or more, an optional address unless verification is required). Labels `Username`, `Email`,
 * `Password` and the button `Create account`, like the sign-in page's.
 */
export function renderSignUp(view: SignUpView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Create account',
    body: html`<h1>Create account</h1>
${view.clientName ? html`<p class="lead">to continue to <strong>${view.clientName}</strong></p>` : null}
${view.error ? html`<p class="alert" role="alert">${view.error}</p>` : null}
<form method="post" action="${view.action}">
${hiddenFields(view, ['username', 'email', 'password'])}<div class="field">
<label for="username">Username</label>
${fieldError(view, 'username')}<input id="username" name="username" type="text" value="${view.username}" autocomplete="username" autocapitalize="none" spellcheck="false" minlength="3" maxlength="50" required${described(view, 'username', false)}${view.username === '' && html` autofocus`}>
</div>
<div class="field">
<label for="email">Email${view.emailRequired ? null : html` <span class="optional">(optional)</span>`}</label>
${fieldError(view, 'email')}<input id="email" name="email" type="email" value="${view.email}" autocomplete="email" autocapitalize="none" spellcheck="false"${view.emailRequired && html` required`}${described(view, 'email', false)}>
</div>
<div class="field">
<label for="password">Password</label>
<p class="hint" id="password-hint">At least 8 characters.</p>
${fieldError(view, 'password')}<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required${described(view, 'password', true)}${view.username !== '' && html` autofocus`}>
</div>
<button type="submit" class="button primary">Create account</button>
</form>
<p class="note">Already have an account? <a href="${view.signInUrl}">Sign in</a></p>`,
  })
}

export interface CheckEmailView {
  productName: string
  email: string
  signInUrl: string
}

/** After a sign-up that must verify its address before it can sign in (TESSERA_EMAIL_VERIFICATION=required). */
export function renderCheckEmail(view: CheckEmailView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Check your email',
    body: html`<h1>Check your email</h1>
<p class="lead">We sent a link to <strong>${view.email}</strong>. Open it to verify your address, then sign in.</p>
<p class="note">No mail after a few minutes? Look in your spam folder, or <a href="/email/verify/resend">send the link again</a>.</p>
<p><a class="button primary" href="${view.signInUrl}">Sign in</a></p>`,
  })
}
