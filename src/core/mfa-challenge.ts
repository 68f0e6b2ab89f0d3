import { MfaRequired } from './errors.js'
import { ONE_TIME_TOKEN_SECONDS, consumeOneTimeToken, issueOneTimeToken, type OneTimeTokenDeps } from './one-time-token.js'
import type { UserStore } from './ports.js'
import type { UserRecord } from './user.js'

/*
 * Between a right password and the second factor there is no session and no token, only an
 * `mfa_token`: 256 random bits, stored hashed (one_time_tokens, purpose `mfa`), alive 5 minutes,
 * single-use. It is bound to where the password was typed — the password grant of one client
 * (with the scope it asked for) or the sign-in page of one app — so a token from one cannot be
 * redeemed at the other, nor by another client.
 */

/** Where the password step happened: /token (`token`) or the hosted sign-in page (`sign_in_page`). */
export type MfaChallengeVia = 'token' | 'sign_in_page'

export interface MfaBinding {
  via: MfaChallengeVia
  /** The authenticated client at /token, the app signed in to on the page; null for none (the tutorial's public use, the account page). */
  clientId: string | null
}

export interface MfaChallenge extends MfaBinding {
  /** What the password grant asked for (`scope` as sent), decided again when the code is right. */
  scope?: string | null
  /** How the first step was proved: a password (`pwd`, the default) or an upstream provider (`fed`, issue 11); for amr. */
  first?: FirstFactor
}

/** RFC 8176 `amr` of the first step: a password, or a federated sign-in (`fed`, as Microsoft Entra ID writes it). */
export type FirstFactor = 'pwd' | 'fed'

export interface MfaChallengeDeps extends OneTimeTokenDeps {
  users: Pick<UserStore, 'findById'>
}

/** Mints the mfa token for a user whose password was right; the answer to throw (403 mfa_required with the token). */
export async function mfaRequired(user: Pick<UserRecord, 'id'>, challenge: MfaChallenge, deps: OneTimeTokenDeps): Promise<MfaRequired> {
  const { token } = await issueOneTimeToken({
    purpose: 'mfa', userId: user.id,
    data: { via: challenge.via, client_id: challenge.clientId, scope: challenge.scope ?? null, first: challenge.first ?? 'pwd' },
  }, deps)
  return new MfaRequired(token, ONE_TIME_TOKEN_SECONDS.mfa)
}

export interface RedeemedMfaChallenge {
  user: UserRecord
  /** The scope the password grant asked for (null: absent). */
  scope: string | null
  first: FirstFactor
}

/**
 * Spends the mfa token and returns its account, or null: unknown, spent, expired, minted for
 * another client or the other entrance, or an account gone, disabled or signed out everywhere
 * (a password change) since. The token is spent before anything is judged, so of two requests
 * with it at most one goes on, and a token presented in the wrong place is burnt.
 */
export async function redeemMfaChallenge(token: unknown, binding: MfaBinding, deps: MfaChallengeDeps): Promise<RedeemedMfaChallenge | null> {
  const record = await consumeOneTimeToken(token, 'mfa', deps)
  if (record === null) return null
  if (record.data.via !== binding.via || (record.data.client_id ?? null) !== binding.clientId) return null
  const user = await deps.users.findById(record.userId)
  if (user === null || user.disabled) return null
  if (user.tokensNotBefore !== null && record.createdAt < user.tokensNotBefore * 1000) return null
  const scope = record.data.scope
  return { user, scope: typeof scope === 'string' ? scope : null, first: record.data.first === 'fed' ? 'fed' : 'pwd' }
}
