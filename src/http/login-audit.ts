import type { FastifyRequest } from 'fastify'
import {
  AuthError, EmailNotVerified, InvalidCredentials, InvalidGrant, ServiceUnavailable, TooManyRequests, ValidationFailed,
  type Audit, type Clock, type UserStore,
} from '../core/index.js'
import { recordAudit } from './audit.js'

/** Why a password login failed, as the audit log records it: a code, never the password. */
export type LoginFailureReason =
  | 'invalid_credentials' | 'inactive' | 'email_not_verified' | 'throttled' | 'overloaded' | 'invalid_request' | (string & {})

/**
 * The reason code of a failed login, or null when the failure is not the login's (a bug or an
 * outage: the error log has those, and they say nothing about who tried what).
 */
export function loginFailureReason(err: unknown): LoginFailureReason | null {
  if (err instanceof InvalidCredentials) return 'invalid_credentials'
  if (err instanceof InvalidGrant && err.detail === 'Inactive user') return 'inactive'
  if (err instanceof EmailNotVerified) return 'email_not_verified'
  if (err instanceof TooManyRequests) return 'throttled'
  if (err instanceof ServiceUnavailable) return 'overloaded'
  if (err instanceof ValidationFailed) return 'invalid_request'          // a password over the size limit
  if (err instanceof AuthError && err.code !== undefined) return err.code // invalid_scope, unauthorized_client, ...
  return null
}

export interface LoginAuditDeps {
  audit: Audit
  users: Pick<UserStore, 'findByUsername'>
  clock: Clock
}

export interface LoginAttempt {
  /** As typed: the log shows what was tried. Cut to a bounded length so a huge name cannot bloat the log. */
  username: string
  clientId?: string | null | undefined
  /** Where the password was typed, when not at /token: the hosted sign-in page. */
  via?: 'sign_in_page' | undefined
}

const USERNAME_LOGGED_MAX = 200

/**
 * The account a login named, if any. Looked up after the answer is decided, for success and
 * failure alike, so it tells an observer nothing the answer did not; a lookup that cannot be
 * made (a name the database cannot hold) simply leaves the entry without a user.
 */
async function accountOf(users: LoginAuditDeps['users'], username: string): Promise<string | null> {
  try {
    return (await users.findByUsername(username))?.id ?? null
  } catch {
    return null
  }
}

/** A successful login; `scope` is what /token granted (the sign-in page grants nothing by itself: it records `via`). */
export async function recordLoginSucceeded(request: FastifyRequest, deps: LoginAuditDeps, attempt: LoginAttempt, scope = ''): Promise<void> {
  await recordAudit(deps.audit, request, 'login.succeeded', {
    userId: await accountOf(deps.users, attempt.username),
    username: attempt.username.slice(0, USERNAME_LOGGED_MAX),
    clientId: attempt.clientId ?? null,
    details: attempt.via === undefined ? { scope } : { via: attempt.via },
  }, deps.clock.now())
}

/**
 * A login refused by the brute-force limits is not recorded (nor its user looked up): a flood of
 * them would grow the log by a row a request at no cost to the sender, and /metrics counts them
 * (tessera_logins_total{outcome="throttled"}). The failures that led to the lock are recorded.
 */
export async function recordLoginFailed(request: FastifyRequest, deps: LoginAuditDeps, attempt: LoginAttempt, err: unknown): Promise<void> {
  const reason = loginFailureReason(err)
  if (reason === null || reason === 'throttled') return
  await recordAudit(deps.audit, request, 'login.failed', {
    userId: await accountOf(deps.users, attempt.username),
    username: attempt.username.slice(0, USERNAME_LOGGED_MAX),
    clientId: attempt.clientId ?? null,
    details: attempt.via === undefined ? { reason } : { reason, via: attempt.via },
  }, deps.clock.now())
}
