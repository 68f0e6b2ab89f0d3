import { hiddenFields, type FormView } from './form.js'
import { html } from './html.js'
import { renderDocument } from './layout.js'

export interface VerifyEmailView extends FormView {
  productName: string
  username: string
  email: string
}

/**
 * What a verification link opens: a question, not the verification itself. Mail scanners and
 * link previews fetch links; only the button (a POST) uses the token. Naming the account lets
 * someone who got a link for an account that is not theirs (unverified addresses are not
 * unique) leave it alone.
 */
export function renderVerifyEmail(view: VerifyEmailView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Verify your email address',
    body: html`<h1>Verify your email address</h1>
<p class="lead">Confirm that <strong>${view.email}</strong> is the address of the account <strong>${view.username}</strong>.</p>
<form method="post" action="${view.action}">
${hiddenFields(view, [])}<button type="submit" class="button primary">Verify email address</button>
</form>
<p class="note">Not your account? Close this page: nothing changes.</p>`,
  })
}

export interface EmailVerifiedView {
  productName: string
  email: string
  /** Where to go on: the account page (which asks to sign in first when needed). */
  continueUrl: string
}

export function renderEmailVerified(view: EmailVerifiedView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Email address verified',
    body: html`<h1>Email address verified</h1>
<p class="notice" role="status"><strong>${view.email}</strong> is verified. You can sign in with your account now.</p>
<p><a class="button primary" href="${view.continueUrl}">Continue</a></p>`,
  })
}

export interface ResendVerificationView extends FormView {
  productName: string
  /** What was typed before a refused attempt. */
  email: string
  /** A problem with the attempt (an invalid address, too many requests), above the form. */
  error?: string | null
}

/** "Send the link again", for someone whose sign-in waits for a verified address. */
export function renderResendVerification(view: ResendVerificationView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Send the verification link again',
    body: html`<h1>Send the verification link again</h1>
<p class="lead">Enter the email address of your account. If it still needs verifying, we send it a new link.</p>
${view.error ? html`<p class="alert" role="alert">${view.error}</p>` : null}
<form method="post" action="${view.action}">
${hiddenFields(view, ['email'])}<div class="field">
<label for="email">Email</label>
<input id="email" name="email" type="email" value="${view.email}" autocomplete="email" autocapitalize="none" spellcheck="false" required autofocus>
</div>
<button type="submit" class="button primary">Send link</button>
</form>`,
  })
}

export interface VerificationSentView {
  productName: string
  email: string
  hours: number
}

/** The same page whether or not any account needed a link: it says nothing about which addresses have accounts. */
export function renderVerificationSent(view: VerificationSentView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Check your email',
    body: html`<h1>Check your email</h1>
<p class="lead">If an account with <strong>${view.email}</strong> still needs verifying, we sent it a new link. It works for ${view.hours} hours, once.</p>
<p class="note">No mail after a few minutes? Look in your spam folder, and check the address you typed.</p>`,
  })
}
