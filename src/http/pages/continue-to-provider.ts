import { html } from './html.js'
import { renderDocument } from './layout.js'

export interface ContinueToProviderView {
  productName: string
  providerName: string
  /** The provider's authorization URL (state, PKCE, nonce in it): a link, so no form-action CSP stands in its way. */
  href: string
}

/** "Link Google" after the password: one more click to the provider, which confirms who you are there. */
export function renderContinueToProvider(view: ContinueToProviderView): string {
  return renderDocument({
    productName: view.productName,
    title: `Link ${view.providerName}`,
    body: html`<h1>Link ${view.providerName}</h1>
<p class="lead">Sign in at ${view.providerName} to confirm the account you want to link. You come back here afterwards.</p>
<p><a class="button primary" href="${view.href}">Continue to ${view.providerName}</a></p>
<p class="note"><a href="/account">Cancel</a></p>`,
  })
}
