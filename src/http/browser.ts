import { randomBytes, timingSafeEqual } from 'node:crypto'
import type {} from '@fastify/cookie' // request.cookies, reply.setCookie
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Forbidden } from '../core/index.js'

/*
 * What the hosted pages keep in the browser: the sign-in session cookie and a CSRF cookie. Both
 * are HttpOnly (no script reads them; the pages have none) and, behind TLS, `__Host-` prefixed
 * and Secure: a `__Host-` cookie cannot be set by a sibling subdomain or over plain HTTP, nor be
 * scoped to a path (RFC 6265bis §4.1.3.2).
 */

export interface BrowserCookies {
  session: string
  csrf: string
  secure: boolean
}

/** Behind TLS exactly when the issuer — what browsers are sent to — is https. */
export function browserCookies(issuer: string): BrowserCookies {
  const secure = issuer.startsWith('https:')
  const prefix = secure ? '__Host-' : ''
  return { session: `${prefix}tessera-session`, csrf: `${prefix}tessera-csrf`, secure }
}

/** The session cookie's value, if the browser sent one. */
export function sessionToken(request: FastifyRequest, cookies: BrowserCookies): string | undefined {
  return request.cookies[cookies.session]
}

/**
 * SameSite=Lax: an app's top-level link to /authorize carries the sign-in (that is single
 * sign-on), while another site's POST or subresource request does not.
 */
export function setSessionCookie(reply: FastifyReply, cookies: BrowserCookies, token: string, maxAgeSeconds: number): void {
  reply.setCookie(cookies.session, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: cookies.secure, maxAge: maxAgeSeconds })
}

export function clearSessionCookie(reply: FastifyReply, cookies: BrowserCookies): void {
  reply.clearCookie(cookies.session, { path: '/', httpOnly: true, sameSite: 'lax', secure: cookies.secure })
}

const CSRF_SHAPE = /^[A-Za-z0-9_-]{43}$/

/**
 * The CSRF token a page's form carries (double-submit: the same random value in a SameSite=Strict
 * cookie and a hidden field). A browser that has one keeps it; otherwise one is made and set.
 */
export function csrfToken(request: FastifyRequest, reply: FastifyReply, cookies: BrowserCookies): string {
  const existing = request.cookies[cookies.csrf]
  if (existing !== undefined && CSRF_SHAPE.test(existing)) return existing
  const token = randomBytes(32).toString('base64url')
  reply.setCookie(cookies.csrf, token, { path: '/', httpOnly: true, sameSite: 'strict', secure: cookies.secure })
  return token
}

/** Refused form submissions are answered with the page saying so; no detail helps a forger. */
const EXPIRED = 'This form has expired or was sent from another site. Go back, reload the page and try again.'

/**
 * A form POST is the page's own: the browser says it is not cross-site (Sec-Fetch-Site, and
 * Origin when sent), and the hidden field equals the CSRF cookie, compared in constant time.
 * Login CSRF (signing a victim into the attacker's account) is refused as well as forged consent.
 */
export function assertSameSiteForm(request: FastifyRequest, field: unknown, cookies: BrowserCookies, issuer: string): void {
  const site = request.headers['sec-fetch-site']
  if (site === 'cross-site') throw new Forbidden(EXPIRED)
  // Browsers send `Origin: null` for a same-origin POST from a page with Referrer-Policy: no-referrer
  // (Fetch §3.2.5), as ours is: only a real, different origin is refused; the token decides the rest.
  const origin = request.headers.origin
  if (origin !== undefined && origin !== 'null' && origin !== new URL(issuer).origin && origin !== `${request.protocol}://${request.host}`) throw new Forbidden(EXPIRED)
  const cookie = request.cookies[cookies.csrf]
  if (typeof field !== 'string' || cookie === undefined || !CSRF_SHAPE.test(cookie) || field.length !== cookie.length) throw new Forbidden(EXPIRED)
  if (!timingSafeEqual(Buffer.from(field), Buffer.from(cookie))) throw new Forbidden(EXPIRED)
}
