import { hiddenFields, type FormView } from './form.js'
import { html } from './html.js'
import { renderDocument } from './layout.js'

export interface ConsentScope {
  name: string
  description: string
}

export interface ConsentView extends FormView {
  productName: string
  clientName: string
  /** Who is signed in, so a shared browser does not grant someone else's account. */
  username: string
  scopes: readonly ConsentScope[]
}

/**
 * The consent page (issue 9: the client's name, each requested scope with a description, buttons
 * `Allow` and `Deny`). Both buttons submit the same form with `decision`; anything but `allow`
 * is a denial (the route answers access_denied, RFC 6749 §4.1.2.1).
 */
export function renderConsent(view: ConsentView): string {
  return renderDocument({
    productName: view.productName,
    title: `Allow ${view.clientName}?`,
    body: html`<h1>${view.clientName} wants to access your account</h1>
<p class="lead">Signed in as <strong>${view.username}</strong></p>
<p>This will allow ${view.clientName} to:</p>
<ul class="scopes">
${view.scopes.map((scope) => html`<li><code>${scope.name}</code> <span>${scope.description}</span></li>\n`)}</ul>
<form method="post" action="${view.action}">
${hiddenFields(view, ['decision'])}<div class="actions">
<button type="submit" name="decision" value="allow" class="button primary">Allow</button>
<button type="submit" name="decision" value="deny" class="button secondary">Deny</button>
</div>
</form>
<p class="note">${view.productName} will remember your choice: this app will not ask again for these permissions.</p>`,
  })
}
