import { hiddenFields, type FormView } from './form.js'
import { html } from './html.js'
import { renderDocument } from './layout.js'

export interface LinkAccountView extends FormView {
  productName: string
  /** The provider's button text without "Sign in with": "Google". */
  providerName: string
  username: string
  email: string
  error?: string | null
}

/**
 * An upstream sign-in whose (provider-verified) address belongs to an existing account (issue
 * 11): the link is made only after that account's password, never by the address alone — else
 * whoever holds an upstream account with someone's address could take over their account.
 */
export function renderLinkAccount(view: LinkAccountView): string {
  return renderDocument({
    productName: view.productName,
    title: `Link ${view.providerName}`,
    body: html`<h1>Link ${view.providerName} to your account</h1>
<p class="lead">An account with the address <strong>${view.email}</strong> exists: <strong>${view.username}</strong>. Enter its password once, and you can sign in with ${view.providerName} from now on.</p>
${view.error ? html`<p class="alert" role="alert">${view.error}</p>` : null}
<form method="post" action="${view.action}">
${hiddenFields(view, ['password'])}<div class="field">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
</div>
<button type="submit" class="button primary">Link and sign in</button>
</form>
<p class="note">Not your account? Close this page: nothing is linked without the password.</p>`,
  })
}
