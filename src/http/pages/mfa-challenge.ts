import { hiddenFields, type FormView } from './form.js'
import { html } from './html.js'
import { renderDocument } from './layout.js'

export interface MfaChallengeView extends FormView {
  productName: string
  /** The app the user signs in to, when known (none: the account page). */
  clientName?: string | null
  /** Whose password was right, so a shared browser shows whom this code is for. */
  username: string
  /** Why the last code was refused, shown above the form. */
  error?: string | null
  /** Where to begin again with the password (the sign-in page of the same request). */
  startOverUrl: string
}

/**
 * The sign-in's second step (issue 10): after a right password, a code from the authenticator
 * app — or a recovery code, so the field takes text, not only digits. The form carries the
 * short-lived `mfa_token` (never the password) and the request being answered.
 * `autocomplete="one-time-code"` lets phones offer a code (HTML §4.10.18.7.1).
 */
export function renderMfaChallenge(view: MfaChallengeView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Enter your code',
    body: html`<h1>Two-step verification</h1>
${view.clientName ? html`<p class="lead">Signing in as <strong>${view.username}</strong> to continue to <strong>${view.clientName}</strong></p>` : html`<p class="lead">Signing in as <strong>${view.username}</strong></p>`}
${view.error ? html`<p class="alert" role="alert">${view.error}</p>` : null}
<form method="post" action="${view.action}">
${hiddenFields(view, ['otp'])}<div class="field">
<label for="otp">Code</label>
<p class="hint" id="otp-hint">The 6-digit code from your authenticator app, or one of your recovery codes.</p>
<input id="otp" name="otp" type="text" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="32" required autofocus aria-describedby="otp-hint">
</div>
<button type="submit" class="button primary">Verify</button>
</form>
<p class="note"><a href="${view.startOverUrl}">Start over</a></p>`,
  })
}
