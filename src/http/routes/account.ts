import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import {
  AuthError, Conflict, IncorrectPassword, InvalidOtp, InvalidRequest, ServiceUnavailable, TooManyRequests, ValidationFailed,
  changePasswordInBrowser, confirmPassword, endOtherBrowserSessions, endOwnBrowserSession, findSignedIn, listBrowserSessions,
  hasPassword, isClientScope, providerName, noMailer, revokeConsent, unlinkIdentity, type UserRecord, scopeDescription, systemClock, throttledLogin, toErrorResponse, TooManyLoginFailures, type SignedIn,
} from '../../core/index.js'
import { recordAudit, type AuditFields } from '../audit.js'
import { assertSameSiteForm, browserCookies, clearSessionCookie, csrfToken, sessionToken, setSessionCookie } from '../browser.js'
import type { AppDeps } from '../deps.js'
import { loginLimiterFor } from '../limits.js'
import { formField, queryOf, sendPage, usePageContext } from '../page-context.js'
import { ACCOUNT_PATHS, renderAccount, type AccountAppView, type AccountProviderView, type AccountSection, type AccountView } from '../pages/account.js'
import { deviceName } from '../pages/device-name.js'
import { renderSignedOut } from '../pages/signed-out.js'
import { sessionDeps } from '../session-deps.js'
import { fieldMessages } from '../validation-messages.js'
import { accountEmailRoutes } from './account-email.js'
import { accountMfaRoutes, mfaStatusFor } from './account-mfa.js'
import { SIGN_IN_PATH, browserSessionPolicy } from './authorize.js'
import { federatedStarter, sharedUpstreams } from './federated-sign-in.js'
import { renderContinueToProvider } from '../pages/continue-to-provider.js'

/** The sign-in page in its account mode (no app): it comes back to /account. */
export const ACCOUNT_SIGN_IN = `${SIGN_IN_PATH}?return_to=%2Faccount`

/**
 * What `?done=` may say after a change: a closed set of fixed sentences, so the query can carry
 * no text of its own onto the page (never data: the address, a code, a name).
 */
export const NOTICES = {
  profile: 'Your name was saved.',
  verification_sent: 'We sent a verification link to your email address.',
  email_sent: 'We sent a confirmation link to your new address. Your address changes when you open it.',
  email_changed: 'Your email address was changed.',
  password: 'Your password was changed. Every other browser and app was signed out.',
  totp_removed: 'Two-step verification is off.',
  session_ended: 'That browser was signed out.',
  sessions_ended: 'Every other browser was signed out.',
  app_removed: 'The app no longer has access to your account.',
  provider_linked: 'The provider is linked: you can sign in with it now.',
  provider_unlinked: 'The provider is unlinked.',
  welcome: 'Your account is ready.',
  welcome_verify: 'Your account is ready. We sent a link to your email address: open it to verify the address.',
} as const

export type Notice = keyof typeof NOTICES

function noticeOf(done: string | null): string | null {
  return done !== null && Object.hasOwn(NOTICES, done) ? NOTICES[done as Notice] : null
}

const FULL_NAME_MAX = 200
/** What the users table stores as text on both backends (schemas.ts's STORABLE_TEXT): no NUL, no lone surrogate. */
const UNSTORABLE = /[\u0000\p{Cs}]/u

/** A field to show again after a refusal: '' when absent or unreadable (sent twice: that may be the refusal). */
function typedBack(request: FastifyRequest, name: string): string {
  try {
    return formField(request, name) ?? ''
  } catch {
    return ''
  }
}

/** The context every account form handler gets: the signed-in browser, and how to finish. */
export interface AccountAction {
  request: FastifyRequest
  reply: FastifyReply
  signedIn: SignedIn
  /** 303 back to the account page with a notice. */
  done(notice: Notice): FastifyReply
  /** Records an audit event about the signed-in user. */
  audit(event: Parameters<typeof recordAudit>[2], fields?: AuditFields): Promise<void>
}

export type AccountPost = (path: string, section: AccountSection, handle: (action: AccountAction) => Promise<FastifyReply>) => void

/**
 * The account page (issue 10 part 5) at /account: profile, email, password, the second factor,
 * the browser sign-ins and the apps allowed. A signed-in browser session is required (else the
 * sign-in page in account mode). Every form posts to its own path, is CSRF-checked first
 * (assertSameSiteForm), and answers 303 to /account?done=… — or, when refused, the page again
 * with the problem in the form's section and the error's status (core's mapping).
 */
export const accountRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { store, config, hasher } = deps
  const clock = deps.clock ?? systemClock
  const cookies = browserCookies(config.issuer)
  const policy = browserSessionPolicy(config)
  const sessions = { browserSessions: store.browserSessions, users: store.users, policy, clock }
  const accountSessions = { ...sessions, refreshTokens: store.refreshTokens }
  const loginLimiter = loginLimiterFor(deps, app.log)
  const reauth = { hasher, passwordMaxBytes: config.passwordMaxBytes }
  const mailer = deps.mailer ?? noMailer
  const mfaStatus = mfaStatusFor(deps)
  const starter = federatedStarter(deps, cookies, sharedUpstreams)
  await usePageContext(app, { bodyLimit: config.bodyLimit, productName: config.productName })

  async function appsOf(userId: string): Promise<AccountAppView[]> {
    const apps: AccountAppView[] = []
    for (const consent of await store.consents.listForUser(userId)) {
      const client = await store.clients.findById(consent.clientId)
      if (client === null) continue                                   // deleted meanwhile (its consents go with it)
      apps.push({ clientId: client.id, name: client.name, since: consent.createdAt, scopes: consent.scopes.map((name) => ({ name, description: isClientScope(name) ? scopeDescription(name) : name })) })
    }
    return apps
  }

  async function providersOf(user: UserRecord): Promise<AccountProviderView[]> {
    const links = await store.federatedIdentities.listForUser(user.id)
    const needsPassword = hasPassword(user)
    return (await store.identityProviders.list()).map((p) => {
      const link = links.find((l) => l.providerId === p.id)
      return {
        id: p.id, name: providerName(p),
        linked: link === undefined ? null : { email: link.email, since: link.createdAt },
        needsPassword,
      }
    })
  }

  async function showAccount(request: FastifyRequest, reply: FastifyReply, signedIn: SignedIn, extra: Partial<Pick<AccountView, 'notice' | 'problem' | 'typed'>> = {}) {
    const { user, session } = signedIn
    const mail = mailer.enabled
    const listed = await listBrowserSessions(signedIn, accountSessions)
    return sendPage(reply, renderAccount({
      productName: config.productName, csrf: csrfToken(request, reply, cookies),
      username: user.username, email: user.email, emailVerified: user.emailVerified, fullName: user.fullName,
      notice: null, problem: null, ...extra,
      mailEnabled: mail, canVerifyEmail: mail && config.emailVerification !== 'off' && user.email !== null && !user.emailVerified,
      mfa: await mfaStatus(user.id),
      sessions: listed.map((s) => ({ id: s.id, device: deviceName(s.userAgent), ip: s.ip, lastUsedAt: s.lastSeenAt, signedInAt: s.authenticatedAt, current: s.id === session.id })),
      apps: await appsOf(user.id),
      providers: await providersOf(user),
    }))
  }

  app.get(ACCOUNT_PATHS.page, { schema: { hide: true } }, async (request, reply) => {
    const signedIn = await findSignedIn(sessionToken(request, cookies), sessions)
    if (signedIn === null) return reply.code(303).header('location', ACCOUNT_SIGN_IN).send()
    await store.browserSessions.touch(signedIn.session.id, clock.now())   // using the account page is using the sign-in
    const touched = { ...signedIn, session: { ...signedIn.session, lastSeenAt: Math.max(signedIn.session.lastSeenAt, clock.now()) } }
    return showAccount(request, reply, touched, { notice: noticeOf(queryOf(request).get('done')) })
  })

  /** A refused change as its section says it, with the status core's mapping gives the error; null: not the user's problem. */
  function problemOf(err: unknown, section: AccountSection): { status: number; message: string; retryAfter?: number } | null {
    if (!(err instanceof AuthError)) return null
    const { status } = toErrorResponse(err)
    if (status >= 500 && !(err instanceof ServiceUnavailable)) return null
    if (err instanceof IncorrectPassword) return { status, message: 'That is not your current password.' }
    if (err instanceof TooManyRequests) {
      const minutes = Math.ceil(err.retryAfterSeconds / 60)
      const what = err instanceof TooManyLoginFailures ? 'Too many wrong passwords or codes.' : 'Too many requests.'
      return { status, message: `${what} Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, retryAfter: err.retryAfterSeconds }
    }
    if (err instanceof ServiceUnavailable) return { status, message: 'The service is busy. Try again in a moment.', retryAfter: err.retryAfterSeconds }
    if (err instanceof ValidationFailed) return { status, message: Object.values(fieldMessages(err))[0] ?? 'Check what you entered.' }
    if (err instanceof InvalidOtp) return { status, message: 'That code is not right. Enter the code the app shows now.' }
    if (err instanceof Conflict && section === 'email') return { status, message: 'Another account already uses that address.' }
    if (err instanceof Conflict && section === 'mfa') return { status, message: 'Two-step verification is already on.' }
    return { status, message: err.detail }
  }

  const accountPost: AccountPost = (path, section, handle) => {
    app.post(path, { schema: { hide: true } }, async (request, reply) => {
      assertSameSiteForm(request, formField(request, 'csrf'), cookies, config.issuer)
      const signedIn = await findSignedIn(sessionToken(request, cookies), sessions)
      if (signedIn === null) return reply.code(303).header('location', ACCOUNT_SIGN_IN).send()
      const { user } = signedIn
      const action: AccountAction = {
        request, reply, signedIn,
        done: (notice) => reply.code(303).header('location', `${ACCOUNT_PATHS.page}?done=${notice}#${section}`).send(),
        audit: (event, fields = {}) => recordAudit(store.audit, request, event, { userId: user.id, username: user.username, ...fields }, clock.now()),
      }
      try {
        return await handle(action)
      } catch (err) {
        const problem = problemOf(err, section)
        if (problem === null) throw err
        if (problem.retryAfter !== undefined) reply.header('retry-after', String(problem.retryAfter))
        const typed = { fullName: typedBack(request, 'full_name'), newEmail: typedBack(request, 'email') }
        return showAccount(request, reply.code(problem.status), signedIn, { problem: { section, message: problem.message }, typed })
      }
    })
  }

  /** A password typed to confirm a change: the login limits apply (a stolen cookie must not buy guesses). */
  async function passwordConfirmed(action: AccountAction): Promise<void> {
    const password = formField(action.request, 'password')
    if (password === undefined) throw new InvalidRequest('Enter your current password.')
    const { user } = action.signedIn
    await throttledLogin(loginLimiter, { username: user.username, ip: action.request.ip }, () => confirmPassword(user, password, reauth))
  }

  accountPost(ACCOUNT_PATHS.profile, 'profile', async (action) => {
    const fullName = formField(action.request, 'full_name')?.trim() ?? ''
    if ([...fullName].length > FULL_NAME_MAX || UNSTORABLE.test(fullName)) {
      throw new ValidationFailed([{ type: 'string_too_long', loc: ['body', 'full_name'], msg: `String should have at most ${FULL_NAME_MAX} characters`, ctx: { max_length: FULL_NAME_MAX } }])
    }
    await store.users.update(action.signedIn.user.id, { fullName: fullName === '' ? null : fullName })
    return action.done('profile')
  })

  accountPost(ACCOUNT_PATHS.password, 'password', async (action) => {
    const { request, reply, signedIn } = action
    const current = formField(request, 'current_password')
    const next = formField(request, 'new_password')
    if (current === undefined) throw new InvalidRequest('Enter your current password.')
    if (next === undefined) throw new InvalidRequest('Choose a new password.')
    if (formField(request, 'new_password_again') !== next) throw new InvalidRequest('The two new passwords differ. Type the same one twice.')
    const { user } = signedIn
    const agent = request.headers['user-agent']
    let changed
    try {
      changed = await throttledLogin(loginLimiter, { username: user.username, ip: request.ip }, () => changePasswordInBrowser(signedIn, { current_password: current, new_password: next }, {
        ip: request.ip, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null,
      }, { ...sessionDeps(deps), users: store.users, browserSessions: store.browserSessions, hasher, passwordMaxBytes: config.passwordMaxBytes, policy }))
    } catch (err) {
      if (err instanceof IncorrectPassword) await action.audit('password.change_failed', { details: { reason: 'incorrect_password', via: 'account_page' } })
      throw err
    }
    setSessionCookie(reply, cookies, changed.token, policy.absoluteSeconds)
    await action.audit('password.changed', { details: { via: 'account_page' } })
    return action.done('password')
  })

  accountPost(ACCOUNT_PATHS.endSession, 'sessions', async (action) => {
    const { request, reply, signedIn } = action
    const ended = await endOwnBrowserSession(signedIn, formField(request, 'session_id') ?? '', accountSessions)
    if (ended === null) throw new InvalidRequest('That sign-in has already ended.')
    if (ended.refreshTokensRevoked > 0) deps.metrics.tokenRevoked()
    await action.audit('session.ended', { details: { via: 'account_page', sessions: 1, refresh_tokens_revoked: ended.refreshTokensRevoked } })
    if (formField(request, 'session_id') !== signedIn.session.id) return action.done('session_ended')
    clearSessionCookie(reply, cookies)                                   // this very browser: signed out
    return sendPage(reply, renderSignedOut({ productName: config.productName }))
  })

  accountPost(ACCOUNT_PATHS.endOtherSessions, 'sessions', async (action) => {
    const ended = await endOtherBrowserSessions(action.signedIn, accountSessions)
    if (ended.refreshTokensRevoked > 0) deps.metrics.tokenRevoked()
    await action.audit('session.ended', { details: { via: 'account_page', sessions: ended.sessions, refresh_tokens_revoked: ended.refreshTokensRevoked } })
    return action.done('sessions_ended')
  })

  accountPost(ACCOUNT_PATHS.linkProvider, 'providers', async (action) => {
    const { user } = action.signedIn
    const provider = await starter.providerOr404(formField(action.request, 'provider_id') ?? '')
    if (hasPassword(user)) await passwordConfirmed(action)
    const href = await starter.begin(action.reply, provider, { return_to: ACCOUNT_PATHS.page }, user.id)
    return sendPage(action.reply, renderContinueToProvider({ productName: config.productName, providerName: providerName(provider), href: href.href }))
  })

  accountPost(ACCOUNT_PATHS.unlinkProvider, 'providers', async (action) => {
    const providerId = formField(action.request, 'provider_id')
    if (providerId === undefined || providerId.length > 64) throw new InvalidRequest('No provider was named.')
    // Conflict when it is the last way to sign in (no password, no other link): the section says so.
    if (await unlinkIdentity(action.signedIn.user, providerId, { federatedIdentities: store.federatedIdentities })) {
      await action.audit('federation.unlinked', { details: { provider: providerId } })
    }
    return action.done('provider_unlinked')
  })

  accountPost(ACCOUNT_PATHS.revokeApp, 'apps', async (action) => {
    const clientId = formField(action.request, 'client_id')
    if (clientId === undefined || clientId.length > 512) throw new InvalidRequest('No app was named.')
    const { revoked, refreshTokensRevoked } = await revokeConsent(action.signedIn.user.id, clientId, { consents: store.consents, refreshTokens: store.refreshTokens, clock })
    if (refreshTokensRevoked > 0) deps.metrics.tokenRevoked()
    if (revoked || refreshTokensRevoked > 0) await action.audit('consent.revoked', { clientId, details: { refresh_tokens_revoked: refreshTokensRevoked } })
    return action.done('app_removed')
  })

  accountEmailRoutes(app, deps, { accountPost, passwordConfirmed })
  accountMfaRoutes(app, deps, { accountPost, passwordConfirmed, csrf: (request, reply) => csrfToken(request, reply, cookies) })
}
