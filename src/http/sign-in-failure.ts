import { EmailNotVerified, InvalidCredentials, InvalidGrant, InvalidOtp, ServiceUnavailable, TooManyLoginFailures, ValidationFailed } from '../core/index.js'
import { RESEND_VERIFICATION_PATH } from './routes/email.js'

/** What the sign-in page says, and answers, when a sign-in fails. */
export interface SignInFailure {
  status: number
  message: string
  retryAfter?: number
  /** A page that helps, linked after the message. */
  link?: { href: string; text: string }
}

/**
 * The sign-in form's answer to each way verifyCredentials (behind the login limits) can fail,
 * with the same statuses /token gives them. The wrong-username and wrong-password answers are
 * one (no account enumeration); a disabled account or an address still to verify is only
 * revealed after the password was right, as at /token. A wrong second-factor code (the second
 * step) is one answer too, whether it was wrong, a replay or a spent recovery code. Null: not a
 * sign-in failure (an outage), left to the error page.
 */
export function signInFailure(err: unknown): SignInFailure | null {
  if (err instanceof InvalidCredentials) return { status: 401, message: 'Incorrect username or password.' }
  if (err instanceof InvalidGrant && err.detail === 'Inactive user') return { status: 400, message: 'This account is disabled. Contact your administrator.' }
  if (err instanceof EmailNotVerified) {
    return { status: 400, message: 'Verify your email address first.', link: { href: RESEND_VERIFICATION_PATH, text: 'Send a new verification link' } }
  }
  if (err instanceof InvalidOtp) return { status: 400, message: 'That code is not right. Enter the code your app shows now, or an unused recovery code.' }
  if (err instanceof TooManyLoginFailures) {
    const minutes = Math.ceil(err.retryAfterSeconds / 60)
    return { status: 429, message: `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, retryAfter: err.retryAfterSeconds }
  }
  if (err instanceof ServiceUnavailable) return { status: 503, message: 'The service is busy. Try again in a moment.', retryAfter: err.retryAfterSeconds }
  if (err instanceof ValidationFailed) return { status: 422, message: 'That password is longer than this service accepts.' }
  return null
}
