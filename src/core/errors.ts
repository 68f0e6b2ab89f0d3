/**
 * The closed set of errors Tessera answers clients with. Each carries its HTTP status and, for
 * OAuth2 endpoints, its RFC 6749 §5.2 / RFC 6750 §3.1 error code. Messages are fixed strings:
 * never a token, password, hash or a library's internal text. `toErrorResponse` in
 * error-response.ts is the one place these become HTTP.
 */
export abstract class AuthError extends Error {
  abstract readonly status: number
  /** RFC 6749 §5.2 / RFC 6750 §3.1 code, where the error has one. */
  readonly code: string | undefined = undefined
  constructor(readonly detail: string) {
    super(detail)
    this.name = new.target.name
  }
}

/** One entry of FastAPI/pydantic-v2's 422 body. `input` is left out for secret fields. */
export interface ValidationIssue {
  type: string
  loc: (string | number)[]
  msg: string
  input?: unknown
  ctx?: Record<string, unknown>
}

// ---- Protected operations (RFC 6750) ----

/** No usable `Authorization: Bearer` credentials were sent (RFC 6750 §3: no error code). */
export class NotAuthenticated extends AuthError {
  readonly status = 401
  constructor() { super('Not authenticated') }
}

/** A token was sent and failed: bad signature, expired, wrong claims, unknown or revoked user. */
export class InvalidToken extends AuthError {
  readonly status = 401
  override readonly code = 'invalid_token'
  /** Scopes the operation needs, echoed in the challenge (RFC 6750 §3). */
  constructor(readonly requiredScopes: readonly string[] = [], readonly description = 'The access token is invalid') {
    super('Could not validate credentials')
  }
}

/** The token is valid but lacks a scope the operation needs (RFC 6750 §3.1: 403). */
export class InsufficientScope extends AuthError {
  readonly status = 403
  override readonly code = 'insufficient_scope'
  constructor(readonly requiredScopes: readonly string[]) { super('Not enough permissions') }
}

/** The authenticated user is disabled (FastAPI's get_current_active_user). */
export class InactiveUser extends AuthError {
  readonly status = 400
  constructor() { super('Inactive user') }
}

// ---- Token endpoint (RFC 6749 §5.2) ----

/**
 * TESSERA_EMAIL_VERIFICATION=required and the account's address is not verified yet: no token,
 * no browser session. Revealed, like an inactive account, only to someone who knows the password.
 */
export class EmailNotVerified extends AuthError {
  readonly status = 400
  override readonly code = 'invalid_grant'
  constructor() { super('Email not verified') }
}

/**
 * The password was right and the account has a second factor (issue 10): no token yet. The body
 * carries `mfa_token` (short-lived, single-use), redeemed at /token with
 * grant_type=urn:tessera:params:oauth:grant-type:mfa-otp — Auth0's `mfa_required` shape.
 */
export class MfaRequired extends AuthError {
  readonly status = 403
  override readonly code = 'mfa_required'
  constructor(readonly mfaToken: string, readonly expiresInSeconds: number) { super('Multi-factor authentication required') }
}

/** A wrong, expired or replayed one-time code (TOTP or recovery code): counted as a failed login. */
export class InvalidOtp extends AuthError {
  readonly status = 400
  override readonly code = 'invalid_grant'
  constructor() { super('Invalid one-time code') }
}

/** Wrong username or password: the tutorial's 401 with `WWW-Authenticate: Bearer`. */
export class InvalidCredentials extends AuthError {
  readonly status = 401
  override readonly code = 'invalid_grant'
  constructor() { super('Incorrect username or password') }
}

/** The grant is not acceptable (inactive user; later: expired or reused refresh token). */
export class InvalidGrant extends AuthError {
  readonly status = 400
  override readonly code = 'invalid_grant'
}

export class InvalidScope extends AuthError {
  readonly status = 400
  override readonly code = 'invalid_scope'
}

export class UnsupportedGrantType extends AuthError {
  readonly status = 400
  override readonly code = 'unsupported_grant_type'
  constructor() { super('Unsupported grant type') }
}

export class InvalidRequest extends AuthError {
  readonly status = 400
  override readonly code = 'invalid_request'
}

/**
 * A refresh token that was already exchanged was presented again (RFC 9700 §4.14.2): its family
 * has been revoked. Answered exactly as any other invalid_grant; the facts are for the audit log.
 */
export class RefreshTokenReused extends InvalidGrant {
  constructor(readonly userId: string, readonly clientId: string | null, readonly familyId: string) {
    super('Invalid refresh token')
  }
}

/**
 * An authorization code that was already exchanged was presented again (RFC 6749 §4.1.2): the
 * tokens issued from it have been revoked. Answered as any other invalid_grant; the facts are
 * for the audit log.
 */
export class AuthorizationCodeReused extends InvalidGrant {
  constructor(readonly userId: string, readonly clientId: string) {
    super('Invalid authorization code')
  }
}

/**
 * Client authentication failed: unknown client, wrong or missing secret (RFC 6749 §5.2). 401
 * with a `Basic` challenge, as HTTP requires of every 401 (RFC 9110 §15.5.2).
 */
export class InvalidClient extends AuthError {
  readonly status = 401
  override readonly code = 'invalid_client'
  constructor(detail = 'Client authentication failed', readonly clientId: string | null = null) { super(detail) }
}

/** The authenticated client may not use this grant type (RFC 6749 §5.2). */
export class UnauthorizedClient extends AuthError {
  readonly status = 400
  override readonly code = 'unauthorized_client'
  constructor(detail = 'The client is not allowed to use this grant type') { super(detail) }
}

/** RFC 8707 §2: a `resource` the client may not ask tokens for, or that is not an absolute URI. */
export class InvalidTarget extends AuthError {
  readonly status = 400
  override readonly code = 'invalid_target'
  constructor(detail = 'The requested resource is not allowed for this client') { super(detail) }
}

// ---- Authorization endpoint (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6) ----

/**
 * An /authorize request that cannot be answered at a redirect URI: no or unknown client_id, a
 * redirect_uri the client did not register. Shown to the user on the error page and never
 * redirected, so Tessera is nobody's open redirector (RFC 9700 §4.11.2).
 */
export class InvalidAuthorizationRequest extends AuthError {
  readonly status = 400
  override readonly code = 'invalid_request'
}

/** The `error` codes an authorization response may carry (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6, RFC 8707 §2). */
export type AuthorizationErrorCode =
  | 'invalid_request' | 'unauthorized_client' | 'access_denied' | 'unsupported_response_type' | 'invalid_scope'
  | 'server_error' | 'temporarily_unavailable' | 'login_required' | 'consent_required' | 'interaction_required'
  | 'request_not_supported' | 'request_uri_not_supported' | 'invalid_target'

/**
 * An /authorize error sent back to the client's validated redirect URI as `error`,
 * `error_description`, `state` and `iss` (RFC 9207). Its status is only what an error page
 * would answer; the route redirects.
 */
export class AuthorizationRedirectError extends AuthError {
  readonly status = 400
  constructor(override readonly code: AuthorizationErrorCode, detail: string) { super(detail) }
}

// ---- Resources ----

/** FastAPI-shaped 422: the body's `detail` is the list of issues. */
export class ValidationFailed extends AuthError {
  readonly status = 422
  constructor(readonly issues: ValidationIssue[]) { super('Validation failed') }
}

/** The current password given to change it is wrong: 400, not 401, since the bearer token is fine. */
export class IncorrectPassword extends AuthError {
  readonly status = 400
  constructor() { super('Incorrect password') }
}

/**
 * A mailed link (email verification, password reset, email change) that cannot be used: unknown,
 * already used, expired, or no longer about the account's address. One answer for all of them,
 * so a guessed token learns nothing about real ones.
 */
export class InvalidLink extends AuthError {
  readonly status = 400
  constructor() { super('This link is invalid or has expired') }
}

export class Conflict extends AuthError {
  readonly status = 409
}

export class Forbidden extends AuthError {
  readonly status = 403
}

export class NotFound extends AuthError {
  readonly status = 404
  constructor(detail = 'Not Found') { super(detail) }
}

// ---- Transport (raised by the HTTP layer, mapped here so there is one table) ----

export class MethodNotAllowed extends AuthError {
  readonly status = 405
  constructor() { super('Method Not Allowed') }
}

export class PayloadTooLarge extends AuthError {
  readonly status = 413
  constructor() { super('Request body too large') }
}

export class UnsupportedMediaType extends AuthError {
  readonly status = 415
  constructor() { super('Unsupported media type') }
}

/** This client has made too many attempts (RFC 6585 §4): retry after `retryAfterSeconds`. */
export class TooManyRequests extends AuthError {
  readonly status = 429
  constructor(readonly retryAfterSeconds: number, detail = 'Too many requests, retry later') { super(detail) }
}

/**
 * Failed logins for this username from this address (or from this address at all) went over the
 * limit. `slow_down` is the token endpoint's registered "too fast, back off" code (RFC 8628 §3.5).
 * The answer is the same whether or not the username exists.
 */
export class TooManyLoginFailures extends TooManyRequests {
  override readonly code = 'slow_down'
  constructor(retryAfterSeconds: number) { super(retryAfterSeconds, 'Too many failed login attempts, retry later') }
}

/** Capacity is exhausted (the hashing queue is full, the database is unreachable): retry later. */
export class ServiceUnavailable extends AuthError {
  readonly status = 503
  constructor(readonly retryAfterSeconds: number, detail = 'Service temporarily unavailable, retry later') {
    super(detail)
  }
}
