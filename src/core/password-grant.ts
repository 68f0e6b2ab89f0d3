import type { AccessTokens } from './access-token.js'
import { InvalidCredentials, InvalidGrant } from './errors.js'
import type { PasswordHasher } from './password.js'
import { assertPasswordWithinLimit } from './password-policy.js'
import type { UserStore } from './ports.js'
import { formatScope, grantScopes, parseScope } from './scopes.js'

export interface PasswordGrantRequest { username: string; password: string; scope?: string | undefined }

/** RFC 6749 §5.1, plus the tutorial's `token_type: "bearer"` spelling. */
export interface TokenResponse { access_token: string; token_type: 'bearer'; expires_in: number; scope: string }

export interface PasswordGrantDeps { users: UserStore; hasher: PasswordHasher; tokens: AccessTokens; passwordMaxBytes: number }

/**
 * The resource owner password grant (RFC 6749 §4.3). Wrong username and wrong password are
 * indistinguishable in answer and in time; a disabled account is only revealed to someone who
 * knows its password.
 */
export async function passwordGrant(request: PasswordGrantRequest, deps: PasswordGrantDeps): Promise<TokenResponse> {
  const { users, hasher, tokens } = deps
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
  const scopes = grantScopes(parseScope(request.scope), user.scopes)    // requested ∩ allowed; unknown → invalid_scope
  const issued = tokens.issue(user.id, scopes)                          // sub is the immutable id, not the name
  return { access_token: issued.token, token_type: 'bearer', expires_in: issued.expiresIn, scope: formatScope(scopes) }
}
