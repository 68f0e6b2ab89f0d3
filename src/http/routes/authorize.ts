import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import {
  AuthorizationRedirectError, authorize, authorizationErrorUrl, countLoginError, endBrowserSession, findSignedIn, nextStep, rememberConsent,
  resolveAuthorizationTarget, scopeDescription, startBrowserSession, systemClock, throttledLogin, validateAuthorizationRequest,
  verifyCredentials, type AuthorizationRequest, type AuthorizationTarget, type BrowserSessionPolicy, type SignedIn,
} from '../../core/index.js'
import { recordAudit } from '../audit.js'
import { assertSameSiteForm, browserCookies, csrfToken, sessionToken, setSessionCookie } from '../browser.js'
import type { AppDeps } from '../deps.js'
import { loginLimiterFor } from '../limits.js'
import { recordLoginFailed, recordLoginSucceeded } from '../login-audit.js'
import { formField, queryOf, sendPage, usePageContext } from '../page-context.js'
import { renderConsent } from '../pages/consent.js'
import { cspSourceFor } from '../pages/csp.js'
import { renderSignIn } from '../pages/sign-in.js'
import { signInFailure } from '../sign-in-failure.js'

export const AUTHORIZE_PATH = '/authorize'
export const SIGN_IN_PATH = '/signin'
export const CONSENT_PATH = '/consent'

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
  const credentialDeps = { users: store.users, hasher, passwordMaxBytes: config.passwordMaxBytes }
  await usePageContext(app, { bodyLimit: config.bodyLimit, productName: config.productName })

  /** Where this request's forms may lead (ourselves, and the client's redirect URI). */
  const formAction = (target: AuthorizationTarget) => [cspSourceFor(target.redirectUri)].filter((s): s is string => s !== null)

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

  function showSignIn(request: FastifyRequest, reply: FastifyReply, authorization: AuthorizationRequest, problem?: { status: number; message: string; username?: string; retryAfter?: number }) {
    if (problem?.retryAfter !== undefined) reply.header('retry-after', String(problem.retryAfter))
    return sendPage(reply.code(problem?.status ?? 200), renderSignIn({
      productName: config.productName, clientName: authorization.client.name, action: SIGN_IN_PATH,
      hidden: { request: authorization.query }, csrf: csrfToken(request, reply, cookies),
      username: problem?.username ?? authorization.loginHint ?? '', error: problem?.message ?? null,
    }), formAction(authorization))
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
    if (step.kind === 'sign_in') return showSignIn(request, reply, authorization)
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

  app.post(SIGN_IN_PATH, { schema: { hide: true } }, async (request, reply) => {
    assertSameSiteForm(request, formField(request, 'csrf'), cookies, config.issuer)  // login CSRF
    const { params, target } = await carried(request)
    return answering(reply, 303, target, async () => {
      const authorization = validateAuthorizationRequest(params, target)
      const username = formField(request, 'username') ?? ''
      const password = formField(request, 'password') ?? ''
      if (username === '' || password === '') return showSignIn(request, reply, authorization, { status: 422, message: 'Enter your username and password.', username })
      const attempt = { username, clientId: target.client.id, via: 'sign_in_page' as const }
      let user
      try {
        // The password grant's rules: its brute-force budget, its dummy-hash timing, its disabled-user rule.
        user = await throttledLogin(loginLimiter, { username, ip: request.ip }, () => verifyCredentials({ username, password }, credentialDeps))
      } catch (err) {
        countLoginError(deps.metrics, err)
        await recordLoginFailed(request, loginAudit, attempt, err)
        const failure = signInFailure(err)
        if (failure === null) throw err
        return showSignIn(request, reply, authorization, { ...failure, username })
      }
      deps.metrics.loginSucceeded()
      await recordLoginSucceeded(request, loginAudit, attempt)
      const previous = sessionToken(request, cookies)
      const { token, session } = await startBrowserSession({ userId: user.id, amr: ['pwd'], ip: request.ip, userAgent: userAgentOf(request) }, { ...sessions })
      if (previous !== undefined) await endPrevious(previous, user.id)                  // no session fixation, no pile-up
      setSessionCookie(reply, cookies, token, policy.absoluteSeconds)
      return proceed(request, reply, 303, authorization, { session, user }, true)
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
