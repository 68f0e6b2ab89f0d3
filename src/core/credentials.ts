import type { EmailVerificationPolicy } from './email-verification.js'
import { EmailNotVerified, InvalidCredentials, InvalidGrant } from './errors.js'
import type { PasswordHasher } from './password.js'
import { assertPasswordWithinLimit } from './password-policy.js'
import type { UserStore } from './ports.js'
import type { UserRecord } from './user.js'

export interface Credentials {
  username: string
  password: string
}

export interface CredentialDeps {
  users: UserStore
  hasher: PasswordHasher
  passwordMaxBytes: number
  /** TESSERA_EMAIL_VERIFICATION: `required` refuses an account whose address is not verified (absent: not required). */
  emailVerification?: EmailVerificationPolicy | undefined
}

/**
 * Username + password → the account, for /token's password grant and the hosted sign-in page
 * alike, so both have the same rules: an oversized password is refused before any hashing;
 * wrong username and wrong password are indistinguishable in answer and in time (a dummy hash
 * for unknown users); a disabled account, or one whose address must be verified first, is
 * revealed only to someone who knows its password;
 * the account is read again after the slow check; old hashes are upgraded to argon2id.
 */
export async function verifyCredentials(credentials: Credentials, deps: CredentialDeps): Promise<UserRecord> {
  const { username, password } = credentials
  const { users, hasher } = deps
  assertPasswordWithinLimit(password, deps.passwordMaxBytes, ['body', 'password']) // before any hashing
  const user = await users.findByUsername(username)
  if (user === null) {
    await hasher.verifyDummy(password)                                  // same cost as a real check
    throw new InvalidCredentials()
  }
  const { valid, needsRehash } = await hasher.verify(password, user.passwordHash)
  if (!valid) throw new InvalidCredentials()
  const rehashed = needsRehash ? await hasher.hash(password) : null     // bcrypt/old params → argon2id
  const current = await stillCurrent(user, users)                       // re-read after the slow part: changes meanwhile win
  if (rehashed !== null) await users.updatePasswordHash(current.id, rehashed)
  if (current.disabled) throw new InvalidGrant('Inactive user')         // only after the password check
  if (deps.emailVerification === 'required' && !current.emailVerified) throw new EmailNotVerified() // after it too; no address at all counts as unverified
  return current
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
