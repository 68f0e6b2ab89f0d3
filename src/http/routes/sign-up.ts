import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import {
  Conflict, ServiceUnavailable, TooManyRequests, ValidationFailed, endBrowserSession, findSignedIn, registerUser, sendEmailVerification,
  startBrowserSession, systemClock, type UserRecord,
} from '../../core/index.js'
import { recordAudit } from '../audit.js'
import { assertSameSiteForm, browserCookies, csrfToken, sessionToken, setSessionCookie } from '../browser.js'
import type { AppDeps } from '../deps.js'
import { registrationLimiterFor } from '../limits.js'
import { emailVerificationDeps } from '../mail-link-deps.js'
import { formField, queryOf, sendPage, usePageContext } from '../page-context.js'
import { renderError } from '../pages/error.js'
import { SIGN_UP_PATH, renderCheckEmail, renderSignUp, type SignUpField } from '../pages/sign-up.js'
import { fieldMessages } from '../validation-messages.js'
import { AUTHORIZE_PATH, SIGN_IN_PATH, browserSessionPolicy } from './authorize.js'

/** Where the account page sends the sign-in page, and so where sign-up goes back to. */
const ACCOUNT_SIGN_IN = `${SIGN_IN_PATH}?return_to=%2Faccount`

/** An account page to come back to: only paths of /account (never another site, never another of our pages). */
const RETURN_TO = /^\/account(?:[/?#][^\s\\]*)?$/

/**
 * Where the sign-up came from and goes on to: an app's authorization request (its /authorize
 * query, carried from the sign-in page), or a page of the account (return_to), or neither.
 * The request is not trusted here: it is followed through GET /authorize, which checks it anew.
 */
interface Carried {
  request: string | null
  returnTo: string | null
}

function carriedFrom(read: (name: string) => string | undefined): Carried {
  const request = read('request')
  const returnTo = read('return_to')
  return {
    request: request === undefined ? null : new URLSearchParams(request).toString(),
    returnTo: returnTo !== undefined && RETURN_TO.test(returnTo) ? returnTo : null,
  }
}

function hiddenOf(carried: Carried): Record<string, string> {
  if (carried.request !== null) return { request: carried.request }
  return carried.returnTo === null ? {} : { return_to: carried.returnTo }
}


function signInUrlFor(carried: Carried): string {
  if (carried.request !== null) return `${AUTHORIZE_PATH}?${carried.request}`
  return carried.returnTo === null ? ACCOUNT_SIGN_IN : `${SIGN_IN_PATH}?${new URLSearchParams({ return_to: carried.returnTo }).toString()}`
}

function nextUrlFor(carried: Carried, verificationSent: boolean): string {
  if (carried.request !== null) return `${AUTHORIZE_PATH}?${carried.request}`           // the app's flow goes on, signed in
  if (carried.returnTo !== null) return carried.returnTo
  return `/account?done=${verificationSent ? 'welcome_verify' : 'welcome'}`
}

interface Problem {
  status: number
  error?: string
  fields?: Partial<Record<SignUpField, string>>
  retryAfter?: number
}

/** A refused sign-up as the page says it; null: not the visitor's problem (left to the error page). */
function problemOf(err: unknown): Problem | null {
  if (err instanceof ValidationFailed) {
    const messages = fieldMessages(err)
    return { status: 422, fields: { username: messages.username, email: messages.email, password: messages.password } }
  }
  if (err instanceof Conflict) return { status: 409, fields: { username: 'That username is taken. Choose another, or sign in.' } }
  if (err instanceof ServiceUnavailable) return { status: 503, error: 'The service is busy. Try again in a moment.', retryAfter: err.retryAfterSeconds }
  if (err instanceof TooManyRequests) {
    const minutes = Math.ceil(err.retryAfterSeconds / 60)
    return { status: 429, error: `Too many accounts were created from your network. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, retryAfter: err.retryAfterSeconds }
  }
  return null
}

/**
 * GET and POST /signup: open registration as a page (issue 10), the rules of POST /users behind
 * it (registerUser, the per-address registration limit). Afterwards the browser is signed in and
 * goes on where it was going — the app's authorization request, or the account page — unless
 * the address must be verified first (TESSERA_EMAIL_VERIFICATION=required): then it is told to
 * check its mail, since signing in would be refused until then.
 */
export const signUpRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { store, config, hasher } = deps
  const clock = deps.clock ?? systemClock
  const cookies = browserCookies(config.issuer)
  const policy = browserSessionPolicy(config)
  const sessions = { browserSessions: store.browserSessions, users: store.users, policy, clock }
  const registrations = registrationLimiterFor(deps, app.log)
  const verification = emailVerificationDeps(deps)
  const emailRequired = config.emailVerification === 'required'
  await usePageContext(app, { bodyLimit: config.bodyLimit, productName: config.productName })

  /** Registration is closed: the page says so plainly (the form would only be refused). */
  function closed(reply: FastifyReply): FastifyReply {
    return sendPage(reply.code(403), renderError({
      productName: config.productName, title: 'Sign-up is closed', message: 'New accounts are created by an administrator here. Ask yours for one.',
    }))
  }

  async function clientNameOf(carried: Carried): Promise<string | null> {
    const clientId = carried.request === null ? null : new URLSearchParams(carried.request).get('client_id')
    if (clientId === null || clientId.length > 512) return null
    return (await store.clients.findById(clientId))?.name ?? null
  }

  async function show(request: FastifyRequest, reply: FastifyReply, carried: Carried, typed: { username: string; email: string }, problem?: Problem) {
    if (problem?.retryAfter !== undefined) reply.header('retry-after', String(problem.retryAfter))
    return sendPage(reply.code(problem?.status ?? 200), renderSignUp({
      productName: config.productName, clientName: await clientNameOf(carried), action: SIGN_UP_PATH, hidden: hiddenOf(carried),
      csrf: csrfToken(request, reply, cookies), ...typed, emailRequired, error: problem?.error ?? null, fieldErrors: problem?.fields ?? {},
      signInUrl: signInUrlFor(carried),
    }))
  }

  app.get(SIGN_UP_PATH, { schema: { hide: true } }, async (request, reply) => {
    if (config.registration === 'closed') return closed(reply)
    const query = queryOf(request)
    return show(request, reply, carriedFrom((name) => query.get(name) ?? undefined), { username: '', email: '' })
  })

  app.post(SIGN_UP_PATH, { schema: { hide: true } }, async (request, reply) => {
    assertSameSiteForm(request, formField(request, 'csrf'), cookies, config.issuer)
    if (config.registration === 'closed') return closed(reply)
    const carried = carriedFrom((name) => formField(request, name))
    const typed = { username: formField(request, 'username') ?? '', email: formField(request, 'email') ?? '' }
    const password = formField(request, 'password') ?? ''
    const missing: Partial<Record<SignUpField, string>> = {
      ...(typed.username === '' ? { username: 'Choose a username.' } : {}),
      ...(password === '' ? { password: 'Choose a password.' } : {}),
      ...(emailRequired && typed.email === '' ? { email: 'Enter your email address: you verify it before you can sign in.' } : {}),
    }
    if (Object.keys(missing).length > 0) return show(request, reply, carried, typed, { status: 422, fields: missing })
    let user: UserRecord
    try {
      await registrations.admit(request.ip)                                            // per address, before any hashing
      user = await registerUser({ username: typed.username, password, email: typed.email === '' ? null : typed.email }, { users: store.users, hasher, passwordMaxBytes: config.passwordMaxBytes })
    } catch (err) {
      const problem = problemOf(err)
      if (problem === null) throw err
      return show(request, reply, carried, typed, problem)
    }
    await recordAudit(store.audit, request, 'user.registered', { userId: user.id, username: user.username, details: { via: 'sign_up_page' } }, clock.now())
    const sent = await sendEmailVerification(user, verification)
    if (sent) await recordAudit(store.audit, request, 'email.verification_sent', { userId: user.id, username: user.username, details: { via: 'sign_up_page' } }, clock.now())
    if (emailRequired) return sendPage(reply, renderCheckEmail({ productName: config.productName, email: user.email ?? '', signInUrl: signInUrlFor(carried) }))
    await signIn(request, reply, user)
    return reply.code(303).header('location', nextUrlFor(carried, sent)).send()
  })

  /** The new account's first sign-in (its password was just chosen); a previous sign-in of this browser ends with what it began. */
  async function signIn(request: FastifyRequest, reply: FastifyReply, user: UserRecord): Promise<void> {
    const previous = await findSignedIn(sessionToken(request, cookies), sessions)
    if (previous !== null) await endBrowserSession(previous.session, { browserSessions: store.browserSessions, refreshTokens: store.refreshTokens, clock })
    const agent = request.headers['user-agent']
    const { token } = await startBrowserSession({
      userId: user.id, amr: ['pwd'], ip: request.ip, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null,
    }, sessions)
    setSessionCookie(reply, cookies, token, policy.absoluteSeconds)
  }
}
