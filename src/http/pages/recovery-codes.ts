import { ACCOUNT_PATHS } from './account.js'
import { html } from './html.js'
import { renderDocument } from './layout.js'

export interface RecoveryCodesView {
  productName: string
  /** Shown this once: only their hashes are stored. */
  codes: readonly string[]
  /** Just turned on (after enrolment) or replaced (regenerated). */
  reason: 'enrolled' | 'regenerated'
}

/**
 * The recovery codes, the only time they are readable (issue 10: "shown once"). Each signs in
 * once in place of an authenticator code; new ones replace all the old ones.
 */
export function renderRecoveryCodes(view: RecoveryCodesView): string {
  const title = view.reason === 'enrolled' ? 'Two-step verification is on' : 'Your new recovery codes'
  return renderDocument({
    productName: view.productName,
    title,
    body: html`<h1>${title}</h1>
<p class="lead">Save these recovery codes somewhere safe: a password manager, or printed. If you lose your phone, each one signs you in once instead of a code from the app.</p>
${view.reason === 'regenerated' ? html`<p class="notice" role="status">Your old recovery codes no longer work.</p>` : null}
<ol class="codes">
${view.codes.map((code) => html`<li><code>${code}</code></li>\n`)}</ol>
<p class="alert">This is the only time they are shown.</p>
<p><a class="button primary" href="${ACCOUNT_PATHS.page}">I saved them</a></p>`,
  })
}
