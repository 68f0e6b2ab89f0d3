import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import {
  AuthorizationRedirectError, InvalidOtp, InvalidRequest, MfaRequired, amrFor, authorize, authorizationErrorUrl, countLoginError,
  endBrowserSession, findSignedIn, hasSecondFactor, mfaRequired, nextStep, redeemMfaChallenge, rememberConsent, resolveAuthorizationTarget,
  scopeDescription, startBrowserSession, systemClock, throttledLogin, validateAuthorizationRequest, verifyCredentials, verifySecondFactor,
  type AuthorizationRequest, type AuthorizationTarget, type BrowserSessionPolicy, type SecondFactorMethod, type SignedIn, type UserRecord,
} from '../../core/index.js'
import { recordAudit } from '../audit.js'
import { assertSameSiteForm, browserCookies, csrfToken, sessionToken, setSessionCookie } from '../browser.js'
import type { AppDeps } from '../deps.js'
import { loginLimiterFor } from '../limits.js'
import { recordLoginFailed, recordLoginSucceeded } from '../login-audit.js'
import { recordMfaFailed, recordRecoveryCodeUsed } from '../mfa-audit.js'
import { formField, queryOf, sendPage, usePageContext } from '../page-context.js'
import { renderConsent } from '../pages/consent.js'
import { cspSourceFor } from '../pages/csp.js'
import { renderSignIn } from '../pages/sign-in.js'
import { FORGOT_PASSWORD_PATH } from '../pages/forgot-password.js'
import { renderMfaChallenge } from '../pages/mfa-challenge.js'
import { signUpUrl } from '../pages/sign-up.js'
import { signInFailure } from '../sign-in-failure.js'
import { federatedSignInRoutes, federatedSignInUrl } from './federated-sign-in.js'

export const AUTHORIZE_PATH = '/authorize'
export const SIGN_IN_PATH = '/signin'
/** The sign-in's second step: the code from the authenticator app, or a recovery code (issue 10). */
export const SIGN_IN_OTP_PATH = '/signin/otp'
export const CONSENT_PATH = '/consent'
/** Where the sign-in page in account mode (no app) leads unless told: the account page. */
export const ACCOUNT_HOME = '/account'

const RETURN_TO_MAX = 256
/** A path of the account page, and nothing that could leave it: no scheme, host, `//`, `..` or backslash. */
const ACCOUNT_RETURN_TO = /^\/account(?:[/?][A-Za-z0-9\-._~/?=&%]*)?$/

/**
 * The `return_to` of the sign-in page in account mode, or null when it is not one of the
 * account page's own paths: only /account… may follow a sign-in without an app, so the page
 * can never be made to send someone elsewhere (an open redirect, RFC 9700 §4.11).
 */
export function accountReturnTo(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value.length > RETURN_TO_MAX || !ACCOUNT_RETURN_TO.test(value)) return null
  return value.includes('//') || value.split(/[/?]/).includes('..') ? null : value
}

function requireReturnTo(value: string | null | undefined): string {
  const returnTo = accountReturnTo(value)
  if (returnTo === null) throw new InvalidRequest('This sign-in link is not valid')
  return returnTo
}

/**
 * Where a sign-in leads: back into an app's authorization request (the code flow), or — with no
 * app — to a page of the account (GET /signin?return_to=/account).
 */
export type SignInFor = { kind: 'app'; authorization: AuthorizationRequest } | { kind: 'account'; returnTo: string }

/** What the pages' forms carry from step to step: the app's request (its query string), or return_to. */
export function carriedFields(to: SignInFor): Record<string, string> {
  return to.kind === 'app' ? { request: to.authorization.query } : { return_to: to.returnTo }
}

export function clientIdOf(to: SignInFor): string | null {
  return to.kind === 'app' ? to.authorization.client.id : null
}

/** The first page of the same sign-in, to begin again with the password. */
export function startOverUrl(to: SignInFor): string {
  return to.kind === 'app' ? `${AUTHORIZE_PATH}?${to.authorization.query}` : `${SIGN_IN_PATH}?${new URLSearchParams({ return_to: to.returnTo })}`
}

/** The browser session's lifetimes, from TESSERA_SESSION_IDLE_HOURS / _ABSOLUTE_HOURS. */
export function browserSessionPolicy(config: AppDeps['config']): BrowserSessionPolicy {
  return { idleSeconds: config.sessionIdleHours * 3600, absoluteSeconds: config.sessionAbsoluteHours * 3600 }
}

/**
 * The authorization endpoint and the pages it leads through (RFC 6749 §4.1, OIDC Core §3.1.2):
 *
 *   GET /authorize → sign-in page → POST /signin → consent page (GET /consent) → POST /consent
 *                  ↘ (signed in, nothing to ask) ──────────────────────────────→ redirect with code
 *
 * The forms carry the original request (its query string) and re-check it from scratch on every
 * step, so nothing is trusted from a hidden field that a fresh /authorize would not accept.
 */
export const authorizeRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { store, config, hasher } = deps
  const clock = deps.clock ?? systemClock
  const cookies = browserCookies(config.issuer)
  const policy = browserSessionPolicy(config)
  const sessions = { browserSessions: store.browserSessions, users: store.users, policy, clock }
  const codes = { authorizationCodes: store.authorizationCodes, browserSessions: store.browserSessions, clock }
  const consents = { consents: store.consents, clock }
  const loginLimiter = loginLimiterFor(deps, app.log)
  const loginAudit = { audit: store.audit, users: store.users, clock }
  const credentialDeps = { users: store.users, hasher, passwordMaxBytes: config.passwordMaxBytes, emailVerification: config.emailVerification }
  const mfa = { totp: store.totp, recoveryCodes: store.recoveryCodes, clock }
  const mfaTokens = { oneTimeTokens: store.oneTimeTokens, users: store.users, clock }
  const mfaAudit = { audit: store.audit, recoveryCodes: store.recoveryCodes, clock }
  await usePageContext(app, { bodyLimit: config.bodyLimit, productName: config.productName })

  /** Where this request's forms may lead (ourselves, and the client's redirect URI). */
  const formAction = (target: AuthorizationTarget) => [cspSourceFor(target.redirectUri)].filter((s): s is string => s !== null)
  /** The account mode's forms lead only to ourselves. */
  const formActionFor = (to: SignInFor) => to.kind === 'app' ? formAction(to.authorization) : []

  function redirect(reply: FastifyReply, status: 302 | 303, location: string): FastifyReply {
    return reply.code(status).header('location', location).send()
  }

  /** Errors after the target is known go back to the client (RFC 6749 §4.1.2.1); any other error is a page. */
  async function answering(reply: FastifyReply, status: 302 | 303, target: AuthorizationTarget, step: () => Promise<FastifyReply>): Promise<FastifyReply> {
    try {
      return await step()
    } catch (err) {
      if (err instanceof AuthorizationRedirectError) return redirect(reply, status, authorizationErrorUrl(target, config.issuer, err))
      throw err
    }
  }

  type Problem = { status: number; message: string; username?: string; retryAfter?: number; link?: { href: string; text: string } }

  async function showSignIn(request: FastifyRequest, reply: FastifyReply, to: SignInFor, problem?: Problem) {
    if (problem?.retryAfter !== undefined) reply.header('retry-after', String(problem.retryAfter))
    const authorization = to.kind === 'app' ? to.authorization : null
    // Read on every page: a provider added or removed on any instance shows at once (issue 11).
    const providers = (await store.identityProviders.list()).map((p) => ({ label: p.label, href: federatedSignInUrl(p.id, carriedFields(to)) }))
    return sendPage(reply.code(problem?.status ?? 200), renderSignIn({
      providers,
      productName: config.productName, clientName: authorization?.client.name ?? null, action: SIGN_IN_PATH,
      hidden: carriedFields(to), csrf: csrfToken(request, reply, cookies),
      username: problem?.username ?? authorization?.loginHint ?? '', error: problem?.message ?? null, errorLink: problem?.link ?? null,
      signUpUrl: config.registration === 'open' ? signUpUrl(authorization !== null ? { request: authorization.query } : { returnTo: to.kind === 'account' ? to.returnTo : null }) : null,
      forgotPasswordUrl: deps.mailer.enabled ? FORGOT_PASSWORD_PATH : null,
    }), formActionFor(to))
  }

  /** The second step's page: the mfa token and the request ride along; the password does not. */
  function showChallenge(request: FastifyRequest, reply: FastifyReply, to: SignInFor, user: Pick<UserRecord, 'username'>, mfaToken: string, problem?: Problem) {
    if (problem?.retryAfter !== undefined) reply.header('retry-after', String(problem.retryAfter))
    return sendPage(reply.code(problem?.status ?? 200), renderMfaChallenge({
      productName: config.productName, clientName: to.kind === 'app' ? to.authorization.client.name : null, action: SIGN_IN_OTP_PATH,
      hidden: { mfa_token: mfaToken, ...carriedFields(to) }, csrf: csrfToken(request, reply, cookies),
      username: user.username, error: problem?.message ?? null, startOverUrl: startOverUrl(to),
    }), formActionFor(to))
  }

  function showConsent(request: FastifyRequest, reply: FastifyReply, authorization: AuthorizationRequest, signedIn: SignedIn) {
    return sendPage(reply, renderConsent({
      productName: config.productName, clientName: authorization.client.name, username: signedIn.user.username, action: CONSENT_PATH,
      scopes: authorization.scopes.map((name) => ({ name, description: scopeDescription(name) })),
      hidden: { request: authorization.query }, csrf: csrfToken(request, reply, cookies),
    }), formAction(authorization))
  }

  /** The flow's next stop for a signed-in (or not) browser: a page, or the redirect with the code. */
  async function proceed(request: FastifyRequest, reply: FastifyReply, status: 302 | 303, authorization: AuthorizationRequest, signedIn: SignedIn | null, justSignedIn: boolean) {
    const step = await nextStep(authorization, signedIn, { consents: store.consents, clock }, { justSignedIn })
    if (step.kind === 'sign_in') return showSignIn(request, reply, { kind: 'app', authorization })
    if (step.kind === 'consent') return status === 303 ? redirect(reply, 303, `${CONSENT_PATH}?${authorization.query}`) : showConsent(request, reply, authorization, step.signedIn)
    const location = await authorize(authorization, step.signedIn, config.issuer, codes)
    await recordAudit(store.audit, request, 'authorization_code.issued', {
      userId: step.signedIn.user.id, username: step.signedIn.user.username, clientId: authorization.client.id, details: { scope: authorization.scopes },
    }, clock.now())
    return redirect(reply, status, location)
  }

  /** The request a form carried, checked again as if it had just arrived at /authorize. */
  async function carried(request: FastifyRequest): Promise<{ params: URLSearchParams; target: AuthorizationTarget }> {
    const params = new URLSearchParams(formField(request, 'request') ?? '')
    return { params, target: await resolveAuthorizationTarget(params, store.clients) }
  }

  /**
   * Runs a sign-in form's step for where it leads: the app's carried request, checked again
   * (its errors go back to the app), or — a form without one that carries return_to — the account.
   */
  async function signingIn(
    request: FastifyRequest, reply: FastifyReply, step: (to: SignInFor) => Promise<FastifyReply>,
    field: (name: string) => string | undefined = (name) => formField(request, name),
  ): Promise<FastifyReply> {
    const returnTo = field('request') === undefined ? field('return_to') : undefined
    if (returnTo !== undefined) return step({ kind: 'account', returnTo: requireReturnTo(returnTo) })
    const params = new URLSearchParams(field('request') ?? '')
    const target = await resolveAuthorizationTarget(params, store.clients)
    return answering(reply, 303, target, async () => step({ kind: 'app', authorization: validateAuthorizationRequest(params, target) }))
  }

  /** The user proved who they are: a new browser session (with how, RFC 8176 amr), then on to the app or the account page. */
  async function signedInTo(request: FastifyRequest, reply: FastifyReply, to: SignInFor, user: UserRecord, amr: readonly string[]) {
    const previous = sessionToken(request, cookies)
    const { token, session } = await startBrowserSession({
      userId: user.id, amr, ip: request.ip, userAgent: userAgentOf(request), notBefore: user.tokensNotBefore,
    }, { ...sessions })
    if (previous !== undefined) await endPrevious(previous, user.id)                  // no session fixation, no pile-up
    setSessionCookie(reply, cookies, token, policy.absoluteSeconds)
    if (to.kind === 'account') return redirect(reply, 303, to.returnTo)
    return proceed(request, reply, 303, to.authorization, { session, user }, true)
  }

  app.get(AUTHORIZE_PATH, {
    schema: {
      summary: 'Authorization Endpoint',
      description: 'OAuth 2.0 authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636) and OpenID Connect (OIDC Core §3.1.2), for a browser: '
        + '`response_type=code`, `client_id`, `redirect_uri` (exactly as registered), `scope`, `state`, `nonce`, `code_challenge` and '
        + '`code_challenge_method=S256` (required), optional `prompt` (none, login, consent), `max_age`, `login_hint`, `resource` (RFC 8707). '
        + 'Shows the sign-in or consent page (HTML), or redirects to `redirect_uri` with `code`, `state` and `iss` (RFC 9207) — or with '
        + '`error`. An unknown client or an unregistered redirect_uri is answered on an error page, never redirected. '
        + 'Parameters are read from the query string as sent (no schema validation: errors go back to the client as the RFCs say).',
    },
  }, async (request, reply) => {
    const params = queryOf(request)
    const target = await resolveAuthorizationTarget(params, store.clients)        // unknown client / redirect_uri: a page
    return answering(reply, 302, target, async () => {
      const authorization = validateAuthorizationRequest(params, target)           // everything else: back to the client
      const signedIn = await findSignedIn(sessionToken(request, cookies), sessions)
      return proceed(request, reply, 302, authorization, signedIn, false)
    })
  })

  // The sign-in page without an app: for the account page (H5), which sends signed-out browsers here.
  app.get(SIGN_IN_PATH, { schema: { hide: true } }, async (request, reply) => {
    const returnTo = requireReturnTo(queryOf(request).get('return_to') ?? ACCOUNT_HOME)
    if (await findSignedIn(sessionToken(request, cookies), sessions) !== null) return redirect(reply, 303, returnTo)
    return showSignIn(request, reply, { kind: 'account', returnTo })
  })

  app.post(SIGN_IN_PATH, { schema: { hide: true } }, async (request, reply) => {
    assertSameSiteForm(request, formField(request, 'csrf'), cookies, config.issuer)  // login CSRF
    return signingIn(request, reply, async (to) => {
      const username = formField(request, 'username') ?? ''
      const password = formField(request, 'password') ?? ''
      if (username === '' || password === '') return showSignIn(request, reply, to, { status: 422, message: 'Enter your username and password.', username })
      const attempt = { username, clientId: clientIdOf(to), via: 'sign_in_page' as const }
      let user: UserRecord
      let challenged: UserRecord | null = null
      try {
        // The password grant's rules: its brute-force budget, its dummy-hash timing, its disabled-user rule.
        // A second factor makes a right password not yet a sign-in: MfaRequired, so the limiter
        // forgets nothing (only a full sign-in clears the account's failures, wrong codes included).
        user = await throttledLogin(loginLimiter, { username, ip: request.ip }, async () => {
          const verified = await verifyCredentials({ username, password }, credentialDeps)
          if (!(await hasSecondFactor(verified.id, mfa))) return verified
          challenged = verified
          throw await mfaRequired(verified, { via: 'sign_in_page', clientId: clientIdOf(to) }, mfaTokens)
        })
      } catch (err) {
        if (err instanceof MfaRequired && challenged !== null) return showChallenge(request, reply, to, challenged, err.mfaToken)
        countLoginError(deps.metrics, err)
        await recordLoginFailed(request, loginAudit, attempt, err)
        const failure = signInFailure(err)
        if (failure === null) throw err
        return showSignIn(request, reply, to, { ...failure, username })
      }
      deps.metrics.loginSucceeded()
      await recordLoginSucceeded(request, loginAudit, attempt)
      return signedInTo(request, reply, to, user, amrFor(null))
    })
  })

  /**
   * The second step: the mfa token (spent at once, bound to this app or to the account mode) and
   * a code, checked under the same login limits as the password. A wrong code shows the step
   * again with a fresh token; anything else starts over at the password.
   */
  app.post(SIGN_IN_OTP_PATH, { schema: { hide: true } }, async (request, reply) => {
    assertSameSiteForm(request, formField(request, 'csrf'), cookies, config.issuer)
    return signingIn(request, reply, async (to) => {
      const clientId = clientIdOf(to)
      const redeemed = await redeemMfaChallenge(formField(request, 'mfa_token'), { via: 'sign_in_page', clientId }, mfaTokens)
      if (redeemed === null) return showSignIn(request, reply, to, { status: 400, message: 'This sign-in has expired. Sign in again.' })
      const { user } = redeemed
      const who = { user, clientId, via: 'sign_in_page' as const }
      let method: SecondFactorMethod
      try {
        method = await throttledLogin(loginLimiter, { username: user.username, ip: request.ip, secondFactorOf: user.id }, () => verifySecondFactor(user.id, formField(request, 'otp') ?? '', mfa))
      } catch (err) {
        countLoginError(deps.metrics, err)
        await recordMfaFailed(request, mfaAudit, who, err)
        const failure = signInFailure(err)
        if (failure === null) throw err
        if (!(err instanceof InvalidOtp)) return showSignIn(request, reply, to, { ...failure, username: user.username })
        const again = await mfaRequired(user, { via: 'sign_in_page', clientId, first: redeemed.first }, mfaTokens)   // the password stays proven: another try
        return showChallenge(request, reply, to, user, again.mfaToken, failure)
      }
      await recordRecoveryCodeUsed(request, mfaAudit, who, method)
      deps.metrics.loginSucceeded()
      await recordLoginSucceeded(request, loginAudit, { username: user.username, clientId, via: 'sign_in_page' })
      return signedInTo(request, reply, to, user, amrFor(method, redeemed.first))
    })
  })

  app.get(CONSENT_PATH, { schema: { hide: true } }, async (request, reply) => {
    const params = queryOf(request)
    const target = await resolveAuthorizationTarget(params, store.clients)
    return answering(reply, 302, target, async () => {
      const authorization = validateAuthorizationRequest(params, target)
      const signedIn = await findSignedIn(sessionToken(request, cookies), sessions)
      if (signedIn === null) return redirect(reply, 303, `${AUTHORIZE_PATH}?${authorization.query}`)  // signed out meanwhile: start over
      return showConsent(request, reply, authorization, signedIn)
    })
  })

  app.post(CONSENT_PATH, { schema: { hide: true } }, async (request, reply) => {
    assertSameSiteForm(request, formField(request, 'csrf'), cookies, config.issuer)  // forged consent
    const { params, target } = await carried(request)
    return answering(reply, 303, target, async () => {
      const authorization = validateAuthorizationRequest(params, target)
      const signedIn = await findSignedIn(sessionToken(request, cookies), sessions)
      if (signedIn === null) return redirect(reply, 303, `${AUTHORIZE_PATH}?${authorization.query}`)
      const who = { userId: signedIn.user.id, username: signedIn.user.username, clientId: target.client.id }
      if (formField(request, 'decision') !== 'allow') {
        await recordAudit(store.audit, request, 'consent.denied', { ...who, details: { scope: authorization.scopes } }, clock.now())
        throw new AuthorizationRedirectError('access_denied', 'The user denied the request')
      }
      await rememberConsent(signedIn.user.id, target.client.id, authorization.scopes, consents)
      await recordAudit(store.audit, request, 'consent.granted', { ...who, details: { scope: authorization.scopes } }, clock.now())
      const location = await authorize(authorization, signedIn, config.issuer, codes)
      await recordAudit(store.audit, request, 'authorization_code.issued', { ...who, details: { scope: authorization.scopes } }, clock.now())
      return redirect(reply, 303, location)
    })
  })

  // "Sign in with …" (issue 11): the upstream round trip, ending in signedInTo like the password.
  federatedSignInRoutes(app, deps, { signingIn, signedInTo, showSignIn, showChallenge, carriedFields, cookies, sessions, loginLimiter, credentialDeps, mfa, mfaTokens })

  /**
   * A new sign-in replaces the browser's previous session. Another user's session ends with what
   * it began (its refresh families, as at end-session): on a shared browser the first user's apps
   * must not keep offline access that no sign-out there could end. The same user re-authenticating
   * (prompt=login, max_age) keeps their apps' families; they stay tied to the old session's id.
   */
  async function endPrevious(previousToken: string, userId: string): Promise<void> {
    const previous = await findSignedIn(previousToken, sessions)
    if (previous === null) return
    if (previous.session.userId === userId) await store.browserSessions.delete(previous.session.id)
    else await endBrowserSession(previous.session, { browserSessions: store.browserSessions, refreshTokens: store.refreshTokens, clock })
  }
}

function userAgentOf(request: FastifyRequest): string | null {
  const agent = request.headers['user-agent']
  return typeof agent === 'string' ? agent.slice(0, 512) : null
}
