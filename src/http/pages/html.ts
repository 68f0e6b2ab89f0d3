/*
 * The pages' only way to make markup: a tagged template that escapes every interpolated value.
 * A value is trusted only when it is an `Html` fragment, and only `html` makes those (the brand
 * is a module-private symbol), so user data cannot reach a page unescaped; there is no `raw()`.
 * Templates always quote attribute values, so escaping `"` and `'` also keeps a value inside its
 * attribute (OWASP XSS Prevention Cheat Sheet, rules 1 and 2).
 */

const SAFE: unique symbol = Symbol('Html')

/** Markup that is already safe: the result of `html`, never built from a string directly. */
export interface Html {
  readonly [SAFE]: string
}

/** What a template may interpolate: text (escaped), fragments, lists of fragments; nothing for null, undefined or false. */
export type HtmlValue = Html | string | number | null | undefined | false | readonly Html[]

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
}

function isHtml(value: unknown): value is Html {
  return typeof value === 'object' && value !== null && SAFE in value
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return ''
  if (isHtml(value)) return value[SAFE]
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  const text = strings.reduce((out, literal, i) => out + render(values[i - 1]) + literal)
  return { [SAFE]: text }
}

/** The markup of a fragment, to send. */
export function htmlText(fragment: Html): string {
  return fragment[SAFE]
}
