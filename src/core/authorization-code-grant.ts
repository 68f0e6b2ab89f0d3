import { randomUUID } from 'node:crypto'
import type { AccessTokens } from './access-token.js'
import { hasAuthorizationCodeShape, hashAuthorizationCode } from './authorization-code.js'
import { clientAllows } from './client.js'
import { AuthorizationCodeReused, InvalidClient, InvalidGrant, InvalidRequest, InvalidTarget, UnauthorizedClient } from './errors.js'
import type { IdTokens } from './id-token.js'
import { verifierMatches } from './pkce.js'
import type { AuthorizationCodeRecord, AuthorizationCodeStore, BrowserSessionStore, ClientRecord, RevokedTokenStore, UserStore } from './ports.js'
import { mintRefreshToken } from './refresh-token.js'
import { isIdentityScope } from './scopes.js'
import type { SessionDeps } from './sessions.js'
import { tokenResponse, type TokenResponse } from './token-response.js'
import type { UserRecord } from './user.js'

export interface CodeGrantRequest {
  code?: string | undefined
  redirectUri?: string | undefined
  codeVerifier?: string | undefined
  /** RFC 8707 §2.2: may narrow the resources authorized at /authorize. */
  resources?: readonly string[] | undefined
  /** Authenticated (confidential) or named (public) at /token; null when the request named none. */
  client: ClientRecord | null
}

export interface CodeGrantDeps extends SessionDeps {
  users: Pick<UserStore, 'findById'>
  authorizationCodes: AuthorizationCodeStore
  browserSessions: Pick<BrowserSessionStore, 'findById'>
  revokedTokens: Pick<RevokedTokenStore, 'revoke'>
  tokens: AccessTokens
  idTokens: IdTokens
}

export interface CodeGrantResult {
  response: TokenResponse
  userId: string
  clientId: string
  scopes: string[]
}

/** One answer for unknown, expired, used and mismatched codes alike: none tells an attacker more. */
const invalidCode = () => new InvalidGrant('Invalid authorization code')

/**
 * grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3). The code is
 * single-use: the exchange that consumes it records, in the same conditional write, the token
 * ids it is about to issue, so a second presentation revokes exactly those (§4.1.2) — even when
 * the two race.
 */
export async function authorizationCodeGrant(request: CodeGrantRequest, deps: CodeGrantDeps): Promise<CodeGrantResult> {
  const client = codeFlowClient(request.client)                          // public: named; confidential: authenticated
  const { code, redirectUri, codeVerifier } = requiredParameters(request)  // invalid_request
  const record = await deps.authorizationCodes.findByHash(hashAuthorizationCode(code))
  if (record === null) throw invalidCode()
  if (record.consumedAt !== null) return revokeReplayed(record, deps)     // presented twice: revoke what it issued
  assertBound(record, client, redirectUri, codeVerifier, deps.clock.now()) // expiry, client, redirect_uri, PKCE
  const user = await currentOwner(record, deps.users)                     // deleted, disabled, signed out everywhere since
  await assertStillSignedIn(record, deps.browserSessions)                 // signed out of that browser since
  const scopes = stillAllowed(record.scopes, user, client)                // changes since /authorize narrow it
  const audience = narrowedAudience(request.resources, record.audience)   // RFC 8707 §2.2
  const issued = deps.tokens.issue(user.id, scopes, { clientId: client.id, notBefore: user.tokensNotBefore, audience }) // signed, not yet handed out
  const familyId = mayRefresh(client, scopes) ? randomUUID() : null       // offline_access, and a client that may refresh
  const exchange = { familyId, accessTokenJti: issued.claims.jti, accessTokenExpiresAt: issued.claims.exp * 1000 }
  if (!(await deps.authorizationCodes.consume(record.id, deps.clock.now(), exchange))) return revokeReplayed(record, deps) // lost a race
  const refreshToken = familyId === null ? undefined : await startFamily(record, scopes, audience, familyId, user, deps)
  const idToken = scopes.includes('openid') ? await deps.idTokens.issue({
    subject: user.id, client, authTime: record.authTime, nonce: record.nonce, amr: record.amr, sessionId: record.browserSessionId, accessToken: issued.token,
  }) : undefined
  await assertNotReplayedMeanwhile(record, deps)                          // a replay during the exchange still revokes
  return { response: tokenResponse(issued, scopes, refreshToken, idToken), userId: user.id, clientId: client.id, scopes }
}

/** The token endpoint found the client; this grant needs one, allowed the flow. */
function codeFlowClient(client: ClientRecord | null): ClientRecord {
  if (client === null) throw new InvalidClient('Client authentication required')
  if (!clientAllows(client, 'authorization_code')) throw new UnauthorizedClient()
  return client
}

function requiredParameters(request: CodeGrantRequest): { code: string; redirectUri: string; codeVerifier: string } {
  const { code, redirectUri, codeVerifier } = request
  if (code === undefined) throw new InvalidRequest('Missing code parameter')
  if (redirectUri === undefined) throw new InvalidRequest('Missing redirect_uri parameter')
  // RFC 7636 §4.5: every code was issued with a challenge (Tessera requires one), so every exchange needs the verifier.
  if (codeVerifier === undefined) throw new InvalidRequest('Missing code_verifier parameter')
  if (!hasAuthorizationCodeShape(code)) throw invalidCode()
  return { code, redirectUri, codeVerifier }
}

/**
 * The code is still good and bound to what is presented: not expired, issued to this client (a
 * code stolen from client A is useless at client B), for this exact redirect URI (RFC 6749
 * §4.1.3), and the verifier hashes to its challenge (RFC 7636 §4.6, compared in constant time).
 */
function assertBound(record: AuthorizationCodeRecord, client: ClientRecord, redirectUri: string, codeVerifier: string, now: number): void {
  if (now >= record.expiresAt) throw invalidCode()
  if (record.clientId !== client.id) throw invalidCode()
  if (record.redirectUri !== redirectUri) throw invalidCode()
  if (!verifierMatches(codeVerifier, record.codeChallenge)) throw invalidCode()
}

/** The code's user, still allowed tokens: not deleted, not disabled, not signed out everywhere since the code was issued. */
async function currentOwner(record: AuthorizationCodeRecord, users: Pick<UserStore, 'findById'>): Promise<UserRecord> {
  const user = await users.findById(record.userId)
  if (user === null) throw invalidCode()
  if (user.tokensNotBefore !== null && record.createdAt < user.tokensNotBefore * 1000) throw invalidCode()
  if (user.disabled) throw new InvalidGrant('Inactive user')
  return user
}

/**
 * A code outlives nothing it came from: if the browser signed out (RP-initiated logout) between
 * the redirect and the exchange, the family it would start could never be ended by that sign-out.
 */
async function assertStillSignedIn(record: AuthorizationCodeRecord, sessions: Pick<BrowserSessionStore, 'findById'>): Promise<void> {
  if (record.browserSessionId !== null && await sessions.findById(record.browserSessionId) === null) throw invalidCode()
}

/**
 * What the user allowed, minus what they or the client lost in the seconds since (an admin
 * removed a scope): identity scopes are the user's to give, API scopes must still be theirs.
 */
function stillAllowed(scopes: readonly string[], user: UserRecord, client: ClientRecord): string[] {
  return scopes.filter((s) => client.scopes.includes(s) && (isIdentityScope(s) || (user.scopes as readonly string[]).includes(s)))
}

/** RFC 8707 §2.2: the token request may name a subset of the resources authorized; anything else is invalid_target. */
function narrowedAudience(requested: readonly string[] | undefined, authorized: readonly string[]): string[] {
  if (requested === undefined || requested.length === 0) return [...authorized]
  if (requested.some((r) => !authorized.includes(r))) throw new InvalidTarget('The resource was not authorized for this code')
  return [...new Set(requested)]
}

/** OIDC Core §11: a refresh token only when the user allowed offline_access and the client may refresh. */
function mayRefresh(client: ClientRecord, scopes: readonly string[]): boolean {
  return scopes.includes('offline_access') && clientAllows(client, 'refresh_token')
}

/** A new refresh-token family with the id the code records, carrying what refreshed id_tokens need. */
async function startFamily(
  record: AuthorizationCodeRecord, scopes: readonly string[], audience: readonly string[], familyId: string, user: UserRecord, deps: CodeGrantDeps,
): Promise<string> {
  const minted = mintRefreshToken(
    { userId: user.id, clientId: record.clientId, scopes, authTime: record.authTime, audience, browserSessionId: record.browserSessionId },
    deps.refreshPolicy, deps.clock.now(), { notBefore: user.tokensNotBefore, newFamilyId: familyId },
  )
  await deps.refreshTokens.create(minted.record)
  return minted.token
}

/**
 * RFC 6749 §4.1.2: "If an authorization code is used more than once, the authorization server
 * MUST deny the request and SHOULD revoke all tokens previously issued based on that
 * authorization code." The access token by its jti (until it would have expired), the refresh
 * token's whole family.
 */
async function revokeReplayed(record: AuthorizationCodeRecord, deps: CodeGrantDeps): Promise<never> {
  const stored = await deps.authorizationCodes.markReplayed(record.id, deps.clock.now()) ?? record
  await revokeIssued(stored, deps)
  throw new AuthorizationCodeReused(record.userId, record.clientId)
}

async function revokeIssued(record: AuthorizationCodeRecord, deps: CodeGrantDeps): Promise<void> {
  const now = deps.clock.now()
  if (record.accessTokenJti !== null && record.accessTokenExpiresAt !== null) await deps.revokedTokens.revoke(record.accessTokenJti, record.accessTokenExpiresAt)
  if (record.familyId !== null) await deps.refreshTokens.revokeFamily(record.familyId, now)
}

/**
 * A replay that arrived while this exchange was issuing may have revoked before the refresh
 * token existed: looked at again once everything is stored, and then nothing is handed out.
 */
async function assertNotReplayedMeanwhile(record: AuthorizationCodeRecord, deps: CodeGrantDeps): Promise<void> {
  const now = await deps.authorizationCodes.findByHash(record.codeHash)
  if (now === null || now.replayedAt === null) return
  await revokeIssued(now, deps)
  throw new AuthorizationCodeReused(record.userId, record.clientId)
}
