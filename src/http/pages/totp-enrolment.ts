import { ACCOUNT_PATHS } from './account.js'
import { hiddenFields } from './form.js'
import { html, type Html } from './html.js'
import { renderDocument } from './layout.js'

export interface TotpEnrolmentView {
  productName: string
  csrf: string
  username: string
  /** The otpauth:// URI as an inline SVG QR code (qr.ts: no style attributes, so the page CSP allows it). */
  qr: Html
  /** The base32 secret, for apps that cannot scan: shown in groups of four to type it without losing one's place. */
  secret: string
  error?: string | null
}

/** Groups of four characters, as authenticator apps show a secret typed in by hand. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ')
}

/**
 * Setting up an authenticator app (RFC 6238): scan the QR code or type the secret, then prove it
 * worked with the first code. Nothing is switched on until that code is right: a mistyped secret
 * cannot lock anyone out.
 */
export function renderTotpEnrolment(view: TotpEnrolmentView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Set up an authenticator app',
    body: html`<h1>Set up an authenticator app</h1>
<p class="lead">for <strong>${view.username}</strong></p>
<ol class="steps">
<li>Open your authenticator app (Google Authenticator, Microsoft Authenticator, 1Password, Aegis …) and add an account.</li>
<li>Scan this code, or type the key below.</li>
<li>Enter the 6-digit code the app shows.</li>
</ol>
<figure class="qr">${view.qr}<figcaption>QR code for your authenticator app</figcaption></figure>
<p class="field-label">Key</p>
<p><code class="secret">${grouped(view.secret)}</code></p>
${view.error ? html`<p class="alert" role="alert">${view.error}</p>` : null}
<form method="post" action="${ACCOUNT_PATHS.totpConfirm}">
${hiddenFields({ action: ACCOUNT_PATHS.totpConfirm, hidden: {}, csrf: view.csrf }, ['code'])}<div class="field">
<label for="code">Code from the app</label>
<input id="code" name="code" type="text" inputmode="numeric" pattern="[0-9 ]{6,7}" maxlength="7" autocomplete="one-time-code" spellcheck="false" required autofocus>
</div>
<button type="submit" class="button primary">Turn on</button>
</form>
<p class="note"><a href="${ACCOUNT_PATHS.page}">Cancel</a></p>`,
  })
}
