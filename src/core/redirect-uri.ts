import type { ClientRecord, ClientType } from './ports.js'

/** Longer than any real callback; bounds what is stored, compared and shown. */
export const REDIRECT_URI_MAX_CHARS = 2000

/** Loopback hosts a plain-http redirect URI may name (RFC 8252 §7.3, §8.3; RFC 9700 §2.1). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost'])

/**
 * RFC 8252 §7.3: a native app listens on whatever loopback port it gets, so for loopback IP
 * literals the port is not part of the match. `localhost` is left out on purpose (§8.3: it may
 * resolve elsewhere, and a firewall may treat it differently).
 */
const LOOPBACK_IP_URI = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?(\/[^#]*)?$/

/** RFC 8252 §7.1: a private-use scheme is a reverse domain name (`com.example.app:`), which rules out javascript:, data:, file:. */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/

/**
 * Why `uri` cannot be registered as a redirect URI (or post-logout redirect URI) of a client of
 * `type`, or null when it can. The rules of RFC 6749 §3.1.2 and RFC 9700 §2.1 / §4.1.3:
 * absolute, no fragment, no credentials, no wildcards; https, or http only to a loopback host;
 * a private-use scheme (`com.example.app:/callback`) only for a public (native) client.
 */
export function redirectUriProblem(uri: string, type: ClientType): string | null {
  if (typeof uri !== 'string' || uri.length === 0 || uri.length > REDIRECT_URI_MAX_CHARS) {
    return `must be 1 to ${REDIRECT_URI_MAX_CHARS} characters`
  }
  // RFC 3986 URIs are ASCII: anything else could not be written in the Location header that
  // sends the browser back (register the percent-encoded path and the punycode host).
  if (/[^\u0021-\u007e]/.test(uri)) return 'must be ASCII without spaces or control characters (percent-encode the rest)'
  if (uri.includes('#')) return 'must not contain a fragment (RFC 6749 §3.1.2)'
  if (uri.includes('*')) return 'must not contain wildcards: redirect URIs are matched exactly'
  if (!URL.canParse(uri)) return 'must be an absolute URI'
  const url = new URL(uri)
  if (url.username !== '' || url.password !== '') return 'must not contain credentials'
  const scheme = url.protocol.slice(0, -1)
  if (scheme === 'https') return url.hostname === '' ? 'must name a host' : null
  if (scheme === 'http') {
    return LOOPBACK_HOSTS.has(url.hostname) ? null : 'may use http only for a loopback host (127.0.0.1, [::1], localhost); use https'
  }
  if (PRIVATE_USE_SCHEME.test(scheme)) {
    return type === 'public' ? null : 'a private-use scheme is for native (public) clients only'
  }
  return 'must use https, http to a loopback host, or a reverse-domain private-use scheme (com.example.app:/callback)'
}

/** `http://127.0.0.1:PORT/path` → `http://127.0.0.1/path`: the form two loopback URIs are compared in. */
function withoutLoopbackPort(uri: string): string | null {
  const match = LOOPBACK_IP_URI.exec(uri)
  if (match === null) return null
  const port = match[2]
  if (port !== undefined && Number(port) > 65535) return null
  return `http://${match[1]}${match[3] ?? ''}`
}

/**
 * The registered redirect URI that `requested` is, or null. Exact string comparison (RFC 9700
 * §4.1.3): no normalisation of case, trailing slashes, default ports or query strings. The one
 * exception is RFC 8252 §7.3: for a public (native) client, a loopback IP literal redirect may
 * use any port, everything else still compared exactly.
 */
export function matchRedirectUri(requested: string, client: Pick<ClientRecord, 'type' | 'redirectUris'>): string | null {
  if (client.redirectUris.includes(requested)) return requested
  if (client.type !== 'public') return null
  const portless = withoutLoopbackPort(requested)
  if (portless === null) return null
  return client.redirectUris.find((registered) => withoutLoopbackPort(registered) === portless) ?? null
}

/** OIDC RP-Initiated Logout §3: the post_logout_redirect_uri must be one the client registered, exactly. */
export function matchPostLogoutRedirectUri(requested: string, client: Pick<ClientRecord, 'postLogoutRedirectUris'>): boolean {
  return client.postLogoutRedirectUris.includes(requested)
}
