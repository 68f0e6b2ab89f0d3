import type { FastifyInstance } from 'fastify'
import { InvalidRequest, assertEmailShape, requestEmailChange, sendEmailVerification } from '../../core/index.js'
import type { AppDeps } from '../deps.js'
import { mailRequestLimiterFor } from '../limits.js'
import { emailVerificationDeps } from '../mail-link-deps.js'
import { formField } from '../page-context.js'
import { ACCOUNT_PATHS } from '../pages/account.js'
import type { AccountAction, AccountPost } from './account.js'

export interface AccountFormTools {
  accountPost: AccountPost
  /** The current password typed again, under the login limits (IncorrectPassword, TooManyLoginFailures). */
  passwordConfirmed(action: AccountAction): Promise<void>
}

/**
 * The account page's address forms: a new verification link for the current address, and a new
 * address (email-change.ts: confirmed by a link to it when mail is on, the old address told).
 * Asking for a new address needs the password: the address is where a password reset goes.
 */
export function accountEmailRoutes(app: FastifyInstance, deps: AppDeps, tools: AccountFormTools): void {
  const verification = emailVerificationDeps(deps)
  const limiter = mailRequestLimiterFor(deps, app.log)

  tools.accountPost(ACCOUNT_PATHS.verifyEmail, 'profile', async (action) => {
    const { user } = action.signedIn
    if (user.email === null) throw new InvalidRequest('Add an email address first.')
    if (user.emailVerified) throw new InvalidRequest('Your email address is verified already.')
    await limiter.admit('verify_email', user.email, action.request.ip)   // the resend form's limits: no inbox flooded from here either
    if (!(await sendEmailVerification(user, verification))) throw new InvalidRequest('This server sends no verification mail.')
    await action.audit('email.verification_sent', { details: { via: 'account_page' } })
    return action.done('verification_sent')
  })

  tools.accountPost(ACCOUNT_PATHS.email, 'email', async (action) => {
    const email = formField(action.request, 'email')?.trim()
    if (email === undefined || email === '') throw new InvalidRequest('Enter the new email address.')
    assertEmailShape(email)                                              // before the password costs a hash
    await tools.passwordConfirmed(action)
    // A confirmation link goes to an address of the user's choosing: the same limits as any mailed link.
    await limiter.admit('change_email', email, action.request.ip)
    const { applied } = await requestEmailChange(action.signedIn.user, email, { ...verification, users: deps.store.users })
    if (applied) {
      await action.audit('email.changed', { details: { via: 'account_page', verified: false } })
      return action.done('email_changed')
    }
    await action.audit('email.change_requested', { details: { via: 'account_page' } })
    return action.done('email_sent')
  })
}
