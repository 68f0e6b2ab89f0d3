import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import {
  InvalidLink, MAILED_LINK_PATHS, NotFound, ONE_TIME_TOKEN_SECONDS, TooManyRequests, ValidationFailed, assertEmailShape,
  passwordResetAccount, requestPasswordReset, resetPasswordWithLink, systemClock,
} from '../../core/index.js'
import { recordAudit } from '../audit.js'
import { assertSameSiteForm, browserCookies, clearSessionCookie, csrfToken } from '../browser.js'
import type { AppDeps } from '../deps.js'
import { mailRequestLimiterFor } from '../limits.js'
import { mailLinkDeps } from '../mail-link-deps.js'
import { EmailRequest, ErrorDetail, HTTPValidationError, LinkRequested, PasswordResetRequest, jsonBody } from '../mail-link-schemas.js'
import { bodyField, formField, queryOf, sendPage, sentJson, usePageContext } from '../page-context.js'
import { FORGOT_PASSWORD_PATH, renderForgotPassword, renderResetLinkSent } from '../pages/forgot-password.js'
import { renderPasswordResetDone, renderResetPassword, type ResetPasswordField } from '../pages/reset-password.js'
import { MAIL_REQUEST_FLOOR_MS, noSoonerThan } from '../response-floor.js'
import { fieldMessages } from '../validation-messages.js'

export { FORGOT_PASSWORD_PATH }
export const RESET_PASSWORD_PATH = MAILED_LINK_PATHS.resetPassword

/** Signing in without an app: the account page, which the sign-in page leads back to. */
const ACCOUNT_SIGN_IN = '/signin?return_to=%2Faccount'

/** The answer to every request for a reset link (JSON), whether or not an account uses the address. */
export const RESET_LINK_REQUESTED = 'If an account uses this address, a link to choose a new password is on its way.'

const UNAVAILABLE = 'Password reset is not available here: this server sends no mail. Ask your administrator to set a new password.'

interface FormProblem {
  status: number
  error?: string
  fields?: Partial<Record<ResetPasswordField, string>>
  retryAfter?: number
}

/** A refused request for a link as the forgot-password page says it; null: left to the error page. */
function requestProblem(err: unknown): FormProblem | null {
  if (err instanceof ValidationFailed) return { status: 422, error: 'Enter a valid email address, like name@example.com.' }
  if (err instanceof TooManyRequests) {
    const minutes = Math.ceil(err.retryAfterSeconds / 60)
    return { status: 429, error: `Too many reset links were asked for. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, retryAfter: err.retryAfterSeconds }
  }
  return null
}

/**
 * Password reset (issue 10 part 3), as pages and as JSON on the same paths:
 *
 *   GET /password/forgot → POST /password/forgot {email} → mail → GET /password/reset?token=…
 *                        → POST /password/reset {token, new_password} → signed out everywhere
 *
 * The request for a link answers the same, in the same time, whether or not an account uses the
 * address, and is limited per address and per network. Opening the link changes nothing; the
 * form's POST uses it. JSON clients (`Content-Type: application/json`) get 202 / 204 and JSON
 * errors; the pages' forms are CSRF-checked and say what is wrong next to the field.
 */
export const passwordResetRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { store, config, hasher } = deps
  const clock = deps.clock ?? systemClock
  const { mailer } = deps
  const cookies = browserCookies(config.issuer)
  const limiter = mailRequestLimiterFor(deps, app.log)
  const links = mailLinkDeps(deps)
  const resetDeps = {
    ...links, users: store.users, refreshTokens: store.refreshTokens, browserSessions: store.browserSessions, hasher,
    passwordMaxBytes: config.passwordMaxBytes,
  }
  await usePageContext(app, { bodyLimit: config.bodyLimit, productName: config.productName, api: sentJson })

  function assertMailOn(): void {
    if (!mailer.enabled) throw new NotFound(UNAVAILABLE)
  }

  function showForgot(request: FastifyRequest, reply: FastifyReply, email: string, problem?: FormProblem): FastifyReply {
    if (problem?.retryAfter !== undefined) reply.header('retry-after', String(problem.retryAfter))
    return sendPage(reply.code(problem?.status ?? 200), renderForgotPassword({
      productName: config.productName, action: FORGOT_PASSWORD_PATH, hidden: {}, csrf: csrfToken(request, reply, cookies),
      email, error: problem?.error ?? null, signInUrl: ACCOUNT_SIGN_IN,
    }))
  }

  async function showReset(request: FastifyRequest, reply: FastifyReply, token: string | undefined, problem?: FormProblem): Promise<FastifyReply> {
    const user = await passwordResetAccount(token, { ...links, users: store.users })   // InvalidLink: the error page
    return sendPage(reply.code(problem?.status ?? 200), renderResetPassword({
      productName: config.productName, action: RESET_PASSWORD_PATH, hidden: { token: token as string }, csrf: csrfToken(request, reply, cookies),
      username: user.username, fieldErrors: problem?.fields ?? {},
    }))
  }

  app.get(FORGOT_PASSWORD_PATH, { schema: { hide: true } }, async (request, reply) => {
    assertMailOn()
    return showForgot(request, reply, '')
  })

  app.post(FORGOT_PASSWORD_PATH, {
    schema: {
      summary: 'Forgot Password',
      description: 'Mails a single-use link (30 minutes) to choose a new password. The same 202 answer, in the same time, whether or not an account uses the address. Limited per address and per client network. Also takes the hosted page\'s form.',
      body: jsonBody(EmailRequest),
      response: { 202: LinkRequested, 404: ErrorDetail, 422: HTTPValidationError, 429: ErrorDetail },
    },
  }, async (request, reply) => {
    const json = sentJson(request)
    if (!json) assertSameSiteForm(request, formField(request, 'csrf'), cookies, config.issuer)
    assertMailOn()
    const email = bodyField(request, 'email') ?? ''
    if (!json && email === '') return showForgot(request, reply, email, { status: 422, error: 'Enter the email address of your account.' })
    try {
      assertEmailShape(email)                                                    // a typo costs no budget
      await limiter.admit('reset_password', email, request.ip)                   // per address and per network, known or not
    } catch (err) {
      const problem = json ? null : requestProblem(err)
      if (problem === null) throw err
      return showForgot(request, reply, email, problem)
    }
    await noSoonerThan(MAIL_REQUEST_FLOOR_MS, async () => {                      // the same time for known and unknown addresses
      const accounts = await requestPasswordReset(email, { ...links, users: store.users })
      const via = json ? 'api' : 'page'
      if (accounts.length === 0) await recordAudit(store.audit, request, 'password.reset_requested', { details: { via, mailed: false } }, clock.now())
      for (const account of accounts) {
        await recordAudit(store.audit, request, 'password.reset_requested', { userId: account.id, username: account.username, details: { via, mailed: true } }, clock.now())
      }
    })
    if (json) return reply.code(202).send({ detail: RESET_LINK_REQUESTED })
    return sendPage(reply, renderResetLinkSent({ productName: config.productName, email, minutes: ONE_TIME_TOKEN_SECONDS.reset_password / 60 }))
  })

  app.get(RESET_PASSWORD_PATH, { schema: { hide: true } }, async (request, reply) => {
    return showReset(request, reply, queryOf(request).get('token') ?? undefined)     // reads the link, never uses it
  })

  app.post(RESET_PASSWORD_PATH, {
    schema: {
      summary: 'Reset Password',
      description: 'Uses a reset link\'s token: sets the new password (the registration policy) and ends every session of the account. Also takes the hosted page\'s form.',
      body: jsonBody(PasswordResetRequest),
      response: { 204: Type.Null({ description: 'The password is set; every session of the account has ended.' }), 400: ErrorDetail, 422: HTTPValidationError },
    },
  }, async (request, reply) => {
    const json = sentJson(request)
    if (!json) assertSameSiteForm(request, formField(request, 'csrf'), cookies, config.issuer)
    const token = bodyField(request, 'token')
    const newPassword = bodyField(request, 'new_password') ?? ''
    if (!json) {
      const again = formField(request, 'new_password_again') ?? ''
      if (newPassword === '') return showReset(request, reply, token, { status: 422, fields: { new_password: 'Choose a new password.' } })
      if (again !== newPassword) return showReset(request, reply, token, { status: 422, fields: { new_password_again: 'The two passwords differ. Type the same one twice.' } })
    }
    let user
    try {
      user = await resetPasswordWithLink({ token, newPassword }, resetDeps)
    } catch (err) {
      if (err instanceof InvalidLink) await recordAudit(store.audit, request, 'password.reset_failed', { details: { reason: 'invalid_link' } }, clock.now())
      if (!json && err instanceof ValidationFailed) return showReset(request, reply, token, { status: 422, fields: { new_password: fieldMessages(err).new_password ?? 'Choose another password.' } })
      throw err
    }
    await recordAudit(store.audit, request, 'password.reset', { userId: user.id, username: user.username, details: { via: json ? 'api' : 'page' } }, clock.now())
    if (json) return reply.code(204).send()
    clearSessionCookie(reply, cookies)                                           // its session ended with the rest
    return sendPage(reply, renderPasswordResetDone({ productName: config.productName, signInUrl: ACCOUNT_SIGN_IN }))
  })
}
