import type { AccessTokens } from './access-token.js'
import { clientAllows } from './client.js'
import { InvalidGrant, InvalidScope, InvalidTarget, RefreshTokenReused, UnauthorizedClient } from './errors.js'
import type { IdTokens } from './id-token.js'
import type { ClientRecord, RefreshTokenRecord, RefreshTokenStore, UserStore } from './ports.js'
import { hashRefreshToken, mintRefreshToken, refreshTokenState } from './refresh-token.js'
import { isClientScope, isIdentityScope, parseScope } from './scopes.js'
import type { SessionDeps } from './sessions.js'
import { tokenResponse, type TokenResponse } from './token-response.js'
import type { UserRecord } from './user.js'

export interface RefreshGrantRequest {
  refreshToken: string
  /** RFC 6749 §6: may narrow the original grant, never widen it. */
  scope?: string | undefined
  /** RFC 8707 §2.2: may narrow the family's resources, never widen them. */
  resources?: readonly string[] | undefined
  /** The authenticated client, or null when the request names none. */
  client: ClientRecord | null
}

export interface RefreshGrantDeps extends SessionDeps {
  users: UserStore
  tokens: AccessTokens
  /** Code-flow families with `openid` get a fresh id_token (OIDC Core §12.2); absent: never. */
  idTokens?: IdTokens | undefined
}

/** The new pair, and what the audit log records of it. */
export interface RefreshGrantResult {
  response: TokenResponse
  userId: string
  clientId: string | null
  scopes: string[]
}

/** One answer for unknown, expired, revoked and mismatched tokens: none of them tells an attacker more. */
const invalid = () => new InvalidGrant('Invalid refresh token')

/**
 * The refresh token grant with rotation (RFC 6749 §6, RFC 9700 §4.14.2): the presented token is
 * exchanged for a new pair and dies; presenting it again revokes its whole family.
 *
 * Two concurrent refreshes with one token both find it live, and the store's atomic rotate
 * lets exactly one through. The other gets invalid_grant WITHOUT revoking the family: it had
 * not seen the rotation, and the same token twice at once is what a double-submit or a retry
 * after a timeout looks like (Auth0's reuse interval and Okta's grace period exist for the
 * same reason). Any later presentation of that token is reuse and revokes the family.
 */
export async function refreshGrant(request: RefreshGrantRequest, deps: RefreshGrantDeps): Promise<RefreshGrantResult> {
  const { client } = request
  const now = deps.clock.now()
  if (client !== null && !clientAllows(client, 'refresh_token')) throw new UnauthorizedClient()
  const record = await deps.refreshTokens.findByHash(hashRefreshToken(request.refreshToken)) // stored only as a hash
  if (record === null) throw invalid()
  await assertNotReused(record, now, deps.refreshTokens)               // rotated already: revoke the family
  if (refreshTokenState(record, now) !== 'live') throw invalid()       // revoked, idle or absolute end
  if (record.clientId !== (client?.id ?? null)) throw invalid()        // RFC 6749 §6: only its own client
  const user = await activeOwner(record, deps.users)                   // deleted, disabled, logged out
  const scopes = narrowedScopes(request.scope, record, user, client)   // narrow, never widen
  const audience = narrowedAudience(request.resources, record.audience)
  const next = mintRefreshToken(record, deps.refreshPolicy, now, { family: record, notBefore: user.tokensNotBefore })
  if (await deps.refreshTokens.rotate(record.id, now, next.record) === null) throw invalid() // lost a concurrent race
  const issued = deps.tokens.issue(user.id, scopes, { clientId: record.clientId ?? undefined, notBefore: user.tokensNotBefore, audience })
  const idToken = await refreshedIdToken(record, scopes, client, issued.token, deps)
  return { response: tokenResponse(issued, scopes, next.token, idToken), userId: user.id, clientId: record.clientId, scopes }
}

/**
 * OIDC Core §12.2: a refresh of a code-flow sign-in with `openid` returns a new id_token with the
 * original auth_time and no nonce; the password grant's families never had one.
 */
async function refreshedIdToken(
  record: RefreshTokenRecord, scopes: readonly string[], client: ClientRecord | null, accessToken: string, deps: RefreshGrantDeps,
): Promise<string | undefined> {
  if (deps.idTokens === undefined || client === null || record.authTime === null || !scopes.includes('openid')) return undefined
  return deps.idTokens.issue({ subject: record.userId, client, authTime: record.authTime, sessionId: record.browserSessionId, accessToken })
}

/** RFC 8707 §2.2: a refresh may ask for some of the family's resources; anything else is invalid_target. */
function narrowedAudience(requested: readonly string[] | undefined, granted: readonly string[]): string[] {
  if (requested === undefined || requested.length === 0) return [...granted]
  if (requested.some((r) => !granted.includes(r))) throw new InvalidTarget('The resource was not granted to this refresh token')
  return [...new Set(requested)]
}

/** RFC 9700 §4.14.2: a rotated token presented again means two parties hold it; end them both. */
async function assertNotReused(record: RefreshTokenRecord, now: number, store: RefreshTokenStore): Promise<void> {
  if (refreshTokenState(record, now) !== 'rotated') return
  await store.revokeFamily(record.familyId, now)
  throw new RefreshTokenReused(record.userId, record.clientId, record.familyId)
}

/**
 * The token's user, still allowed to have tokens. A deleted user's tokens are gone with the
 * account; a token from before the user's last logout-all has been revoked by it, and is checked
 * here too in case a rotation raced that logout.
 */
async function activeOwner(record: RefreshTokenRecord, users: UserStore): Promise<UserRecord> {
  const user = await users.findById(record.userId)
  if (user === null) throw invalid()
  if (user.tokensNotBefore !== null && record.createdAt < user.tokensNotBefore * 1000) throw invalid()
  if (user.disabled) throw new InvalidGrant('Inactive user')
  return user
}

/**
 * RFC 6749 §6: the requested scope must be within the original grant (absent: all of it). The
 * new access token also gets no more than the user and the client are allowed today, so an
 * administrator's change takes effect at the next refresh. The refresh token keeps the original
 * scope, as §6 requires of a new refresh token.
 */
function narrowedScopes(raw: string | undefined, record: RefreshTokenRecord, user: UserRecord, client: ClientRecord | null): string[] {
  const requested = parseScope(raw)
  if (requested.some((s) => !isClientScope(s))) throw new InvalidScope('Unknown scope requested') // as at login
  if (requested.some((s) => !record.scopes.includes(s))) throw new InvalidScope('Requested scope exceeds the original grant')
  const scopes = requested.length === 0 ? record.scopes : requested
  // Identity scopes (openid, profile, …) were the user's to give; API scopes must still be the user's.
  const allowed = scopes.filter((s) => isIdentityScope(s) || (user.scopes as readonly string[]).includes(s))
  return client === null ? allowed : allowed.filter((s) => client.scopes.includes(s))
}
