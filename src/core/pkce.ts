import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * PKCE (RFC 7636) with S256 only: `plain` sends the verifier itself through the browser, which
 * is what PKCE exists to avoid (RFC 9700 §2.1.1). Tessera requires it of every client,
 * confidential ones included (RFC 9700 §2.1.1, OAuth 2.1).
 */
export const CODE_CHALLENGE_METHODS = ['S256'] as const

/** BASE64URL(SHA-256(verifier)) is always 43 characters (RFC 7636 §4.2). */
export const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
export const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/

export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url')
}

/**
 * Whether `verifier` is the one `challenge` was made from (RFC 7636 §4.6). A malformed verifier
 * never matches; the digests are compared in constant time.
 */
export function verifierMatches(verifier: string, challenge: string): boolean {
  if (typeof verifier !== 'string' || !CODE_VERIFIER.test(verifier) || !CODE_CHALLENGE.test(challenge)) return false
  return timingSafeEqual(Buffer.from(s256Challenge(verifier)), Buffer.from(challenge))
}
