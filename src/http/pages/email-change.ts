import { hiddenFields, type FormView } from './form.js'
import { html } from './html.js'
import { renderDocument } from './layout.js'

export interface ConfirmEmailChangeView extends FormView {
  productName: string
  username: string
  newEmail: string
}

/** What the link mailed to a new address opens: the change, to confirm with a button (a GET changes nothing). */
export function renderConfirmEmailChange(view: ConfirmEmailChangeView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Confirm your new email address',
    body: html`<h1>Confirm your new email address</h1>
<p class="lead">The account <strong>${view.username}</strong> will use <strong>${view.newEmail}</strong> from now on.</p>
<form method="post" action="${view.action}">
${hiddenFields(view, [])}<button type="submit" class="button primary">Confirm new address</button>
</form>
<p class="note">Did not ask for this? Close this page: nothing changes.</p>`,
  })
}

export interface EmailChangedView {
  productName: string
  email: string
  continueUrl: string
}

export function renderEmailChanged(view: EmailChangedView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Email address changed',
    body: html`<h1>Email address changed</h1>
<p class="notice" role="status">Your account's address is now <strong>${view.email}</strong>, verified.</p>
<p><a class="button primary" href="${view.continueUrl}">Continue</a></p>`,
  })
}
