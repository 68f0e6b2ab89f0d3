import { html, htmlText, type Html } from './html.js'

/** Where the pages' one stylesheet is served (assets.ts); the page CSP allows only 'self' styles. */
export const PAGE_STYLES_PATH = '/assets/pages.css'

export interface LayoutView {
  productName: string
  /** The page's own name, first in the title so a tab or history entry says what it is. */
  title: string
  /** The card's content: exactly one h1, then the page. */
  body: Html
}

/**
 * The document every hosted page shares. Nothing inline (no script, no style element or
 * attribute: the CSP allows neither) and nothing from elsewhere, so a page renders the same with
 * JavaScript off and offline. `referrer` no-referrer: the address may carry an authorization
 * request; `robots` noindex: sign-in pages are not search results.
 */
export function renderDocument(view: LayoutView): string {
  return `<!doctype html>\n${htmlText(html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${view.title} · ${view.productName}</title>
<link rel="stylesheet" href="${PAGE_STYLES_PATH}">
</head>
<body>
<header class="product">${view.productName}</header>
<main class="card">
${view.body}
</main>
</body>
</html>
`)}`
}
