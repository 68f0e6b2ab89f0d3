import type { Clock } from './clock.js'
import { Forbidden, NotFound, ValidationFailed } from './errors.js'
import type { PasswordHasher } from './password.js'
import { assertPasswordAcceptable } from './password-policy.js'
import type { BrowserSessionStore, RefreshTokenStore, UserChanges, UserStore } from './ports.js'
import { emailIssues } from './registration.js'
import type { Scope } from './scopes.js'
import { endAllSessions } from './sessions.js'
import type { UserRecord } from './user.js'

/**
 * The admin API's account flows (issue 3, part 6). Each is a short list of steps; recording
 * them in the audit log is the HTTP layer's job, from what these return.
 */
export interface AdminDeps {
  users: UserStore
  refreshTokens: RefreshTokenStore
  browserSessions: Pick<BrowserSessionStore, 'deleteAllForUser'>
  hasher: PasswordHasher
  passwordMaxBytes: number
  clock: Clock
}

/** The administrator acting: they may not lock themselves out. */
export type Actor = Pick<UserRecord, 'id'>

/** The scope an administrator needs to undo a mistake; nobody may take it from themselves. */
const ADMIN_WRITE: Scope = 'users:write'

export async function findUserOrNotFound(users: UserStore, id: string): Promise<UserRecord> {
  const user = await users.findById(id)
  if (user === null) throw new NotFound('User not found')
  return user
}

/** PATCH /admin/users/{id}: the fields an administrator may change. */
export interface UserUpdate {
  disabled?: boolean | undefined
  scopes?: readonly Scope[] | undefined
  email?: string | null | undefined
  /** Marks the address proven (or not) without a mailed link, as Keycloak's and Supabase's admin APIs allow. */
  email_verified?: boolean | undefined
  full_name?: string | null | undefined
}

export interface UserUpdated {
  user: UserRecord
  /** The fields given, in a fixed order: what the audit log records (never their values' secrets: there are none). */
  changed: (keyof UserUpdate)[]
  /** Whether the change ended the user's sessions (disabled, or a scope taken away). */
  sessionsEnded: boolean
}

const UPDATE_FIELDS = ['disabled', 'scopes', 'email', 'email_verified', 'full_name'] as const satisfies readonly (keyof UserUpdate)[]

/**
 * Disabling, or taking a scope away, ends the user's sessions: otherwise a token issued before
 * would keep a permission the account no longer has until it expired, and a refresh token longer.
 */
export async function updateUser(actor: Actor, id: string, update: UserUpdate, deps: AdminDeps): Promise<UserUpdated> {
  const issues = update.email === undefined ? [] : emailIssues(update.email)  // same rule as registration
  if (issues.length > 0) throw new ValidationFailed(issues)
  const before = await findUserOrNotFound(deps.users, id)
  assertNoSelfLockout(actor, before, update)
  const changed = UPDATE_FIELDS.filter((field) => update[field] !== undefined)
  if (changed.length === 0) return { user: before, changed, sessionsEnded: false } // nothing to write, updatedAt stays
  const user = (await deps.users.update(id, changesOf(update))) ?? notFound()       // deleted meanwhile
  const scopeTaken = update.scopes !== undefined && before.scopes.some((s) => !update.scopes?.includes(s))
  if (update.disabled !== true && !scopeTaken) return { user, changed, sessionsEnded: false }
  await endAllSessions(id, deps)
  return { user: await findUserOrNotFound(deps.users, id), changed, sessionsEnded: true }
}

/** POST /admin/users/{id}/password: registration's password policy, then every session ends. */
export async function resetPassword(id: string, newPassword: string, deps: AdminDeps): Promise<UserRecord> {
  assertPasswordAcceptable(newPassword, deps.passwordMaxBytes, ['body', 'new_password']) // before any hashing
  const user = await findUserOrNotFound(deps.users, id)
  const passwordHash = await deps.hasher.hash(newPassword)
  if (!(await deps.users.updatePasswordHash(id, passwordHash))) notFound()
  await endAllSessions(id, deps)
  return user
}

/**
 * DELETE /admin/users/{id}: the account, its items (ON DELETE CASCADE) and its sessions. Refresh
 * tokens are revoked through their port first, so the guarantee does not rest on one schema's
 * cascade; access tokens die with the account (their user lookup finds nothing).
 */
export async function deleteUser(actor: Actor, id: string, deps: AdminDeps): Promise<UserRecord> {
  if (actor.id === id) throw new Forbidden('Administrators cannot delete their own account')
  const user = await findUserOrNotFound(deps.users, id)
  await deps.refreshTokens.revokeAllForUser(id, deps.clock.now())
  if (!(await deps.users.delete(id))) notFound()
  return user
}

function assertNoSelfLockout(actor: Actor, target: UserRecord, update: UserUpdate): void {
  if (actor.id !== target.id) return
  if (update.disabled === true) throw new Forbidden('Administrators cannot disable their own account')
  if (update.scopes !== undefined && !update.scopes.includes(ADMIN_WRITE)) {
    throw new Forbidden(`Administrators cannot remove ${ADMIN_WRITE} from their own account`)
  }
}

function changesOf(update: UserUpdate): UserChanges {
  return {
    ...(update.disabled === undefined ? {} : { disabled: update.disabled }),
    ...(update.scopes === undefined ? {} : { scopes: [...new Set(update.scopes)] }),
    ...(update.email === undefined ? {} : { email: update.email }),
    ...(update.email_verified === undefined ? {} : { emailVerified: update.email_verified }),
    ...(update.full_name === undefined ? {} : { fullName: update.full_name }),
  }
}

function notFound(): never {
  throw new NotFound('User not found')
}
