import { hiddenFields, type FormView } from './form.js'
import { html } from './html.js'
import { renderDocument } from './layout.js'

/** Where "Forgot password?" leads (routes/password-reset.ts). */
export const FORGOT_PASSWORD_PATH = '/password/forgot'

export interface ForgotPasswordView extends FormView {
  productName: string
  /** What was typed before a refused attempt. */
  email: string
  /** A problem with the attempt (an invalid address, too many requests), above the form. */
  error?: string | null
  /** Back to signing in. */
  signInUrl: string
}

/** "Forgot password?" from the sign-in page: the address to send a reset link to. */
export function renderForgotPassword(view: ForgotPasswordView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Forgot your password?',
    body: html`<h1>Forgot your password?</h1>
<p class="lead">Enter the email address of your account and we will send you a link to choose a new password.</p>
${view.error ? html`<p class="alert" role="alert">${view.error}</p>` : null}
<form method="post" action="${view.action}">
${hiddenFields(view, ['email'])}<div class="field">
<label for="email">Email</label>
<input id="email" name="email" type="email" value="${view.email}" autocomplete="email" autocapitalize="none" spellcheck="false" required autofocus>
</div>
<button type="submit" class="button primary">Send reset link</button>
</form>
<p class="note">Remembered it? <a href="${view.signInUrl}">Sign in</a></p>`,
  })
}

export interface ResetLinkSentView {
  productName: string
  email: string
  minutes: number
}

/**
 * The answer to every request for a reset link, word for word, whether or not an account uses
 * the address: the page must not tell a stranger which addresses have accounts.
 */
export function renderResetLinkSent(view: ResetLinkSentView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Check your email',
    body: html`<h1>Check your email</h1>
<p class="lead">If an account uses <strong>${view.email}</strong>, we sent it a link to choose a new password. The link works for ${view.minutes} minutes, once.</p>
<p class="note">No mail after a few minutes? Look in your spam folder, and check the address you typed.</p>`,
  })
}
