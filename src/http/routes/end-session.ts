import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import {
  endBrowserSession, findSignedIn, postLogoutRedirectUrl, resolveEndSession, systemClock, type EndSessionParameters,
  type EndSessionRequest, type IdTokens, type SignedIn,
} from '../../core/index.js'
import { recordAudit } from '../audit.js'
import { assertSameSiteForm, browserCookies, clearSessionCookie, csrfToken, sessionToken } from '../browser.js'
import type { AppDeps } from '../deps.js'
import { formField, queryOf, sendPage, usePageContext } from '../page-context.js'
import { cspSourceFor } from '../pages/csp.js'
import { renderSignOutConfirm, renderSignedOut } from '../pages/signed-out.js'
import { browserSessionPolicy } from './authorize.js'

export const END_SESSION_PATH = '/end-session'

const PARAMETERS = ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id'] as const

/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), GET or POST (§2). With an
 * id_token_hint of the signed-in user the browser is signed out at once; without one (anyone
 * can link here) the user is asked first, so a stray link cannot sign them out (§2: "the OP
 * SHOULD ask the End-User whether to log out"). Afterwards the browser goes to the registered
 * post_logout_redirect_uri with `state`, or sees the signed-out page.
 */
export const endSessionRoutes: FastifyPluginAsync<AppDeps & { idTokens: IdTokens }> = async (app, deps) => {
  const { store, config } = deps
  const clock = deps.clock ?? systemClock
  const cookies = browserCookies(config.issuer)
  const sessions = { browserSessions: store.browserSessions, users: store.users, policy: browserSessionPolicy(config), clock }
  await usePageContext(app, { bodyLimit: config.bodyLimit, productName: config.productName })

  /** The logout parameters as sent (to carry through the confirmation form) and as core reads them. */
  function parametersOf(read: (name: string) => string | undefined): { sent: Record<string, string>; parameters: EndSessionParameters } {
    const sent = Object.fromEntries(PARAMETERS.flatMap((name) => { const value = read(name); return value === undefined ? [] : [[name, value]] }))
    return {
      sent,
      parameters: { idTokenHint: sent.id_token_hint, postLogoutRedirectUri: sent.post_logout_redirect_uri, state: sent.state, clientId: sent.client_id },
    }
  }

  const formAction = (logout: EndSessionRequest) => [logout.redirectUri === null ? null : cspSourceFor(logout.redirectUri)].filter((s): s is string => s !== null)

  /** Signs the browser out (if it still is signed in) and shows where it goes next. */
  async function signOut(request: FastifyRequest, reply: FastifyReply, logout: EndSessionRequest, signedIn: SignedIn | null): Promise<FastifyReply> {
    if (signedIn !== null) {
      const revoked = await endBrowserSession(signedIn.session, { browserSessions: store.browserSessions, refreshTokens: store.refreshTokens, clock })
      if (revoked > 0) deps.metrics.tokenRevoked()
      await recordAudit(store.audit, request, 'session.ended', {
        userId: signedIn.user.id, username: signedIn.user.username, clientId: logout.client?.id ?? null, details: { refresh_tokens_revoked: revoked },
      }, clock.now())
    }
    clearSessionCookie(reply, cookies)
    const location = postLogoutRedirectUrl(logout)
    if (location !== null) return reply.code(303).header('location', location).send()
    return sendPage(reply, renderSignedOut({ productName: config.productName, clientName: logout.client?.name ?? null }))
  }

  /** The hint names the signed-in user (and, when it has one, this very session): no need to ask. */
  function hintMatches(logout: EndSessionRequest, signedIn: SignedIn): boolean {
    const { hint } = logout
    return hint !== null && hint.sub === signedIn.user.id && (hint.sid === null || hint.sid === signedIn.session.id)
  }

  async function handle(request: FastifyRequest, reply: FastifyReply, sent: ReturnType<typeof parametersOf>, confirmed: boolean): Promise<FastifyReply> {
    const logout = await resolveEndSession(sent.parameters, { idTokens: deps.idTokens, clients: store.clients })  // bad hint or URI: a page
    const signedIn = await findSignedIn(sessionToken(request, cookies), sessions)
    if (signedIn === null || confirmed || hintMatches(logout, signedIn)) return signOut(request, reply, logout, signedIn)
    return sendPage(reply, renderSignOutConfirm({
      productName: config.productName, clientName: logout.client?.name ?? null, action: END_SESSION_PATH,
      hidden: { ...sent.sent, confirm: 'yes' }, csrf: csrfToken(request, reply, cookies),
    }), formAction(logout))
  }

  const schema = {
    summary: 'End Session',
    description: 'OpenID Connect RP-Initiated Logout 1.0, for a browser: `id_token_hint`, `post_logout_redirect_uri` (exactly as registered), '
      + '`state`, `client_id` (query for GET, form for POST). Signs the browser out of Tessera (its sign-in session and the refresh tokens '
      + 'started from it), then redirects to `post_logout_redirect_uri` with `state`, or shows the signed-out page. Without an '
      + 'id_token_hint of the signed-in user it asks for confirmation first.',
  }

  app.get(END_SESSION_PATH, { schema }, async (request, reply) => {
    const query = queryOf(request)
    return handle(request, reply, parametersOf((name) => query.get(name) ?? undefined), false)
  })

  app.post(END_SESSION_PATH, { schema }, async (request, reply) => {
    // The confirmation form is ours (CSRF-checked); a POST from an app is treated as its GET.
    const confirmed = formField(request, 'confirm') === 'yes'
    if (confirmed) assertSameSiteForm(request, formField(request, 'csrf'), cookies, config.issuer)
    return handle(request, reply, parametersOf((name) => formField(request, name)), confirmed)
  })
}

