import type { ValidationIssue } from './errors.js'
import { ValidationFailed } from './errors.js'
import type { PasswordHasher } from './password.js'
import { passwordIssues } from './password-policy.js'
import type { UserStore } from './ports.js'
import { DEFAULT_USER_SCOPES, type Scope } from './scopes.js'
import { USERNAME_MAX, USERNAME_MIN, type UserRecord } from './user.js'

export interface RegistrationRequest { username: string; password: string; email?: string | null; full_name?: string | null }

export interface RegistrationDeps { users: UserStore; hasher: PasswordHasher; passwordMaxBytes: number }

/**
 * What the account starts with. Open registration gives everyone the defaults; an administrator
 * (the admin API, `tessera users add`) may say otherwise. Applied at insert, so the account never
 * exists, even for a moment, with more than it was meant to have.
 */
export interface AccountOptions { scopes?: readonly Scope[]; disabled?: boolean; emailVerified?: boolean }

/**
 * Open registration (SPEC.md "Users"): validate everything first and report every field at once,
 * as pydantic does; only then pay for a hash. A taken name surfaces as the store's Conflict (409).
 */
export async function registerUser(request: RegistrationRequest, deps: RegistrationDeps, account: AccountOptions = {}): Promise<UserRecord> {
  const username = request.username.normalize('NFKC')             // one spelling per name (UAX #15)
  const email = request.email ?? null
  const issues = [
    ...usernameIssues(username, request.username),
    ...passwordIssues(request.password, deps.passwordMaxBytes, ['body', 'password']),
    ...emailIssues(email),
  ]
  if (issues.length > 0) throw new ValidationFailed(issues)
  const passwordHash = await deps.hasher.hash(request.password)
  return deps.users.create({
    username, passwordHash, email, fullName: request.full_name ?? null,
    disabled: account.disabled ?? false, scopes: [...(account.scopes ?? DEFAULT_USER_SCOPES)], emailVerified: account.emailVerified === true && email !== null,
  })                                                               // Conflict('Username already registered') passes through
}

const USERNAME_LOC = ['body', 'username']

/** Control characters (NUL, newlines, escapes) and lone surrogates have no place in a name shown to people. */
const UNPRINTABLE = /[\p{Cc}\p{Cs}]/u

function usernameIssues(username: string, input: string): ValidationIssue[] {
  const length = [...username].length // code points, as Python's len() counts them
  if (length < USERNAME_MIN) {
    return [{
      type: 'string_too_short', loc: USERNAME_LOC, msg: `String should have at least ${USERNAME_MIN} characters`,
      input, ctx: { min_length: USERNAME_MIN },
    }]
  }
  if (length > USERNAME_MAX) {
    return [{
      type: 'string_too_long', loc: USERNAME_LOC, msg: `String should have at most ${USERNAME_MAX} characters`,
      input, ctx: { max_length: USERNAME_MAX },
    }]
  }
  if (UNPRINTABLE.test(username)) {
    return [{ type: 'value_error', loc: USERNAME_LOC, msg: 'Value error, Username must not contain control characters', input }]
  }
  return []
}

/**
 * A shape check only (one @, a dotted domain, no spaces, RFC 5321's length): deliverability is
 * proved by sending mail, not by a regular expression.
 */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/

/** The e-mail shape check registration applies, for other writers of the field (the admin API). */
export function emailIssues(email: string | null): ValidationIssue[] {
  if (email === null || (email.length <= 254 && EMAIL_SHAPE.test(email) && !UNPRINTABLE.test(email))) return []
  return [{ type: 'value_error', loc: ['body', 'email'], msg: 'value is not a valid email address', input: email }]
}
