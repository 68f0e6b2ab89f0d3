import type { AccessClaims, AccessTokens } from './access-token.js'
import type { Clock } from './clock.js'
import { InvalidRequest, InvalidToken } from './errors.js'
import type { ClientRecord, RefreshTokenStore, RevokedTokenStore } from './ports.js'
import { hasRefreshTokenShape, hashRefreshToken } from './refresh-token.js'

export interface RevocationDeps {
  tokens: AccessTokens
  refreshTokens: RefreshTokenStore
  revokedTokens: RevokedTokenStore
  clock: Clock
}

/** What was revoked, for the audit log; null when nothing was (unknown, expired, already revoked). */
export interface Revocation {
  tokenType: 'access_token' | 'refresh_token'
  /** The token's user; null for a client's own (client_credentials) token. */
  userId: string | null
  clientId: string | null
}

/**
 * Token revocation (RFC 7009 §2.1). A refresh token takes its whole family with it; an access
 * token is revoked by `jti` until it would have expired. Anything unknown, forged or expired is
 * silently nothing (§2.2: the answer is 200 either way, so /revoke is no token oracle).
 * `token_type_hint` is not needed: the two kinds cannot be mistaken for each other.
 * Revoking an access token leaves its refresh token alone (a JWT carries no link to it), and
 * revoking a refresh token leaves the access tokens already issued from it to their short
 * lifetime; POST /logout ends both at once.
 */
export async function revokeToken(token: string, requester: ClientRecord | null, deps: RevocationDeps): Promise<Revocation | null> {
  return hasRefreshTokenShape(token) ? revokeRefreshToken(token, requester, deps) : revokeAccessToken(token, requester, deps)
}

async function revokeRefreshToken(token: string, requester: ClientRecord | null, deps: RevocationDeps): Promise<Revocation | null> {
  const record = await deps.refreshTokens.findByHash(hashRefreshToken(token))
  if (record === null) return null
  assertMayRevoke(record.clientId, requester)
  const revoked = await deps.refreshTokens.revokeFamily(record.familyId, deps.clock.now())
  return revoked === 0 ? null : { tokenType: 'refresh_token', userId: record.userId, clientId: record.clientId }
}

async function revokeAccessToken(token: string, requester: ClientRecord | null, deps: RevocationDeps): Promise<Revocation | null> {
  const claims = verifiedOrNull(token, deps.tokens)
  if (claims === null) return null
  const clientId = claims.client_id ?? null
  assertMayRevoke(clientId, requester)
  await deps.revokedTokens.revoke(claims.jti, claims.exp * 1000)
  return { tokenType: 'access_token', userId: isClientToken(claims) ? null : claims.sub, clientId }
}

/**
 * RFC 7009 §2.1: a token issued to a client is revoked only by that client. A token issued
 * without one (the tutorial's public use) may be revoked by whoever holds it.
 */
function assertMayRevoke(tokenClientId: string | null, requester: ClientRecord | null): void {
  if (tokenClientId !== null && tokenClientId !== requester?.id) throw new InvalidRequest('The token was issued to another client')
}

/** A client_credentials token: its subject is the client itself. */
export function isClientToken(claims: Pick<AccessClaims, 'sub' | 'client_id'>): boolean {
  return claims.client_id !== undefined && claims.client_id === claims.sub
}

/**
 * The token's claims if it verifies (signature, issuer, expiry), null if not. Any audience:
 * /revoke and /introspect answer for tokens meant for every resource server, not just Tessera.
 */
export function verifiedOrNull(token: string, tokens: AccessTokens): AccessClaims | null {
  try {
    return tokens.verify(token, { anyAudience: true })
  } catch (err) {
    if (err instanceof InvalidToken) return null
    throw err
  }
}
