import { randomBytes } from 'node:crypto'
import { Secret, TOTP } from 'otpauth'

/*
 * Time-based one-time passwords (RFC 6238) as every authenticator app computes them: HMAC-SHA-1,
 * 6 digits, a new code every 30 seconds. SHA-1 is what the apps support everywhere (Google
 * Authenticator ignores the otpauth URI's algorithm); HMAC-SHA-1 is not weakened by SHA-1's
 * collisions (RFC 6238 §1.2 and RFC 4226 Appendix A).
 */

export const TOTP_DIGITS = 6
export const TOTP_PERIOD_SECONDS = 30
/** One step either side (RFC 6238 §5.2): a phone's clock a little off, or a code typed as it changed. */
export const TOTP_WINDOW = 1
/** 160 bits: RFC 4226 §4 R6 recommends the HMAC's output length. */
const SECRET_BYTES = 20

const BASE32_SECRET = /^[A-Z2-7]{32}$/
/** What a person may type for a code: six digits, perhaps with a space in the middle as the apps show them. */
const CODE_INPUT = /^\s*(\d{3})\s?(\d{3})\s*$/

/** A new secret, base32 (RFC 4648, no padding), as the otpauth URI and the typed-in key carry it. */
export function generateTotpSecret(): string {
  return new Secret({ buffer: Uint8Array.from(randomBytes(SECRET_BYTES)).buffer }).base32 // a buffer of its own, not a slice of a pool
}

function totpOf(secret: string, issuer = '', label = ''): TOTP {
  if (!BASE32_SECRET.test(secret)) throw new TypeError('a TOTP secret is 32 base32 characters')
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, secret: Secret.fromBase32(secret) })
}

/**
 * The `otpauth://totp/…` URI an app scans (the Key Uri Format): the issuer names the service and
 * the label the account, so the app lists it as "Tessera (johndoe)".
 */
export function totpUri(options: { secret: string; issuer: string; label: string }): string {
  return totpOf(options.secret, options.issuer, options.label).toString()
}

/** The time step a moment falls in: floor(unix seconds / 30) (RFC 6238 §4.2's T). */
export function totpStep(now: number): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_SECONDS)
}

/** Whether `input` has the shape of a code (six digits, one space allowed in the middle). */
export function looksLikeTotpCode(input: string): boolean {
  return CODE_INPUT.test(input)
}

/**
 * The time step whose code `input` is, within ±1 step of `now`, or null when it is none of them.
 * The comparison is constant-time (otpauth uses crypto.timingSafeEqual). Whether that step was
 * already used (a replay) is the caller's question: TotpStore.useStep.
 */
export function verifyTotp(secret: string, input: string, now: number): number | null {
  const digits = CODE_INPUT.exec(input)
  if (digits === null) return null
  const delta = totpOf(secret).validate({ token: `${digits[1]}${digits[2]}`, timestamp: now, window: TOTP_WINDOW })
  return delta === null ? null : totpStep(now) + delta
}
