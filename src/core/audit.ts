import type { AuditStore } from './ports.js'

/**
 * What the audit log records (issue 3, part 7): who did what, from where, and whether it
 * worked — never a password, hash, token or secret. The set of event names is closed so that
 * filters and dashboards can rely on it.
 */
export const AUDIT_EVENTS = [
  'login.succeeded', 'login.failed', 'user.registered',
  'token.refreshed', 'token.reuse_detected', 'token.revoked',
  'client_credentials.issued', 'client.authentication_failed',
  'logout', 'password.changed', 'password.change_failed',
  'admin.user_created', 'admin.user_updated', 'admin.user_deleted', 'admin.password_reset',
  'admin.client_created', 'admin.client_updated', 'admin.client_deleted', 'admin.client_secret_rotated',
  // Sign-in from apps (issue 9): consent answers, codes issued, exchanged and replayed, browser sign-outs.
  'consent.granted', 'consent.denied', 'authorization_code.issued', 'authorization_code.exchanged',
  'authorization_code.reuse_detected', 'session.ended',
  // Accounts (issue 10): mailed links, second factors, the account page.
  'email.verification_sent', 'email.verified', 'email.change_requested', 'email.changed',
  'password.reset_requested', 'password.reset', 'password.reset_failed',
  'mfa.enrolled', 'mfa.removed', 'mfa.challenge_failed', 'mfa.recovery_code_used', 'mfa.recovery_codes_regenerated',
  'admin.mfa_reset', 'consent.revoked',
  // Upstream sign-in (issue 11): providers configured, accounts linked and unlinked, sign-ins through them.
  'admin.provider_added', 'admin.provider_updated', 'admin.provider_removed', 'federation.linked', 'federation.unlinked',
  'federation.user_created', 'federation.login_failed',
] as const

export type AuditEventName = (typeof AUDIT_EVENTS)[number]

/** Where a request came from: filled in by the HTTP layer (client IP honours trustProxy). */
export interface AuditContext {
  ip: string | null
  userAgent: string | null
}

export interface AuditEvent extends AuditContext {
  event: AuditEventName
  /** Epoch milliseconds. */
  at: number
  /** The user acted on or acting (null when unknown, e.g. a failed login for a non-existent name). */
  userId: string | null
  /** The username as typed or stored: helps read failed logins; never a password. */
  username: string | null
  clientId: string | null
  /** For admin actions: the admin who acted. */
  actorId: string | null
  /** Small, secret-free facts (granted scopes, failure reason code, changed field names). */
  details: Record<string, string | number | boolean | null | string[]>
}

export interface AuditRecord extends AuditEvent {
  id: number
}

export interface AuditFilter {
  event?: AuditEventName
  userId?: string
  /** The administrator who acted (admin.* events). */
  actorId?: string
  clientId?: string
  ip?: string
  /** Epoch milliseconds, both bounds inclusive. */
  since?: number
  until?: number
  limit: number
  offset: number
}

/** Records an event; a failing audit store must not turn a successful login into a 500. */
export type Audit = Pick<AuditStore, 'record'>

/** An audit entry as the admin API and `tessera audit --json` show it: snake_case, time as RFC 3339. */
export interface PublicAuditEntry {
  id: number
  at: string
  event: AuditEventName
  user_id: string | null
  username: string | null
  client_id: string | null
  actor_id: string | null
  ip: string | null
  user_agent: string | null
  details: AuditEvent['details']
}

export function toPublicAuditEntry(record: AuditRecord): PublicAuditEntry {
  return {
    id: record.id, at: new Date(record.at).toISOString(), event: record.event, user_id: record.userId, username: record.username,
    client_id: record.clientId, actor_id: record.actorId, ip: record.ip, user_agent: record.userAgent, details: record.details,
  }
}
