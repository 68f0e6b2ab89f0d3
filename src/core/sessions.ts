import type { Clock } from './clock.js'
import type { BrowserSessionStore, ClientRecord, RefreshTokenStore, UserStore } from './ports.js'
import { mintRefreshToken, type RefreshBinding, type RefreshPolicy } from './refresh-token.js'

/** What starting and ending sessions needs: where refresh tokens live, their lifetimes, the time. */
export interface SessionDeps {
  refreshTokens: RefreshTokenStore
  refreshPolicy: RefreshPolicy
  clock: Clock
}

/**
 * A grant comes with a refresh token when no client is involved (the tutorial's public client)
 * or the client is allowed the refresh_token grant: one that may not refresh gets nothing it
 * could not use.
 */
export function mayRefresh(client: Pick<ClientRecord, 'grantTypes'> | null): boolean {
  return client === null || client.grantTypes.includes('refresh_token')
}

/** Starts a new refresh-token family for a fresh login; returns the token to hand out, once. */
export async function startSession(binding: RefreshBinding, notBefore: number | null, deps: SessionDeps): Promise<string> {
  const minted = mintRefreshToken(binding, deps.refreshPolicy, deps.clock.now(), { notBefore })
  await deps.refreshTokens.create(minted.record)
  return minted.token
}

/**
 * The tokens-not-before that ends everything issued up to `now` (epoch ms → epoch seconds).
 * `iat` has one-second resolution, so the whole current second is included; tokens issued
 * afterwards get `iat` = this value (IssueOptions.notBefore) and stay valid.
 */
export function tokensNotBeforeAt(now: number): number {
  return Math.floor(now / 1000) + 1
}

/** What ending every session of a user touches. */
export interface EndSessionsDeps {
  users: UserStore
  refreshTokens: RefreshTokenStore
  browserSessions: Pick<BrowserSessionStore, 'deleteAllForUser'>
  clock: Clock
}

/**
 * Ends every session of a user (logout, password change, disable): access tokens issued until
 * now are rejected at once by the user lookup every request already makes, every refresh token
 * is revoked and every browser sign-in (single sign-on) is deleted. Tokens-not-before goes
 * first, so nothing outlives this call even if a later step fails: a browser session older than
 * it is refused too (findSignedIn). Returns the new tokens-not-before.
 */
export async function endAllSessions(userId: string, deps: EndSessionsDeps): Promise<number> {
  const now = deps.clock.now()
  const notBefore = tokensNotBeforeAt(now)
  await deps.users.setTokensNotBefore(userId, notBefore)
  await deps.refreshTokens.revokeAllForUser(userId, now)
  await deps.browserSessions.deleteAllForUser(userId)
  return notBefore
}
