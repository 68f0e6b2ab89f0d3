import type { AccessTokens } from './access-token.js'
import { clientAllows } from './client.js'
import { verifyCredentials } from './credentials.js'
import { UnauthorizedClient } from './errors.js'
import type { PasswordHasher } from './password.js'
import type { ClientRecord, UserStore } from './ports.js'
import { grantScopes, parseScope, type Scope } from './scopes.js'
import { mayRefresh, startSession, type SessionDeps } from './sessions.js'
import { tokenResponse, type TokenResponse } from './token-response.js'

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
  /** When given, the grant also returns a refresh token (RFC 6749 §4.3.3) unless the client may not refresh. */
  sessions?: SessionDeps | undefined
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
  const { tokens } = deps
  const client = request.client ?? null
  if (client !== null && !clientAllows(client, 'password')) throw new UnauthorizedClient() // before any hashing
  const user = await verifyCredentials(request, deps)                   // 401 / Inactive user, same cost either way
  const scopes = withinClientScopes(grantScopes(parseScope(request.scope), user.scopes), client) // unknown → invalid_scope
  const notBefore = user.tokensNotBefore                                // a logout during the check included
  const issued = tokens.issue(user.id, scopes, { clientId: client?.id, notBefore }) // sub: the immutable id
  const refreshToken = deps.sessions !== undefined && mayRefresh(client)
    ? await startSession({ userId: user.id, clientId: client?.id ?? null, scopes }, notBefore, deps.sessions) // a new family
    : undefined
  return tokenResponse(issued, scopes, refreshToken)
}
