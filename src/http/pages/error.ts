import { html } from './html.js'
import { renderDocument } from './layout.js'

export interface ErrorView {
  productName: string
  title: string
  message: string
  /** The request's id (it is in the server's log line), for the user to quote to support. */
  requestId?: string | null
}

/**
 * A request that cannot go back to the app. Deliberately no link to the client: the error may be
 * that its redirect_uri is not registered, and following it would be an open redirect
 * (RFC 6749 §4.1.2.1, RFC 9700 §4.11).
 */
export function renderError(view: ErrorView): string {
  return renderDocument({
    productName: view.productName,
    title: view.title,
    body: html`<h1>${view.title}</h1>
<p class="alert" role="alert">${view.message}</p>
${view.requestId ? html`<p class="note">If you contact support, quote this reference: <code>${view.requestId}</code></p>` : null}`,
  })
}
