import {
  AuthError, InsufficientScope, InvalidClient, InvalidCredentials, InvalidToken, MfaRequired, NotAuthenticated,
  ServiceUnavailable, TooManyRequests, ValidationFailed,
} from './errors.js'

export interface ErrorResponse {
  status: number
  headers: Record<string, string>
  body: Record<string, unknown>
}

/** RFC 6750 §3 quoted-string: our values are fixed ASCII, but never let a quote break the header. */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`
}

function bearerChallenge(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => `${key}=${quote(value)}`)
  return parts.length === 0 ? 'Bearer' : `Bearer ${parts.join(', ')}`
}

/** The challenge of an invalid_client answer (RFC 7617 §2). */
export const CLIENT_CHALLENGE = 'Basic realm="tessera"'

/**
 * THE mapping from errors to HTTP. Known errors keep their status and fixed message; anything
 * else is a bug and becomes an opaque 500 (the caller logs it), so no library text ever leaks.
 */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (!(err instanceof AuthError)) {
    return { status: 500, headers: {}, body: { detail: 'Internal Server Error' } }
  }
  const headers: Record<string, string> = {}
  let body: Record<string, unknown> = { detail: err.detail }

  if (err instanceof NotAuthenticated) {
    headers['www-authenticate'] = 'Bearer' // RFC 6750 §3: no error code when no credentials were sent
  } else if (err instanceof InvalidToken) {
    headers['www-authenticate'] = bearerChallenge({
      error: err.code,
      error_description: err.description,
      scope: err.requiredScopes.join(' '),
    })
  } else if (err instanceof InsufficientScope) {
    headers['www-authenticate'] = bearerChallenge({ error: err.code, scope: err.requiredScopes.join(' ') })
  } else if (err instanceof ValidationFailed) {
    body = { detail: err.issues }
  } else if (err.code !== undefined) {
    // Token-endpoint errors: FastAPI's `detail` plus the RFC 6749 §5.2 fields.
    body = { detail: err.detail, error: err.code, error_description: err.detail }
    if (err instanceof InvalidCredentials) headers['www-authenticate'] = 'Bearer'
    if (err instanceof MfaRequired) body = { ...body, mfa_token: err.mfaToken, expires_in: err.expiresInSeconds }
    // RFC 6749 §5.2 asks for the scheme the client used; RFC 9110 §15.5.2 for a challenge on
    // every 401. Basic is the one scheme client authentication has (client_secret_post is not
    // an HTTP scheme), so it is the challenge either way.
    if (err instanceof InvalidClient) headers['www-authenticate'] = CLIENT_CHALLENGE
  }
  if (err instanceof ServiceUnavailable || err instanceof TooManyRequests) headers['retry-after'] = String(err.retryAfterSeconds)
  return { status: err.status, headers, body }
}
