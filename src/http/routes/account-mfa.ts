import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  InvalidOtp, confirmTotpEnrolment, pendingTotpEnrolment, regenerateRecoveryCodes, removeTotp, startTotpEnrolment, systemClock, totpStatus,
  type MfaDeps, type UserRecord,
} from '../../core/index.js'
import type { AppDeps } from '../deps.js'
import { formField, sendPage } from '../page-context.js'
import { ACCOUNT_PATHS } from '../pages/account.js'
import { qrSvg } from '../pages/qr.js'
import { renderRecoveryCodes } from '../pages/recovery-codes.js'
import { renderTotpEnrolment } from '../pages/totp-enrolment.js'
import type { AccountFormTools } from './account-email.js'

export interface AccountMfaTools extends AccountFormTools {
  /** This browser's CSRF token, for the enrolment page's form. */
  csrf(request: FastifyRequest, reply: FastifyReply): string
}

function mfaDepsOf(deps: AppDeps): MfaDeps {
  return { totp: deps.store.totp, recoveryCodes: deps.store.recoveryCodes, clock: deps.clock ?? systemClock, productName: deps.config.productName }
}

/** What the account page shows of the second factor: on or off, and the recovery codes left. */
export function mfaStatusFor(deps: AppDeps): (userId: string) => Promise<{ enrolled: boolean; recoveryCodesLeft: number }> {
  const mfa = mfaDepsOf(deps)
  return async (userId) => {
    const { enrolled, recoveryCodesLeft } = await totpStatus(userId, mfa)
    return { enrolled, recoveryCodesLeft }
  }
}

/**
 * The account page's second factor (mfa.ts): set up an authenticator app (its QR code and key,
 * then its first code switches it on and brings the recovery codes, shown once), new recovery
 * codes, and turning it off. The last two need the password: they are how someone holding only
 * the browser would take the account's second factor over, or away.
 */
export function accountMfaRoutes(app: FastifyInstance, deps: AppDeps, tools: AccountMfaTools): void {
  const mfa = mfaDepsOf(deps)
  const { productName } = deps.config

  async function showEnrolment(request: FastifyRequest, reply: FastifyReply, user: UserRecord, enrolment: { secret: string; uri: string }, error: string | null = null) {
    return sendPage(reply, renderTotpEnrolment({
      productName, csrf: tools.csrf(request, reply), username: user.username, qr: await qrSvg(enrolment.uri), secret: enrolment.secret, error,
    }))
  }

  tools.accountPost(ACCOUNT_PATHS.totpStart, 'mfa', async (action) => {
    // The password again: a stolen session cookie alone must not put the thief's app (and its
    // recovery codes) on the account, which would lock the owner out at the next sign-in.
    await tools.passwordConfirmed(action)
    const enrolment = await startTotpEnrolment(action.signedIn.user, mfa)       // Conflict when one is on already
    return showEnrolment(action.request, action.reply, action.signedIn.user, enrolment)
  })

  tools.accountPost(ACCOUNT_PATHS.totpConfirm, 'mfa', async (action) => {
    const { request, reply, signedIn } = action
    const { user } = signedIn
    const code = formField(request, 'code')
    try {
      if (code === undefined) throw new InvalidOtp()
      const { recoveryCodes } = await confirmTotpEnrolment(user, code, mfa)  // NotFound: nothing pending (the account page says so)
      await action.audit('mfa.enrolled', { details: { method: 'totp' } })
      return sendPage(reply, renderRecoveryCodes({ productName, codes: recoveryCodes, reason: 'enrolled' }))
    } catch (err) {
      const pending = err instanceof InvalidOtp ? await pendingTotpEnrolment(user, mfa) : null
      if (pending === null) throw err
      // The same secret again: the app already holds it; a new one would make the user scan twice.
      const message = code === undefined ? 'Enter the 6-digit code your app shows.' : 'That code is not right. Enter the code the app shows now.'
      return showEnrolment(request, reply.code(400), user, pending, message)
    }
  })

  tools.accountPost(ACCOUNT_PATHS.recoveryCodes, 'mfa', async (action) => {
    await tools.passwordConfirmed(action)
    const codes = await regenerateRecoveryCodes(action.signedIn.user, mfa)       // NotFound when the factor is off
    await action.audit('mfa.recovery_codes_regenerated')
    return sendPage(action.reply, renderRecoveryCodes({ productName, codes, reason: 'regenerated' }))
  })

  tools.accountPost(ACCOUNT_PATHS.totpRemove, 'mfa', async (action) => {
    await tools.passwordConfirmed(action)
    if (await removeTotp(action.signedIn.user, mfa)) await action.audit('mfa.removed', { details: { via: 'account_page' } })
    return action.done('totp_removed')
  })
}
