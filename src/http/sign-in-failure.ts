import { InvalidCredentials, InvalidGrant, ServiceUnavailable, TooManyLoginFailures, ValidationFailed } from '../core/index.js'

/** What the sign-in page says, and answers, when a sign-in fails. */
export interface SignInFailure {
  status: number
  message: string
  retryAfter?: number
}

/**
 * The sign-in form's answer to each way verifyCredentials (behind the login limits) can fail,
 * with the same statuses /token gives them. The wrong-username and wrong-password answers are
 * one (no account enumeration); a disabled account is only revealed after its password was
 * right, as at /token. Null: not a sign-in failure (an outage), left to the error page.
 */
export function signInFailure(err: unknown): SignInFailure | null {
  if (err instanceof InvalidCredentials) return { status: 401, message: 'Incorrect username or password.' }
  if (err instanceof InvalidGrant && err.detail === 'Inactive user') return { status: 400, message: 'This account is disabled. Contact your administrator.' }
  if (err instanceof TooManyLoginFailures) {
    const minutes = Math.ceil(err.retryAfterSeconds / 60)
    return { status: 429, message: `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, retryAfter: err.retryAfterSeconds }
  }
  if (err instanceof ServiceUnavailable) return { status: 503, message: 'The service is busy. Try again in a moment.', retryAfter: err.retryAfterSeconds }
  if (err instanceof ValidationFailed) return { status: 422, message: 'That password is longer than this service accepts.' }
  return null
}
