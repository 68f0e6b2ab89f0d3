import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import {
  MAILED_LINK_PATHS, NotFound, ONE_TIME_TOKEN_SECONDS, TooManyRequests, ValidationFailed, assertEmailShape, confirmEmailChange,
  pendingEmailChange, pendingEmailVerification, resendEmailVerification, systemClock, verifyEmail,
} from '../../core/index.js'
import { recordAudit } from '../audit.js'
import { assertSameSiteForm, browserCookies, csrfToken } from '../browser.js'
import type { AppDeps } from '../deps.js'
import { mailRequestLimiterFor } from '../limits.js'
import { emailVerificationDeps } from '../mail-link-deps.js'
import { EmailRequest, EmailStatus, ErrorDetail, HTTPValidationError, LinkRequested, LinkTokenRequest, jsonBody } from '../mail-link-schemas.js'
import { bodyField, formField, queryOf, sendPage, sentJson, usePageContext } from '../page-context.js'
import { renderConfirmEmailChange, renderEmailChanged } from '../pages/email-change.js'
import { renderEmailVerified, renderResendVerification, renderVerificationSent, renderVerifyEmail } from '../pages/verify-email.js'
import { MAIL_REQUEST_FLOOR_MS, noSoonerThan } from '../response-floor.js'

export const VERIFY_EMAIL_PATH = MAILED_LINK_PATHS.verifyEmail
export const RESEND_VERIFICATION_PATH = '/email/verify/resend'
export const CHANGE_EMAIL_PATH = MAILED_LINK_PATHS.changeEmail

/** Where a verified or changed address goes on: the account page (it asks to sign in first when needed). */
const ACCOUNT_PATH = '/account'

/** The answer to every resend request (JSON), whether or not an account needed a link. */
export const VERIFICATION_REQUESTED = 'If an account with this address still needs verifying, a new link is on its way.'

const UNAVAILABLE = 'Email verification is not available here: this server sends no verification mail.'

/**
 * The mailed links about addresses (issue 10 parts 2 and 3), as pages and as JSON on the same paths:
 *
 *   GET /email/verify?token=…  → POST /email/verify          the address is verified
 *   GET /email/verify/resend   → POST /email/verify/resend   a new link, for someone who cannot sign in yet
 *   GET /email/change?token=…  → POST /email/change          a requested new address applies, verified
 *
 * Opening a link (GET) never uses it: mail scanners fetch links before people do. The pages'
 * forms are CSRF-checked; JSON clients send the token in a JSON body and get JSON back.
 */
export const emailRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { store, config } = deps
  const clock = deps.clock ?? systemClock
  const { mailer } = deps
  const cookies = browserCookies(config.issuer)
  const limiter = mailRequestLimiterFor(deps, app.log)
  const verification = emailVerificationDeps(deps)
  const linkDeps = { ...verification, users: store.users }
  await usePageContext(app, { bodyLimit: config.bodyLimit, productName: config.productName, api: sentJson })

  function assertVerificationOn(): void {
    if (!mailer.enabled || config.emailVerification === 'off') throw new NotFound(UNAVAILABLE)
  }

  /** A POST of a page's form is CSRF-checked; a JSON call carries no cookie-borne authority to forge. */
  function assertForm(request: FastifyRequest): void {
    if (!sentJson(request)) assertSameSiteForm(request, formField(request, 'csrf'), cookies, config.issuer)
  }

  function showResend(request: FastifyRequest, reply: FastifyReply, email: string, problem?: { status: number; error: string; retryAfter?: number }) {
    if (problem?.retryAfter !== undefined) reply.header('retry-after', String(problem.retryAfter))
    return sendPage(reply.code(problem?.status ?? 200), renderResendVerification({
      productName: config.productName, action: RESEND_VERIFICATION_PATH, hidden: {}, csrf: csrfToken(request, reply, cookies),
      email, error: problem?.error ?? null,
    }))
  }

  app.get(VERIFY_EMAIL_PATH, { schema: { hide: true } }, async (request, reply) => {
    const token = queryOf(request).get('token') ?? undefined
    const user = await pendingEmailVerification(token, linkDeps)                // InvalidLink: the error page
    return sendPage(reply, renderVerifyEmail({
      productName: config.productName, action: VERIFY_EMAIL_PATH, hidden: { token: token as string }, csrf: csrfToken(request, reply, cookies),
      username: user.username, email: user.email ?? '',
    }))
  })

  app.post(VERIFY_EMAIL_PATH, {
    schema: {
      summary: 'Verify Email',
      description: 'Uses a verification link\'s token (24 hours, single-use): the account\'s address is verified. Also takes the hosted page\'s form.',
      body: jsonBody(LinkTokenRequest),
      response: { 200: EmailStatus, 400: ErrorDetail, 409: ErrorDetail, 422: HTTPValidationError },
    },
  }, async (request, reply) => {
    assertForm(request)
    const user = await verifyEmail(bodyField(request, 'token'), linkDeps)       // InvalidLink, Conflict('Email already in use')
    await recordAudit(store.audit, request, 'email.verified', { userId: user.id, username: user.username }, clock.now())
    const email = user.email ?? ''
    if (sentJson(request)) return reply.send({ email, email_verified: user.emailVerified })
    return sendPage(reply, renderEmailVerified({ productName: config.productName, email, continueUrl: ACCOUNT_PATH }))
  })

  app.get(RESEND_VERIFICATION_PATH, { schema: { hide: true } }, async (request, reply) => {
    assertVerificationOn()
    return showResend(request, reply, '')
  })

  app.post(RESEND_VERIFICATION_PATH, {
    schema: {
      summary: 'Resend Verification Email',
      description: 'Mails a new verification link to each account with this address that is not verified yet. The same 202 answer whether or not there is one. Limited per address and per client network.',
      body: jsonBody(EmailRequest),
      response: { 202: LinkRequested, 404: ErrorDetail, 422: HTTPValidationError, 429: ErrorDetail },
    },
  }, async (request, reply) => {
    const json = sentJson(request)
    assertForm(request)
    assertVerificationOn()
    const email = bodyField(request, 'email') ?? ''
    if (!json && email === '') return showResend(request, reply, email, { status: 422, error: 'Enter the email address of your account.' })
    try {
      assertEmailShape(email)
      await limiter.admit('verify_email', email, request.ip)
    } catch (err) {
      if (json) throw err
      if (err instanceof ValidationFailed) return showResend(request, reply, email, { status: 422, error: 'Enter a valid email address, like name@example.com.' })
      if (err instanceof TooManyRequests) {
        const minutes = Math.ceil(err.retryAfterSeconds / 60)
        return showResend(request, reply, email, { status: 429, error: `Too many links were asked for. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, retryAfter: err.retryAfterSeconds })
      }
      throw err
    }
    await noSoonerThan(MAIL_REQUEST_FLOOR_MS, async () => {                      // the same time whether or not a link went out
      const accounts = await resendEmailVerification(email, linkDeps)
      for (const account of accounts) {
        await recordAudit(store.audit, request, 'email.verification_sent', { userId: account.id, username: account.username, details: { via: 'resend' } }, clock.now())
      }
    })
    if (json) return reply.code(202).send({ detail: VERIFICATION_REQUESTED })
    return sendPage(reply, renderVerificationSent({ productName: config.productName, email, hours: ONE_TIME_TOKEN_SECONDS.verify_email / 3600 }))
  })

  app.get(CHANGE_EMAIL_PATH, { schema: { hide: true } }, async (request, reply) => {
    const token = queryOf(request).get('token') ?? undefined
    const pending = await pendingEmailChange(token, linkDeps)                   // InvalidLink: the error page
    return sendPage(reply, renderConfirmEmailChange({
      productName: config.productName, action: CHANGE_EMAIL_PATH, hidden: { token: token as string }, csrf: csrfToken(request, reply, cookies),
      username: pending.user.username, newEmail: pending.newEmail,
    }))
  })

  app.post(CHANGE_EMAIL_PATH, {
    schema: {
      summary: 'Confirm Email Change',
      description: 'Uses the token of the link mailed to a new address (24 hours, single-use): the account\'s address becomes it, verified. Also takes the hosted page\'s form.',
      body: jsonBody(LinkTokenRequest),
      response: { 200: EmailStatus, 400: ErrorDetail, 409: ErrorDetail, 422: HTTPValidationError },
    },
  }, async (request, reply) => {
    assertForm(request)
    const { user } = await confirmEmailChange(bodyField(request, 'token'), linkDeps) // InvalidLink, Conflict('Email already in use')
    await recordAudit(store.audit, request, 'email.changed', { userId: user.id, username: user.username, details: { via: 'link', verified: true } }, clock.now())
    const email = user.email ?? ''
    if (sentJson(request)) return reply.send({ email, email_verified: user.emailVerified })
    return sendPage(reply, renderEmailChanged({ productName: config.productName, email, continueUrl: ACCOUNT_PATH }))
  })
}
