/*
 * The hosted pages' Content-Security-Policy (CSP Level 3). Nothing runs (no script-src at all),
 * styles come only from our stylesheet, no page may be framed (clickjacking a consent button,
 * RFC 6819 §4.4.1.9) and a <base> cannot move the forms. form-action is 'self' plus what the
 * route names: Chromium checks form-action against the redirect that answers a form POST too,
 * and the sign-in and consent POSTs answer 303 to the client's redirect_uri.
 */

/** CSP3 §2.3.1 host-source as an origin: scheme, dotted host of ALPHA / DIGIT / "-", optional port. */
const HOST_SOURCE = /^https?:\/\/[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$/

/** CSP3 §2.3.1 scheme-source (RFC 3986 §3.1 scheme, then ":"). */
const SCHEME_SOURCE = /^[A-Za-z][A-Za-z0-9+.-]*:$/

/** A private-use scheme is a reverse domain name (RFC 8252 §7.1), as redirect-uri.ts registers them: never javascript:, data:, file:. */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/

/** Whatever could end a directive (`;`), a policy (`,`), or a source expression (whitespace), or is quoted keyword syntax. */
const UNSAFE = /[;,'"`\s\u0000-\u001f\u007f]/

export interface PageCspOptions {
  /** Source expressions a form may also lead to: `https://app.example.com`, `com.example.app:`. */
  formAction: readonly string[]
}

export function pageCsp(options: PageCspOptions): string {
  for (const source of options.formAction) {
    if (!HOST_SOURCE.test(source) && !SCHEME_SOURCE.test(source)) throw new TypeError(`not a CSP origin or scheme source: ${JSON.stringify(source)}`)
  }
  const formAction = ["'self'", ...new Set(options.formAction)].join(' ')
  return `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`
}

/**
 * The form-action source that lets a form's answer redirect to `uri`: its origin for http(s)
 * (`https://app.example.com:8443`), its scheme for a private-use scheme (`com.example.app:`,
 * RFC 8252 §7.1). A host that CSP's grammar cannot spell — an IPv6 literal such as RFC 8252
 * §7.3's `http://[::1]:PORT/`, which Chromium ignores as an invalid source — gets its scheme
 * (`http:`): a wider form-action on that one page, where nothing is injected anyway, rather than
 * a sign-in whose final redirect the browser blocks. Null for anything unparsable, carrying
 * header syntax, or of another scheme (javascript:, data:, file:).
 */
export function cspSourceFor(uri: string): string | null {
  if (!URL.canParse(uri)) return null
  const url = new URL(uri)
  // Only the source written into the header is checked: a query string may hold anything.
  const source = url.protocol === 'http:' || url.protocol === 'https:'
    ? (HOST_SOURCE.test(url.origin) ? url.origin : url.protocol)
    : (PRIVATE_USE_SCHEME.test(url.protocol) ? url.protocol : null)
  return source === null || UNSAFE.test(source) ? null : source
}
