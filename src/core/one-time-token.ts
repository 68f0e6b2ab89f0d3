import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Clock } from './clock.js'
import type { NewOneTimeToken, OneTimeTokenPurpose, OneTimeTokenRecord, OneTimeTokenStore } from './ports.js'

/**
 * How long each kind of single-use token lasts. A verification or email-change link may wait in
 * an inbox over a night (Supabase and Keycloak: 24 h); a password reset is a credential that
 * works without the password, so it is short (OWASP Forgot Password Cheat Sheet; Auth0: 30 min
 * and less); an mfa token only spans the second step of one sign-in.
 */
export const ONE_TIME_TOKEN_SECONDS: Readonly<Record<OneTimeTokenPurpose, number>> = Object.freeze({
  verify_email: 24 * 60 * 60,
  reset_password: 30 * 60,
  change_email: 24 * 60 * 60,
  mfa: 5 * 60,
  // Issue 11: an upstream sign-in waiting for the existing account's password before it is linked.
  link_provider: 10 * 60,
})

const TOKEN_BYTES = 32
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

/** SHA-256 hex, unsalted like refresh tokens: 256 random bits leave nothing to guess or precompute. */
export function hashOneTimeToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** Whether `token` could be one of ours (43 base64url characters): anything else is refused without a lookup. */
export function hasOneTimeTokenShape(token: unknown): token is string {
  return typeof token === 'string' && TOKEN_SHAPE.test(token)
}

export interface OneTimeTokenRequest {
  purpose: OneTimeTokenPurpose
  userId: string
  /** The address a mailed token goes to, and so what using it proves; null for `mfa`. */
  email?: string | null
  /** Secret-free facts the use of the token needs (never the token, a password or a code). */
  data?: NewOneTimeToken['data']
}

export interface OneTimeTokenDeps {
  oneTimeTokens: OneTimeTokenStore
  clock: Clock
}

/**
 * Mints a single-use token: 256 random bits handed out once (in a mailed link, or as the
 * password grant's `mfa_token`), stored only as its hash. The user's older unspent tokens of the
 * same purpose are voided first, so only the latest link works (a second "forgot password"
 * makes the first mail worthless).
 */
export async function issueOneTimeToken(request: OneTimeTokenRequest, deps: OneTimeTokenDeps): Promise<{ token: string; record: OneTimeTokenRecord }> {
  const token = randomBytes(TOKEN_BYTES).toString('base64url')
  const now = deps.clock.now()
  await deps.oneTimeTokens.consumeAllForUser(request.userId, request.purpose, now)
  const record = await deps.oneTimeTokens.create({
    id: randomUUID(),
    tokenHash: hashOneTimeToken(token),
    purpose: request.purpose,
    userId: request.userId,
    email: request.email ?? null,
    data: request.data ?? {},
    createdAt: now,
    expiresAt: now + ONE_TIME_TOKEN_SECONDS[request.purpose] * 1000,
  })
  return { token, record }
}

/** The token's record if it can still be used, without using it (a page that asks before acting); null otherwise. */
export async function findLiveOneTimeToken(token: unknown, purpose: OneTimeTokenPurpose, deps: OneTimeTokenDeps): Promise<OneTimeTokenRecord | null> {
  if (!hasOneTimeTokenShape(token)) return null
  return deps.oneTimeTokens.findLive(hashOneTimeToken(token), purpose, deps.clock.now())
}

/** Uses the token: of two concurrent uses exactly one gets the record (the store's conditional update); null otherwise. */
export async function consumeOneTimeToken(token: unknown, purpose: OneTimeTokenPurpose, deps: OneTimeTokenDeps): Promise<OneTimeTokenRecord | null> {
  if (!hasOneTimeTokenShape(token)) return null
  return deps.oneTimeTokens.consume(hashOneTimeToken(token), purpose, deps.clock.now())
}
