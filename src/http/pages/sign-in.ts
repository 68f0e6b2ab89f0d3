import { hiddenFields, type FormView } from './form.js'
import { html } from './html.js'
import { renderDocument } from './layout.js'

export interface SignInView extends FormView {
  productName: string
  /** The app the user signs in to, when known. */
  clientName?: string | null
  /** Prefilled: the login_hint, or what was typed before a failed attempt (never the password). */
  username: string
  /** Why the last attempt failed, shown above the form. */
  error?: string | null
  /** What to do about that, when there is a page for it (an address to verify first). */
  errorLink?: { href: string; text: string } | null
  /** The sign-up page carrying this page's request, when registration is open ("Create account"). */
  signUpUrl?: string | null
  /** The page that mails a reset link ("Forgot password?"), when this server sends mail. */
  forgotPasswordUrl?: string | null
  /** "Sign in with …" (issue 11): a link per upstream provider, carrying this page's request. */
  providers?: readonly { label: string; href: string }[]
}

/**
 * The sign-in page (issue 9: fields labelled `Username` and `Password`, button `Sign in`). The
 * autocomplete tokens let password managers fill it (HTML §4.10.18.7.1); the first empty field
 * has the focus, so after a failed attempt the cursor is back in the password field.
 */
export function renderSignIn(view: SignInView): string {
  const focusUsername = view.username === ''
  return renderDocument({
    productName: view.productName,
    title: 'Sign in',
    body: html`<h1>Sign in</h1>
${view.clientName ? html`<p class="lead">to continue to <strong>${view.clientName}</strong></p>` : null}
${view.error ? html`<p class="alert" role="alert">${view.error}${view.errorLink ? html` <a href="${view.errorLink.href}">${view.errorLink.text}</a>` : null}</p>` : null}
<form method="post" action="${view.action}">
${hiddenFields(view, ['username', 'password'])}<div class="field">
<label for="username">Username</label>
<input id="username" name="username" type="text" value="${view.username}" autocomplete="username" autocapitalize="none" spellcheck="false" required${focusUsername && html` autofocus`}>
</div>
<div class="field">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${!focusUsername && html` autofocus`}>
</div>
<button type="submit" class="button primary">Sign in</button>
</form>
${view.providers && view.providers.length > 0 ? html`<div class="providers">
<p class="divider"><span>or</span></p>
${view.providers.map((p) => html`<a class="button secondary" href="${p.href}">${p.label}</a>
`)}</div>` : null}
${view.forgotPasswordUrl ? html`<p class="note"><a href="${view.forgotPasswordUrl}">Forgot password?</a></p>` : null}
${view.signUpUrl ? html`<p class="note">New here? <a href="${view.signUpUrl}">Create account</a></p>` : null}`,
  })
}
