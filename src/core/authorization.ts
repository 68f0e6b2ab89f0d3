import { issueAuthorizationCode } from './authorization-code.js'
import type { AuthorizationRequest, AuthorizationTarget } from './authorization-request.js'
import type { SignedIn } from './browser-session.js'
import type { Clock } from './clock.js'
import { consentNeeded } from './consent.js'
import { AuthorizationRedirectError } from './errors.js'
import type { AuthorizationCodeStore, BrowserSessionStore, ConsentStore } from './ports.js'

/*
 * The authorization flow (RFC 6749 §4.1, OIDC Core §3.1.2), one step per line:
 *
 *   target → validated request → signed in? (prompt, max_age) → consent? → code → redirect
 *
 * What the browser sees at each stop (a page, a redirect) is the HTTP layer's; the decisions are here.
 */

/** What happens next for a valid request. */
export type NextStep =
  | { kind: 'sign_in' }
  | { kind: 'consent'; signedIn: SignedIn }
  | { kind: 'issue'; signedIn: SignedIn }

export interface DecideOptions {
  /** The user signed in on this very request (the sign-in form): prompt=login and max_age are met. */
  justSignedIn?: boolean
}

export interface AuthorizationDeps {
  consents: Pick<ConsentStore, 'find'>
  clock: Clock
}

/**
 * Where a request goes from here. prompt=none never shows a page: without a usable sign-in it is
 * `login_required`, without consent `consent_required` (OIDC Core §3.1.2.6).
 */
export async function nextStep(request: AuthorizationRequest, signedIn: SignedIn | null, deps: AuthorizationDeps, options: DecideOptions = {}): Promise<NextStep> {
  if (signedIn === null || (options.justSignedIn !== true && mustSignInAgain(request, signedIn, deps.clock.now()))) {
    if (request.prompt.includes('none')) throw new AuthorizationRedirectError('login_required', 'The user must sign in')
    return { kind: 'sign_in' }
  }
  const remembered = await deps.consents.find(signedIn.user.id, request.client.id)
  if (consentNeeded(request.client, request.scopes, remembered, request.prompt)) {
    if (request.prompt.includes('none')) throw new AuthorizationRedirectError('consent_required', 'The user must allow this application')
    return { kind: 'consent', signedIn }
  }
  return { kind: 'issue', signedIn }
}

/** prompt=login asks for a fresh sign-in; max_age for one no older than that many seconds (OIDC Core §3.1.2.1). */
function mustSignInAgain(request: AuthorizationRequest, signedIn: SignedIn, now: number): boolean {
  if (request.prompt.includes('login')) return true
  return request.maxAge !== null && now - signedIn.session.authenticatedAt > request.maxAge * 1000
}

export interface IssueDeps {
  authorizationCodes: AuthorizationCodeStore
  browserSessions: Pick<BrowserSessionStore, 'touch'>
  clock: Clock
}

/** The user is signed in and nothing is left to ask: a code, and the redirect that delivers it. */
export async function authorize(request: AuthorizationRequest, signedIn: SignedIn, issuer: string, deps: IssueDeps): Promise<string> {
  const code = await issueAuthorizationCode(request, signedIn, deps)
  await deps.browserSessions.touch(signedIn.session.id, deps.clock.now())  // the idle lifetime starts again
  return authorizationResponseUrl(request, issuer, { code })
}

/** The error answer at the client's redirect URI (RFC 6749 §4.1.2.1), with `iss` (RFC 9207). */
export function authorizationErrorUrl(target: AuthorizationTarget, issuer: string, error: AuthorizationRedirectError): string {
  return authorizationResponseUrl(target, issuer, { error: error.code, error_description: error.detail })
}

/**
 * The redirect URI exactly as registered, with the response appended to its query (RFC 6749
 * §3.1.2: a registered query component is kept). It is never re-serialised, so the client sees
 * its own URI back. `state` is echoed only when the request had one; `iss` always (RFC 9207 §2).
 */
function authorizationResponseUrl(target: AuthorizationTarget, issuer: string, response: Record<string, string>): string {
  const params = new URLSearchParams(response)
  if (target.state !== null) params.set('state', target.state)
  params.set('iss', issuer)
  const separator = target.redirectUri.includes('?') ? (target.redirectUri.endsWith('?') || target.redirectUri.endsWith('&') ? '' : '&') : '?'
  return `${target.redirectUri}${separator}${params.toString()}`
}
