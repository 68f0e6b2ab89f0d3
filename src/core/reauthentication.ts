import { IncorrectPassword } from './errors.js'
import type { PasswordHasher } from './password.js'
import { assertPasswordWithinLimit } from './password-policy.js'
import type { UserRecord } from './user.js'

export interface ReauthenticationDeps {
  hasher: PasswordHasher
  passwordMaxBytes: number
}

/**
 * The signed-in user types their password again before a change that would let whoever holds the
 * browser keep the account: a new email address (the way to a password reset), removing the
 * second factor, new recovery codes. A session cookie alone — a borrowed laptop, a stolen cookie —
 * is not enough (GitHub's "sudo mode", Keycloak's re-authentication for credential changes).
 * Wrong: IncorrectPassword, which the caller counts against the login limits (throttledLogin).
 */
export async function confirmPassword(user: Pick<UserRecord, 'passwordHash'>, password: string, deps: ReauthenticationDeps): Promise<void> {
  assertPasswordWithinLimit(password, deps.passwordMaxBytes, ['body', 'password'])   // before any hashing
  if (!(await deps.hasher.verify(password, user.passwordHash)).valid) throw new IncorrectPassword()
}
