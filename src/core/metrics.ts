import { AuthError, InvalidCredentials, InvalidGrant, InvalidOtp } from './errors.js'

/**
 * What Tessera counts, told by route handlers and the hash gate; where it goes is the
 * implementation's business (Prometheus in src/http/metrics.ts, nothing in `noMetrics`).
 * Framework-free so flows and stores may count too. Every method is cheap and never throws.
 */
export interface Metrics {
  /** A password (or other credential) login that ended in tokens. */
  loginSucceeded(): void
  /** A login refused for its credentials: unknown user, wrong password, inactive user. */
  loginFailed(): void
  /** A login refused by a brute-force limit before its credentials were looked at (429). */
  loginThrottled(): void
  /** An access token issued by a grant other than refresh (password, client credentials). */
  tokenIssued(): void
  /** An access token issued by the refresh_token grant. */
  tokenRefreshed(): void
  /** A token revoked (RFC 7009 revocation, logout). */
  tokenRevoked(): void
  /** A hash got its slot after waiting this long (0 when a slot was free): HashAdmission's onAdmitted. */
  hashAdmitted(waitedSeconds: number): void
  /** A mail handed to the SMTP server (or written to the demo mail folder). */
  mailSent(): void
  /** A mail given up on after its retries (logged without its link). */
  mailFailed(): void
}

const nothing = (): void => undefined

/** For apps run with metrics off, and for tests that do not look at them. */
export const noMetrics: Metrics = Object.freeze({
  loginSucceeded: nothing, loginFailed: nothing, loginThrottled: nothing,
  tokenIssued: nothing, tokenRefreshed: nothing, tokenRevoked: nothing, hashAdmitted: nothing, mailSent: nothing, mailFailed: nothing,
})

/**
 * Counts a failed login by what stopped it: a 429 from a limiter is `throttled`; wrong
 * credentials or an inactive user (`invalid_grant`) are `failed`. Anything else (a malformed
 * request, a full hash queue, an outage) was no verdict on the credentials and is not counted.
 */
export function countLoginError(metrics: Metrics, err: unknown): void {
  if (!(err instanceof AuthError)) return
  if (err.status === 429) metrics.loginThrottled()
  else if (err instanceof InvalidCredentials || err instanceof InvalidGrant || err instanceof InvalidOtp) metrics.loginFailed()
}
