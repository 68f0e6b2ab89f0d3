import type { AccessClaims, AccessTokens } from './access-token.js'
import { extractBearerToken } from './bearer.js'
import { InactiveUser, InvalidToken } from './errors.js'
import type { RevokedTokenStore, UserStore } from './ports.js'
import { assertScopes } from './scopes.js'
import type { UserRecord } from './user.js'

export interface AuthDeps {
  tokens: AccessTokens
  users: UserStore
  /** Access tokens revoked by `jti` (RFC 7009). Absent: no per-token revocation (a library user's choice). */
  revokedTokens?: Pick<RevokedTokenStore, 'isRevoked'> | undefined
}

export interface Authenticated { user: UserRecord; claims: AccessClaims }

/**
 * The request flow (SPEC.md "Protected operations"), in the tutorial's order: token → user
 * exists → scopes → disabled. Every InvalidToken carries `required`, so the challenge names the
 * scopes the operation needs (RFC 6750 §3).
 */
export async function authenticate(header: string | undefined, required: readonly string[], deps: AuthDeps): Promise<Authenticated> {
  const token = extractBearerToken(header)                      // RFC 6750 §2.1; NotAuthenticated
  const claims = verifyFor(token, required, deps.tokens)        // alg pinned, signature before claims
  const user = await findSubject(claims, deps)                  // deleted user or POST /revoke'd jti: one lookup
  if (user === null) throw new InvalidToken(required)           // either is just an invalid token
  assertNotRevoked(claims, user, required)                      // logout-all / password change
  assertScopes(claims.scope, required)                          // InsufficientScope (403) lists `required`
  if (user.disabled) throw new InactiveUser()                   // after scopes, as the tutorial orders it
  return { user, claims }
}

function verifyFor(token: string, required: readonly string[], tokens: AccessTokens): AccessClaims {
  try {
    return tokens.verify(token)
  } catch (err) {
    if (err instanceof InvalidToken) throw new InvalidToken(required)
    throw err
  }
}

/** Tokens issued before the user's tokens-not-before (epoch seconds) no longer count. */
function assertNotRevoked(claims: AccessClaims, user: UserRecord, required: readonly string[]): void {
  if (user.tokensNotBefore !== null && claims.iat < user.tokensNotBefore) throw new InvalidToken(required)
}

/**
 * The token's user, or null when there is none or the token was revoked at /revoke (refused until
 * it expires, RFC 7009 §2). A store that can answer both in one query does (a round trip fewer
 * on PostgreSQL, a statement fewer on SQLite); otherwise the two lookups, in turn.
 */
async function findSubject(claims: AccessClaims, deps: AuthDeps): Promise<UserRecord | null> {
  const { users, revokedTokens } = deps
  if (revokedTokens === undefined) return users.findById(claims.sub)
  if (users.findByIdUnlessRevoked !== undefined) return users.findByIdUnlessRevoked(claims.sub, claims.jti)
  return (await revokedTokens.isRevoked(claims.jti)) ? null : users.findById(claims.sub)
}
