import type { AccessTokens } from './access-token.js'
import { clientAllows } from './client.js'
import { verifyCredentials, type CredentialDeps } from './credentials.js'
import { UnauthorizedClient } from './errors.js'
import { hasSecondFactor } from './mfa.js'
import { mfaRequired } from './mfa-challenge.js'
import type { OneTimeTokenDeps } from './one-time-token.js'
import type { PasswordHasher } from './password.js'
import type { ClientRecord, TotpStore, UserStore } from './ports.js'
import { grantScopes, parseScope, type Scope } from './scopes.js'
import { mayRefresh, startSession, type SessionDeps } from './sessions.js'
import { tokenResponse, type TokenResponse } from './token-response.js'
import type { UserRecord } from './user.js'

export type { TokenResponse } from './token-response.js'

export interface PasswordGrantRequest {
  username: string
  password: string
  scope?: string | undefined
  /** The authenticated client, or null/absent for the tutorial's public use without one. */
  client?: ClientRecord | null | undefined
}

export interface PasswordGrantDeps {
  users: UserStore
  hasher: PasswordHasher
  tokens: AccessTokens
  passwordMaxBytes: number
  /** TESSERA_EMAIL_VERIFICATION (verifyCredentials): `required` refuses an unverified address with EmailNotVerified. */
  emailVerification?: CredentialDeps['emailVerification']
  /** When given, the grant also returns a refresh token (RFC 6749 §4.3.3) unless the client may not refresh. */
  sessions?: SessionDeps | undefined
  /**
   * Issue 10: where second factors and mfa tokens live. With it, an account with a factor on
   * gets MfaRequired (403 mfa_required + mfa_token) instead of tokens; the mfa-otp grant finishes.
   */
  mfa?: (OneTimeTokenDeps & { totp: Pick<TotpStore, 'find'> }) | undefined
}

/** A client narrows what its users can get: requested ∩ user's allowed ∩ client's allowed. */
export function withinClientScopes(scopes: readonly Scope[], client: Pick<ClientRecord, 'scopes'> | null): Scope[] {
  return client === null ? [...scopes] : scopes.filter((s) => client.scopes.includes(s))
}

/**
 * The resource owner password grant (RFC 6749 §4.3). The credential rules (timing, disabled
 * accounts, rehash) are verifyCredentials', shared with the hosted sign-in page.
 */
export async function passwordGrant(request: PasswordGrantRequest, deps: PasswordGrantDeps): Promise<TokenResponse> {
  const client = request.client ?? null
  if (client !== null && !clientAllows(client, 'password')) throw new UnauthorizedClient() // before any hashing
  const user = await verifyCredentials(request, deps)                   // 401 / Inactive user, same cost either way
  const scopes = withinClientScopes(grantScopes(parseScope(request.scope), user.scopes), client) // unknown → invalid_scope, before the second step
  if (deps.mfa !== undefined && await hasSecondFactor(user.id, deps.mfa)) {
    throw await mfaRequired(user, { via: 'token', clientId: client?.id ?? null, scope: request.scope ?? null }, deps.mfa) // no token without the code
  }
  return issueUserTokens(user, scopes, client, deps)
}

/**
 * What a login at /token hands out once the user is proven (the password grant, or it and the
 * mfa-otp grant's code): an access token and, when the client may refresh, a new refresh family.
 */
export async function issueUserTokens(
  user: UserRecord, scopes: Scope[], client: ClientRecord | null, deps: Pick<PasswordGrantDeps, 'tokens' | 'sessions'>,
): Promise<TokenResponse> {
  const notBefore = user.tokensNotBefore                                // a logout during the check included
  const issued = deps.tokens.issue(user.id, scopes, { clientId: client?.id, notBefore }) // sub: the immutable id
  const refreshToken = deps.sessions !== undefined && mayRefresh(client)
    ? await startSession({ userId: user.id, clientId: client?.id ?? null, scopes }, notBefore, deps.sessions) // a new family
    : undefined
  return tokenResponse(issued, scopes, refreshToken)
}
