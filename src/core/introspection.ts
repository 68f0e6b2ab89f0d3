import type { AccessClaims, AccessTokens } from './access-token.js'
import type { Clock } from './clock.js'
import type { ClientStore, RefreshTokenRecord, RefreshTokenStore, RevokedTokenStore, UserStore } from './ports.js'
import { hasRefreshTokenShape, hashRefreshToken, refreshTokenExpiry, refreshTokenState } from './refresh-token.js'
import { isClientToken, verifiedOrNull } from './revocation.js'
import { formatScope } from './scopes.js'
import type { UserRecord } from './user.js'

/** RFC 7662 §2.2. Every inactive token gets exactly `{"active": false}`: nothing says why. */
export type Introspection =
  | { active: false }
  | {
    active: true
    sub: string
    /** The user's name; absent for a client's own token. */
    username?: string
    scope: string
    /** Absent for a token issued without a client. */
    client_id?: string
    /** The access token's audience (RFC 7662 §2.2), as in the token: one string or several. */
    aud?: string | string[]
    exp: number
    iat: number
    token_type: 'Bearer' | 'refresh_token'
  }

export interface IntrospectionDeps {
  tokens: AccessTokens
  users: Pick<UserStore, 'findById'>
  clients: Pick<ClientStore, 'findById'>
  refreshTokens: Pick<RefreshTokenStore, 'findByHash'>
  revokedTokens: Pick<RevokedTokenStore, 'isRevoked'>
  clock: Clock
}

const INACTIVE: Introspection = Object.freeze({ active: false })

/**
 * Token introspection (RFC 7662): is this token usable right now, and for what? An access token
 * must verify, not be revoked by jti, and belong to a user who exists, is enabled and has not
 * logged out everywhere since (or to a client that is still registered). A refresh token must
 * be live: not rotated, revoked or expired, with the same checks on its user.
 */
export async function introspect(token: string, deps: IntrospectionDeps): Promise<Introspection> {
  return hasRefreshTokenShape(token) ? introspectRefreshToken(token, deps) : introspectAccessToken(token, deps)
}

async function introspectAccessToken(token: string, deps: IntrospectionDeps): Promise<Introspection> {
  const claims = verifiedOrNull(token, deps.tokens)                   // signature, issuer, expiry
  if (claims === null || await deps.revokedTokens.isRevoked(claims.jti)) return INACTIVE
  if (claims.client_id !== undefined && await deps.clients.findById(claims.client_id) === null) return INACTIVE // client removed
  if (isClientToken(claims)) return describe(claims, null, 'Bearer')
  const user = await deps.users.findById(claims.sub)
  if (!usable(user, claims.iat)) return INACTIVE                       // deleted, disabled, logged out since
  return describe(claims, user, 'Bearer')
}

async function introspectRefreshToken(token: string, deps: IntrospectionDeps): Promise<Introspection> {
  const record = await deps.refreshTokens.findByHash(hashRefreshToken(token))
  if (record === null || refreshTokenState(record, deps.clock.now()) !== 'live') return INACTIVE
  const user = await deps.users.findById(record.userId)
  if (!usable(user, Math.floor(record.createdAt / 1000))) return INACTIVE
  return describe(refreshClaims(record), user, 'refresh_token')
}

function usable(user: UserRecord | null, issuedAt: number): user is UserRecord {
  return user !== null && !user.disabled && (user.tokensNotBefore === null || issuedAt >= user.tokensNotBefore)
}

/** A refresh token described in an access token's terms: it "expires" at its idle or absolute end. */
function refreshClaims(record: RefreshTokenRecord): Pick<AccessClaims, 'sub' | 'scope' | 'exp' | 'iat' | 'client_id'> {
  return {
    sub: record.userId, scope: record.scopes, exp: Math.floor(refreshTokenExpiry(record) / 1000), iat: Math.floor(record.createdAt / 1000),
    ...(record.clientId === null ? {} : { client_id: record.clientId }),
  }
}

function describe(
  claims: Pick<AccessClaims, 'sub' | 'scope' | 'exp' | 'iat' | 'client_id' | 'aud'>, user: UserRecord | null, tokenType: 'Bearer' | 'refresh_token',
): Introspection {
  return {
    active: true,
    sub: claims.sub,
    ...(user === null ? {} : { username: user.username }),
    scope: formatScope(claims.scope),
    ...(claims.client_id === undefined ? {} : { client_id: claims.client_id }),
    ...(claims.aud === undefined ? {} : { aud: claims.aud.length === 1 ? claims.aud[0] as string : claims.aud }),
    exp: claims.exp,
    iat: claims.iat,
    token_type: tokenType,
  }
}
