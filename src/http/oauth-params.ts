import { InvalidRequest } from '../core/index.js'
import type { AjvIssue } from '../fastify/index.js'

/** What Fastify attaches to a request whose body failed its schema (route option `attachValidation`). */
export type AttachedValidationError = (Error & { validation?: AjvIssue[]; validationContext?: string }) | undefined

/** The fields only the password grant needs; the documented form lists them as required, as FastAPI's does. */
const PASSWORD_ONLY = new Set(['username', 'password'])

/**
 * /token documents FastAPI's OAuth2PasswordRequestForm (username and password required), yet
 * the refresh_token and client_credentials grants send neither. The body is validated with
 * `attachValidation`, and here: the password grant keeps FastAPI's 422 as is; another grant
 * drops only the "username/password missing" issues and keeps any other (a field sent twice).
 */
export function assertTokenFormValid(error: AttachedValidationError, grantType: string): void {
  if (error === undefined) return
  if (grantType === 'password') throw error
  const remaining = (error.validation ?? []).filter((issue) => !(issue.keyword === 'required' && PASSWORD_ONLY.has(String(issue.params.missingProperty))))
  if (remaining.length > 0) throw Object.assign(error, { validation: remaining })
}

/**
 * /revoke and /introspect answer a missing or malformed parameter as RFC 6749 §5.2 does,
 * 400 invalid_request: their callers are OAuth libraries, not FastAPI forms.
 */
export function assertOAuthFormValid(error: AttachedValidationError): void {
  if (error === undefined) return
  const fields = [...new Set((error.validation ?? []).map(fieldOf))].sort()
  throw new InvalidRequest(`Missing or invalid parameter: ${fields.join(', ') || 'body'}`)
}

function fieldOf(issue: AjvIssue): string {
  if (issue.keyword === 'required') return String(issue.params.missingProperty)
  return issue.instancePath.split('/')[1] ?? 'body'
}
