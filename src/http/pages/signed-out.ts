import { hiddenFields, type FormView } from './form.js'
import { html } from './html.js'
import { renderDocument } from './layout.js'

export interface SignedOutView {
  productName: string
  /** The app that asked for the sign-out, when known. */
  clientName?: string | null
}

export interface SignOutConfirmView extends FormView {
  productName: string
  clientName?: string | null
}

/** After RP-initiated logout with nowhere registered to go back to (OIDC RP-Initiated Logout 1.0 §2). */
export function renderSignedOut(view: SignedOutView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Signed out',
    body: html`<h1>You have signed out</h1>
<p class="lead">${view.clientName
    ? html`${view.clientName} signed you out of ${view.productName}.`
    : html`You are no longer signed in to ${view.productName}.`}</p>
<p class="note">You can close this page.</p>`,
  })
}

/**
 * The question asked when a logout request cannot prove it comes from the signed-in user's app
 * (§2: "the OP SHOULD ask the End-User whether to log out"). One button; staying signed in needs
 * nothing, not even a link.
 */
export function renderSignOutConfirm(view: SignOutConfirmView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Sign out',
    body: html`<h1>Sign out of ${view.productName}?</h1>
${view.clientName ? html`<p class="lead">${view.clientName} asked to sign you out.</p>` : null}
<form method="post" action="${view.action}">
${hiddenFields(view, [])}<button type="submit" class="button primary">Sign out</button>
</form>
<p class="note">You can close this page to stay signed in.</p>`,
  })
}
