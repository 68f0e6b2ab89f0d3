import { InsufficientScope, InvalidScope } from './errors.js'

/**
 * The scopes Tessera knows, with the descriptions the OpenAPI security scheme shows (the same
 * words as FastAPI's scopes tutorial). Anything else is `invalid_scope` (RFC 6749 §5.2).
 */
export const SCOPES = {
  me: 'Read information about the current user',
  items: 'Read items',
  'users:read': 'Read and search user accounts',
  'users:write': 'Create, change and delete user accounts',
} as const

export type Scope = keyof typeof SCOPES

/**
 * OpenID Connect's scopes (OIDC Core §5.4, §11): what a user lets an app know about them, not a
 * permission an administrator hands out. Every user may consent to them; a client may be
 * granted only those it is registered for. The password grant does not know them (FastAPI's
 * form never sends them): there they are unknown scopes, as before.
 */
export const IDENTITY_SCOPES = {
  openid: 'Sign you in with your account',
  profile: 'See your name and username',
  email: 'See your email address',
  offline_access: 'Stay signed in when you are away (a refresh token)',
} as const

export type IdentityScope = keyof typeof IDENTITY_SCOPES

/** Any scope a client may be registered for or a code-flow request may ask for. */
export type ClientScope = Scope | IdentityScope

/** Scopes a newly registered user may be granted, and the default grant when none is asked for. */
export const DEFAULT_USER_SCOPES: readonly Scope[] = ['me', 'items']

/**
 * Scopes that reach other people's accounts (the admin API). A token carries one only when the
 * user may have it AND the client asked for it by name: a login that asks for nothing gets the
 * everyday scopes, so an administrator's ordinary session is not an administrative one
 * (least privilege, RFC 9700 §2.3).
 */
export const PRIVILEGED_SCOPES: readonly Scope[] = ['users:read', 'users:write']

export function isPrivilegedScope(scope: string): boolean {
  return (PRIVILEGED_SCOPES as readonly string[]).includes(scope)
}

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value)
}

export function isIdentityScope(value: string): value is IdentityScope {
  return Object.hasOwn(IDENTITY_SCOPES, value)
}

export function isClientScope(value: string): value is ClientScope {
  return isScope(value) || isIdentityScope(value)
}

/** What a consent page says a scope lets the app do. */
export function scopeDescription(scope: ClientScope): string {
  return isIdentityScope(scope) ? IDENTITY_SCOPES[scope] : SCOPES[scope]
}

/** RFC 6749 §3.3: space-delimited, order-free, duplicates meaningless. */
export function parseScope(raw: string | undefined | null): string[] {
  if (raw === undefined || raw === null) return []
  return [...new Set(raw.split(' ').filter((s) => s !== ''))]
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ')
}

/**
 * The granted set is requested ∩ allowed (the tutorial grants whatever is asked; a real server
 * must not). No request means the user's allowed scopes minus the privileged ones, which are
 * only ever granted by name. An unknown scope is refused outright rather than silently dropped,
 * so a client learns of its typo.
 */
export function grantScopes(requested: readonly string[], allowed: readonly Scope[]): Scope[] {
  const unknown = requested.filter((s) => !isScope(s))
  if (unknown.length > 0) throw new InvalidScope('Unknown scope requested')
  if (requested.length === 0) return allowed.filter((s) => !isPrivilegedScope(s))
  return allowed.filter((s) => requested.includes(s))
}

/** Every required scope must be in the token; the error lists all of them (RFC 6750 §3.1). */
export function assertScopes(granted: readonly string[], required: readonly string[]): void {
  if (required.some((s) => !granted.includes(s))) throw new InsufficientScope(required)
}
