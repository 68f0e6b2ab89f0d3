// The public API of `tessera`: every export is listed by name, so nothing becomes public by accident.

export { type Clock, systemClock, fixedClock, epochSeconds } from './clock.js'
export {
  AuthError, type ValidationIssue, NotAuthenticated, InvalidToken, InsufficientScope, InactiveUser,
  InvalidCredentials, InvalidGrant, InvalidScope, UnsupportedGrantType, InvalidRequest, ValidationFailed,
  Conflict, Forbidden, NotFound, MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType, ServiceUnavailable,
} from './errors.js'
export { type ErrorResponse, toErrorResponse } from './error-response.js'
export {
  type UserRecord, type PublicUser, type NewUser, type ItemRecord, type NewItem, type PublicItem,
  toPublicUser, toPublicItem, normalizeUsername, USERNAME_MIN, USERNAME_MAX,
} from './user.js'
export type { UserStore, ItemStore, SettingsStore, Store } from './ports.js'
export {
  SCOPES, type Scope, DEFAULT_USER_SCOPES, isScope, parseScope, formatScope, grantScopes, assertScopes,
} from './scopes.js'
export { extractBearerToken } from './bearer.js'
export {
  type AccessClaims, type IssuedAccessToken, type AccessTokenOptions, type AccessTokens, createAccessTokens,
} from './access-token.js'
export { type HashAdmissionOptions, HashAdmission } from './hash-admission.js'
export { ARGON2ID_PARAMS, type PasswordVerification, type PasswordHasher, createPasswordHasher } from './password.js'
export { PASSWORD_MIN_CHARS, assertPasswordAcceptable, assertPasswordWithinLimit } from './password-policy.js'
export { type AuthDeps, type Authenticated, authenticate } from './authenticate.js'
export {
  type PasswordGrantRequest, type TokenResponse, type PasswordGrantDeps, passwordGrant,
} from './password-grant.js'
export { type RegistrationRequest, type RegistrationDeps, registerUser } from './registration.js'
export { TUTORIAL_SECRET_KEY, assertUsableSecretKey, resolveSecretKey } from './secret-key.js'
export { seedDemo } from './demo.js'
