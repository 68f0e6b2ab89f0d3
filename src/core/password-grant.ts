import type { AccessTokens } from './access-token.js'
import { clientAllows } from './client.js'
import { InvalidCredentials, InvalidGrant, UnauthorizedClient } from './errors.js'
import type { PasswordHasher } from './password.js'
import { assertPasswordWithinLimit } from './password-policy.js'
import type { ClientRecord, UserStore } from './ports.js'
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
  const rehashed = needsRehash ? await hasher.hash(request.password) : null // bcrypt/old params → argon2id
  const current = await stillCurrent(user, users)                       // re-read after the slow part: changes meanwhile win
  if (rehashed !== null) await users.updatePasswordHash(current.id, rehashed)
  if (current.disabled) throw new InvalidGrant('Inactive user')         // only after the password check
  const scopes = withinClientScopes(grantScopes(parseScope(request.scope), current.scopes), client) // unknown → invalid_scope
  const notBefore = current.tokensNotBefore                             // a logout during the check included
  const issued = tokens.issue(current.id, scopes, { clientId: client?.id, notBefore }) // sub: the immutable id
  const refreshToken = deps.sessions !== undefined && mayRefresh(client)
    ? await startSession({ userId: current.id, clientId: client?.id ?? null, scopes }, notBefore, deps.sessions) // a new family
    : undefined
  return tokenResponse(issued, scopes, refreshToken)
}

/**
 * The user as stored now, read again after the ~100 ms password check: a password change or
 * reset, deletion, disable or logout-all that landed during it must not be undone by tokens
 * issued from the record read before it. A changed hash or a deleted user is a wrong password.
 */
async function stillCurrent(user: UserRecord, users: UserStore): Promise<UserRecord> {
  const current = await users.findById(user.id)
  if (current === null || current.passwordHash !== user.passwordHash) throw new InvalidCredentials()
  return current
}
