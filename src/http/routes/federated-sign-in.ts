import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  AuthError, EmailNotVerified, InvalidCredentials, InvalidRequest, NotFound, consumeOneTimeToken, findSignedIn, hasSecondFactor, issueOneTimeToken, linkIdentity,
  mfaRequired, providerName, resolveFederatedSignIn, systemClock, throttledLogin, verifyCredentials, type FederatedSignIn, type IdentityProviderRecord,
  type LoginLimiter, type UpstreamIdentity, type UserRecord,
} from '../../core/index.js'
import { recordAudit } from '../audit.js'
import { assertSameSiteForm, csrfToken, sessionToken, type BrowserCookies } from '../browser.js'
import type { AppDeps } from '../deps.js'
import { UpstreamRefused, createUpstreams, type Upstreams } from '../federation/upstream.js'
import { formField, queryOf, sendPage } from '../page-context.js'
import { renderLinkAccount } from '../pages/link-account.js'
import { signInFailure } from '../sign-in-failure.js'
import type { SignInFor } from './authorize.js'

/*
 * "Sign in with Google / GitHub / …" (issue 11 part 2):
 *
 *   sign-in page → GET /signin/federated/{id}?request=… → 302 to the provider (PKCE, state, nonce)
 *   → the provider → GET /signin/callback/{id}?code&state → checked (openid-client / GitHub's API)
 *   → the account (federation.ts) → Tessera's own session → the app's request goes on
 *
 * The state is single-use and kept server-side as its hash, with the PKCE verifier and nonce,
 * and bound to the browser that started: a random value in a cookie whose hash the state keeps.
 * A callback URL carried to another browser (login CSRF, a stolen code) finds no such cookie.
 * Starting is a plain link (GET): what it begins can only finish in the same browser.
 */

export const FEDERATED_SIGN_IN_PATH = '/signin/federated'
export const FEDERATED_CALLBACK_PATH = '/signin/callback'
export const FEDERATED_LINK_PATH = '/signin/federated-link'

/** An upstream sign-in has this long to come back. */
const STATE_SECONDS = 10 * 60
const STATE_SHAPE = /^[A-Za-z0-9_-]{16,128}$/
const EXPIRED = 'This sign-in has expired or was already used. Start again from the sign-in page.'

type Problem = { status: number; message: string; username?: string; retryAfter?: number; link?: { href: string; text: string } }

/** What the sign-in routes (authorize.ts) lend this module: the same steps a password sign-in takes. */
export interface SignInTools {
  signingIn(request: FastifyRequest, reply: FastifyReply, step: (to: SignInFor) => Promise<FastifyReply>, field?: (name: string) => string | undefined): Promise<FastifyReply>
  signedInTo(request: FastifyRequest, reply: FastifyReply, to: SignInFor, user: UserRecord, amr: readonly string[]): Promise<FastifyReply>
  showSignIn(request: FastifyRequest, reply: FastifyReply, to: SignInFor, problem?: Problem): Promise<FastifyReply>
  showChallenge(request: FastifyRequest, reply: FastifyReply, to: SignInFor, user: Pick<UserRecord, 'username'>, mfaToken: string, problem?: Problem): FastifyReply
  carriedFields(to: SignInFor): Record<string, string>
  cookies: BrowserCookies
  sessions: Parameters<typeof findSignedIn>[1]
  loginLimiter: LoginLimiter
  credentialDeps: Parameters<typeof verifyCredentials>[1]
  mfa: Parameters<typeof hasSecondFactor>[1]
  mfaTokens: Parameters<typeof mfaRequired>[2] & { users: AppDeps['store']['users'] }
}

/** The sign-in page's link for a provider, carrying the page's request (the app's, or return_to). */
export function federatedSignInUrl(providerId: string, carried: Record<string, string>): string {
  return `${FEDERATED_SIGN_IN_PATH}/${encodeURIComponent(providerId)}?${new URLSearchParams(carried)}`
}

/** One discovery cache for the process: the sign-in and account pages start the same round trips. */
export const sharedUpstreams: Upstreams = createUpstreams()

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex')

function sameHash(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a, 'hex'), Buffer.from(b, 'hex')]
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The cookie binding an upstream sign-in to this browser; SameSite=Lax, since the provider's redirect back is a top-level GET from its site. */
function bindingCookie(cookies: BrowserCookies): string {
  return `${cookies.secure ? '__Host-' : ''}tessera-federation`
}

/** Who the provider said signed in, kept with a pending link (the one-time token's data). */
function identityData(identity: UpstreamIdentity): Record<string, string | null> {
  return {
    provider: identity.providerId, subject: identity.subject, email: identity.email, email_verified: identity.emailVerified ? 'true' : 'false',
    name: identity.name, preferred_username: identity.preferredUsername,
  }
}

function identityOf(data: Record<string, string | string[] | null>): UpstreamIdentity {
  const text = (name: string) => (typeof data[name] === 'string' ? data[name] as string : null)
  return {
    providerId: text('provider') ?? '', subject: text('subject') ?? '', email: text('email'), emailVerified: data.email_verified === 'true',
    name: text('name'), preferredUsername: text('preferred_username'),
  }
}


export interface FederatedStarter {
  providerOr404(id: string): Promise<IdentityProviderRecord>
  /** The provider's authorization URL, the state kept server-side and bound to this browser (a cookie on `reply`); `linkUserId` links to that signed-in account. */
  begin(reply: FastifyReply, provider: IdentityProviderRecord, carried: Record<string, string>, linkUserId: string | null): Promise<URL>
  /** begin(), answered with the redirect to the provider. */
  toProvider(reply: FastifyReply, provider: IdentityProviderRecord, carried: Record<string, string>, linkUserId: string | null): Promise<FastifyReply>
}

/** Beginning an upstream sign-in: shared by the sign-in page's links and the account page's "Link" (a form with the password). */
export function federatedStarter(deps: Pick<AppDeps, 'store' | 'config' | 'clock'>, cookies: BrowserCookies, upstreams: Upstreams): FederatedStarter {
  const { store, config } = deps
  const clock = deps.clock ?? systemClock
  const callbackUri = (id: string) => `${config.issuer.replace(/\/+$/, '')}${FEDERATED_CALLBACK_PATH}/${encodeURIComponent(id)}`
  async function begin(reply: FastifyReply, provider: IdentityProviderRecord, carried: Record<string, string>, linkUserId: string | null): Promise<URL> {
    const upstream = await upstreams.start(provider, callbackUri(provider.id)).catch((err: unknown) => {
      throw new UpstreamUnavailable(providerName(provider), err)
    })
    const binding = randomBytes(32).toString('base64url')
    const now = clock.now()
    await store.federationStates.create({
      stateHash: sha256(upstream.state), providerId: provider.id, bindingHash: sha256(binding), nonce: upstream.nonce,
      codeVerifier: upstream.codeVerifier, carried, linkUserId, createdAt: now, expiresAt: now + STATE_SECONDS * 1000,
    })
    reply.setCookie(bindingCookie(cookies), binding, { path: '/', httpOnly: true, sameSite: 'lax', secure: cookies.secure, maxAge: STATE_SECONDS })
    return upstream.url
  }
  return {
    async providerOr404(id) {
      const provider = await store.identityProviders.findById(id)
      if (provider === null) throw new NotFound('This sign-in option is not offered here')
      return provider
    },
    begin,
    async toProvider(reply, provider, carried, linkUserId) {
      return reply.code(302).header('location', (await begin(reply, provider, carried, linkUserId)).href).send()
    },
  }
}

export function federatedSignInRoutes(app: FastifyInstance, deps: AppDeps, tools: SignInTools, upstreams: Upstreams = sharedUpstreams): void {
  const { store, config } = deps
  const clock = deps.clock ?? systemClock
  const issuer = config.issuer.replace(/\/+$/, '')
  const callbackUri = (id: string) => `${issuer}${FEDERATED_CALLBACK_PATH}/${encodeURIComponent(id)}`
  const federation = () => ({ users: store.users, federatedIdentities: store.federatedIdentities, registration: config.registration, clock })
  const linkTokens = { oneTimeTokens: store.oneTimeTokens, clock }
  const { providerOr404, toProvider } = federatedStarter(deps, tools.cookies, upstreams)

  /** The account's second factor still applies after an upstream sign-in; then amr says how the first step was made. */
  async function finishSignIn(request: FastifyRequest, reply: FastifyReply, to: SignInFor, user: UserRecord, provider: IdentityProviderRecord, first: 'fed' | 'pwd') {
    const clientId = to.kind === 'app' ? to.authorization.client.id : null
    // TESSERA_EMAIL_VERIFICATION=required holds here too: an account whose address is not proved signs in nowhere.
    if (config.emailVerification === 'required' && !user.emailVerified) return tools.showSignIn(request, reply, to, signInFailure(new EmailNotVerified()) ?? undefined)
    if (await hasSecondFactor(user.id, tools.mfa)) {                  // the code step records the sign-in when it succeeds
      const challenge = await mfaRequired(user, { via: 'sign_in_page', clientId, first }, tools.mfaTokens)
      return tools.showChallenge(request, reply, to, user, challenge.mfaToken)
    }
    await recordAudit(store.audit, request, 'login.succeeded', { userId: user.id, username: user.username, clientId, details: { via: 'federated', provider: provider.id } }, clock.now())
    deps.metrics.loginSucceeded()
    return tools.signedInTo(request, reply, to, user, first === 'fed' ? ['fed'] : ['pwd', 'fed'])
  }

  async function showLinkPage(request: FastifyRequest, reply: FastifyReply, to: SignInFor, owner: UserRecord, identity: UpstreamIdentity, provider: IdentityProviderRecord, error?: string) {
    const { token } = await issueOneTimeToken({ purpose: 'link_provider', userId: owner.id, email: identity.email, data: identityData(identity) }, linkTokens)
    // The callback arrives from the provider's site, so the SameSite=Strict CSRF cookie was not sent: csrfToken sets one.
    return sendPage(reply.code(error === undefined ? 200 : 400), renderLinkAccount({
      productName: config.productName, providerName: providerName(provider), username: owner.username, email: identity.email ?? '',
      action: FEDERATED_LINK_PATH, hidden: { link_token: token, ...tools.carriedFields(to) }, csrf: csrfToken(request, reply, tools.cookies), error: error ?? null,
    }))
  }

  app.get(`${FEDERATED_SIGN_IN_PATH}/:provider`, { schema: { hide: true } }, async (request, reply) => {
    const { provider: id } = request.params as { provider: string }
    const query = queryOf(request)
    return tools.signingIn(request, reply, async (to) => {
      const provider = await providerOr404(id)
      return toProvider(reply, provider, tools.carriedFields(to), null)
    }, (name) => query.get(name) ?? undefined)
  })

  app.get(`${FEDERATED_CALLBACK_PATH}/:provider`, { schema: { hide: true } }, async (request, reply) => {
    const { provider: id } = request.params as { provider: string }
    const query = queryOf(request)
    const state = query.get('state') ?? ''
    reply.clearCookie(bindingCookie(tools.cookies), { path: '/', httpOnly: true, sameSite: 'lax', secure: tools.cookies.secure })
    const record = STATE_SHAPE.test(state) ? await store.federationStates.consume(sha256(state), clock.now()) : null  // single use
    if (record === null || record.providerId !== id) throw new InvalidRequest(EXPIRED)
    const binding = request.cookies[bindingCookie(tools.cookies)]
    if (binding === undefined || !sameHash(sha256(binding), record.bindingHash)) {
      throw new InvalidRequest('This sign-in was started in another browser. Start again from the sign-in page.')
    }
    const provider = await providerOr404(id)
    let identity: UpstreamIdentity
    try {
      identity = await upstreams.finish(provider, new URL(request.url, `${issuer}/`), {
        state, nonce: record.nonce, codeVerifier: record.codeVerifier, redirectUri: callbackUri(id),
      })
    } catch (err) {
      if (!(err instanceof UpstreamRefused)) throw err
      // The reason names the failed check (state, nonce, aud, signature …), never a token or code.
      request.log.warn({ provider: id, reason: err.reason }, 'upstream sign-in refused')
      await recordAudit(store.audit, request, 'federation.login_failed', { details: { provider: id, reason: err.reason } }, clock.now())
      throw new InvalidRequest(`${providerName(provider)} did not confirm the sign-in. Start again from the sign-in page.`)
    }

    if (record.linkUserId !== null) {                                    // from the account page: that user, still signed in here
      const signedIn = await findSignedIn(sessionToken(request, tools.cookies), tools.sessions)
      if (signedIn === null || signedIn.user.id !== record.linkUserId) throw new InvalidRequest('Sign in again, then link the provider from the account page.')
      await linkIdentity(signedIn.user, identity, federation())           // Conflict: linked to someone already
      await recordAudit(store.audit, request, 'federation.linked', { userId: signedIn.user.id, username: signedIn.user.username, details: { provider: id, via: 'account_page' } }, clock.now())
      return reply.code(303).header('location', '/account?done=provider_linked#providers').send()
    }

    return tools.signingIn(request, reply, async (to) => {
      let outcome: FederatedSignIn
      try {
        outcome = await resolveFederatedSignIn(identity, federation())
      } catch (err) {
        if (!(err instanceof AuthError)) throw err
        await recordAudit(store.audit, request, 'federation.login_failed', { details: { provider: id, reason: err.detail } }, clock.now())
        const failure = signInFailure(err)
        return tools.showSignIn(request, reply, to, failure ?? { status: err.status, message: err.detail })
      }
      if (outcome.kind === 'signed_in') {
        if (outcome.created) {
          await recordAudit(store.audit, request, 'federation.user_created', { userId: outcome.user.id, username: outcome.user.username, details: { provider: id } }, clock.now())
        }
        return finishSignIn(request, reply, to, outcome.user, provider, 'fed')
      }
      // An existing account has this address: a browser already signed in as it proves it; else its password does.
      const signedIn = await findSignedIn(sessionToken(request, tools.cookies), tools.sessions)
      if (signedIn !== null && signedIn.user.id === outcome.user.id) {
        await linkIdentity(outcome.user, identity, federation())
        await recordAudit(store.audit, request, 'federation.linked', { userId: outcome.user.id, username: outcome.user.username, details: { provider: id, via: 'session' } }, clock.now())
        return finishSignIn(request, reply, to, outcome.user, provider, 'fed')
      }
      return showLinkPage(request, reply, to, outcome.user, identity, provider)
    }, (name) => record.carried[name])
  })

  /** The existing account's password, once, to link the provider to it (never the address alone). */
  app.post(FEDERATED_LINK_PATH, { schema: { hide: true } }, async (request, reply) => {
    assertSameSiteForm(request, formField(request, 'csrf'), tools.cookies, config.issuer)
    return tools.signingIn(request, reply, async (to) => {
      const pending = await consumeOneTimeToken(formField(request, 'link_token'), 'link_provider', linkTokens)      // single use
      const owner = pending === null ? null : await store.users.findById(pending.userId)
      if (pending === null || owner === null) return tools.showSignIn(request, reply, to, { status: 400, message: EXPIRED })
      const identity = identityOf(pending.data)
      const provider = await providerOr404(identity.providerId)
      const password = formField(request, 'password') ?? ''
      let user: UserRecord
      try {
        user = await throttledLogin(tools.loginLimiter, { username: owner.username, ip: request.ip }, () =>
          verifyCredentials({ username: owner.username, password }, tools.credentialDeps))
      } catch (err) {
        if (err instanceof InvalidCredentials) return showLinkPage(request, reply, to, owner, identity, provider, 'That is not the password of this account.')
        const failure = signInFailure(err)
        if (failure === null) throw err
        return tools.showSignIn(request, reply, to, { ...failure, username: owner.username })
      }
      // The password alone is not this account's sign-in when it has a second factor: link only after both, from the account page.
      if (await hasSecondFactor(user.id, tools.mfa)) {
        return tools.showSignIn(request, reply, to, { status: 400, message: `This account uses two-step verification. Sign in with your password and code, then link ${providerName(provider)} on your account page.`, username: user.username })
      }
      await linkIdentity(user, identity, federation())
      await recordAudit(store.audit, request, 'federation.linked', { userId: user.id, username: user.username, details: { provider: provider.id, via: 'password' } }, clock.now())
      return finishSignIn(request, reply, to, user, provider, 'pwd')
    })
  })
}

/** The provider could not be reached to begin (its discovery document, say): a 503 page, not a crash. */
class UpstreamUnavailable extends AuthError {
  readonly status = 503
  constructor(name: string, cause: unknown) {
    super(`${name} cannot be reached right now. Try again in a moment, or sign in with your password.`)
    this.cause = cause
  }
}
