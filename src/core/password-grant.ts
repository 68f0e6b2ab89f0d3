import type { AccessTokens } from './access-token.js'
import { clientAllows } from './client.js'
import { InvalidCredentials, InvalidGrant, UnauthorizedClient } from './errors.js'
import type { PasswordHasher } from './password.js'
import { assertPasswordWithinLimit } from './password-policy.js'
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
 * The resource owner password grant (RFC 6749 §4.3). Wrong username and wrong password are
 * indistinguishable in answer and in time; a disabled account is only revealed to someone who
 * knows its password.
 */
export async function passwordGrant(request: PasswordGrantRequest, deps: PasswordGrantDeps): Promise<TokenResponse> {
  const { users, hasher, tokens } = deps
  const client = request.client ?? null
  if (client !== null && !clientAllows(client, 'password')) throw new UnauthorizedClient() // before any hashing
  assertPasswordWithinLimit(request.password, deps.passwordMaxBytes, ['body', 'password']) // before any hashing
  const user = await users.findByUsername(request.username)
  if (user === null) {
    await hasher.verifyDummy(request.password)                          // same cost as a real check
    throw new InvalidCredentials()
  }
  const { valid, needsRehash } = await hasher.verify(request.password, user.passwordHash)
  if (!valid) throw new InvalidCredentials()
  if (needsRehash) await users.updatePasswordHash(user.id, await hasher.hash(request.password)) // bcrypt/old params → argon2id now
  if (user.disabled) throw new InvalidGrant('Inactive user')            // only after the password check
  const scopes = withinClientScopes(grantScopes(parseScope(request.scope), user.scopes), client) // unknown → invalid_scope
  const notBefore = user.tokensNotBefore
  const issued = tokens.issue(user.id, scopes, { clientId: client?.id, notBefore }) // sub: the immutable id
  const refreshToken = deps.sessions !== undefined && mayRefresh(client)
    ? await startSession({ userId: user.id, clientId: client?.id ?? null, scopes }, notBefore, deps.sessions) // a new family
    : undefined
  return tokenResponse(issued, scopes, refreshToken)
}
