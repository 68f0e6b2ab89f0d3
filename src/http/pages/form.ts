import { html, type Html } from './html.js'

/** What every page form carries besides its own fields. */
export interface FormView {
  /** Where the form posts (a path of this server: the page CSP's form-action allows 'self'). */
  action: string
  /** Carried through unchanged, e.g. the authorization request being answered. */
  hidden: Record<string, string>
  /** The double-submit CSRF token (browser.ts), sent back as the field `csrf`. */
  csrf: string
}

/**
 * The form's hidden inputs, the CSRF token last. A carried field may not share a name with one
 * the page sets itself: the browser would send both, and the route refuses a repeated field.
 */
export function hiddenFields(form: FormView, reserved: readonly string[]): Html {
  const taken = ['csrf', ...reserved].filter((name) => Object.hasOwn(form.hidden, name))
  if (taken.length > 0) throw new TypeError(`hidden fields may not be named ${taken.join(', ')}`)
  const fields = Object.entries({ ...form.hidden, csrf: form.csrf })
  return html`${fields.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">\n`)}`
}
