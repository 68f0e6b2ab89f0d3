// The public API of `tessera`: every export is listed by name, so nothing becomes public by accident.

export { type Clock, systemClock, fixedClock, epochSeconds } from './clock.js'
export {
  AuthError, type ValidationIssue, NotAuthenticated, InvalidToken, InsufficientScope, InactiveUser,
  InvalidCredentials, InvalidGrant, InvalidScope, UnsupportedGrantType, InvalidRequest, ValidationFailed,
  Conflict, Forbidden, NotFound, MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType, ServiceUnavailable,
  TooManyRequests, TooManyLoginFailures, RefreshTokenReused, InvalidClient, UnauthorizedClient, IncorrectPassword,
  InvalidTarget, InvalidAuthorizationRequest, AuthorizationRedirectError, type AuthorizationErrorCode, AuthorizationCodeReused,
  EmailNotVerified, MfaRequired, InvalidOtp, InvalidLink,
} from './errors.js'
export { type ErrorResponse, toErrorResponse, CLIENT_CHALLENGE } from './error-response.js'
export {
  type UserRecord, type PublicUser, type NewUser, type ItemRecord, type NewItem, type PublicItem,
  toPublicUser, toPublicItem, normalizeUsername, normalizeEmail, USERNAME_MIN, USERNAME_MAX,
} from './user.js'
export type { UserStore, UserSearch, UserPage, UserChanges, ItemStore, SettingsStore, Store } from './ports.js'
export {
  SCOPES, type Scope, DEFAULT_USER_SCOPES, PRIVILEGED_SCOPES, isScope, isPrivilegedScope, parseScope, formatScope, grantScopes, assertScopes,
} from './scopes.js'
export { extractBearerToken } from './bearer.js'
export {
  type AccessClaims, type IssuedAccessToken, type AccessTokenOptions, type AccessTokens, createAccessTokens,
} from './access-token.js'
export { type HashAdmissionOptions, HashAdmission } from './hash-admission.js'
export { type Metrics, noMetrics, countLoginError } from './metrics.js'
export { ARGON2ID_PARAMS, type PasswordVerification, type PasswordHasher, createPasswordHasher } from './password.js'
export { PASSWORD_MIN_CHARS, assertPasswordAcceptable, assertPasswordWithinLimit } from './password-policy.js'
export { type AuthDeps, type Authenticated, authenticate } from './authenticate.js'
export {
  type PasswordGrantRequest, type TokenResponse, type PasswordGrantDeps, passwordGrant, issueUserTokens,
} from './password-grant.js'
export { type RegistrationRequest, type RegistrationDeps, type AccountOptions, registerUser } from './registration.js'
export { TUTORIAL_SECRET_KEY, assertUsableSecretKey, resolveSecretKey } from './secret-key.js'
export { seedDemo } from './demo.js'
export {
  AUDIT_EVENTS, type Audit, type AuditContext, type AuditEvent, type AuditEventName, type AuditFilter, type AuditRecord,
  type PublicAuditEntry, toPublicAuditEntry,
} from './audit.js'
export type {
  RefreshTokenRecord, NewRefreshToken, RefreshTokenStore, RevokedTokenStore, ClientType, ClientRecord, NewClient, ClientStore,
  SigningAlgorithm, SigningKeyStatus, SigningKeyRecord, SigningKeyStore, AuditStore,
} from './ports.js'
export type { IssueOptions } from './access-token.js'
export { ACCESS_TOKEN_TYP } from './access-token.js'
export {
  SIGNING_ALGORITHMS, DEFAULT_SIGNING_ALGORITHM, RSA_MIN_BITS, EMPTY_KEY_SET, type PublicJwk, type VerificationKey,
  type ActiveSigningKey, type KeySet, isSigningAlgorithm, jwkThumbprint, generateSigningKey, buildKeySet,
} from './signing-keys.js'
export {
  type SigningKeys, type SigningKeyRing, type SigningKeyRingOptions, fixedSigningKeys, openSigningKeyRing,
} from './signing-key-ring.js'
export {
  type KeyRotationDeps, type SigningKeySummary, type RotateRequest, summarizeSigningKey, listSigningKeys, addSigningKey,
  rotateSigningKey, retireSigningKey, type AddKeyOptions, type Rotation, type IdTokenKeyDeps, ensureIdTokenKey,
} from './key-rotation.js'
export {
  type AdminDeps, type Actor, type UserUpdate, type UserUpdated,
  findUserOrNotFound, updateUser, resetPassword, deleteUser,
} from './admin.js'
export {
  type ThrottleRule, type ThrottleStore, type FailOpenOptions, lockoutFor, throttleKey, retryAfterSeconds, failOpen,
} from './throttle.js'
export { clientNetwork } from './client-network.js'
export {
  type LoginLimitPolicy, type LoginAttempt, type LoginLimiter, MAX_LOCKOUT_SECONDS, LOCKOUT_MEMORY_SECONDS,
  createLoginLimiter, throttledLogin,
} from './login-limiter.js'
export { type RegistrationLimiter, createRegistrationLimiter } from './registration-limiter.js'
export { tokenResponse } from './token-response.js'
export {
  REFRESH_TOKEN_BYTES, type RefreshPolicy, type RefreshBinding, type MintedRefreshToken, type RefreshTokenState,
  generateRefreshToken, hashRefreshToken, hasRefreshTokenShape, mintRefreshToken, refreshTokenExpiry, refreshTokenState,
} from './refresh-token.js'
export { type SessionDeps, mayRefresh, startSession, tokensNotBeforeAt, endAllSessions } from './sessions.js'
export { type RefreshGrantRequest, type RefreshGrantDeps, type RefreshGrantResult, refreshGrant } from './refresh-grant.js'
export {
  GRANT_TYPES, type GrantType, CLIENT_TYPES, DEFAULT_CLIENT_GRANT_TYPES, CODE_FLOW_GRANT_TYPES,
  isGrantType, generateClientId, generateClientSecret, hashClientSecret, clientSecretMatches, clientAllows, rotateClientSecret,
} from './client.js'
export {
  CLIENT_URI_LIST_MAX, type ClientRegistration, type ClientUpdate, type RegisteredClient, type ClientField, type ClientUpdated,
  registerClient, updateClient,
} from './client-registration.js'
export {
  type ClientAuthMethod, CLIENT_AUTH_METHODS, type ClientCredentials, type ClientForm, readClientCredentials, authenticateClient,
} from './client-auth.js'
export {
  type ClientCredentialsRequest, type ClientCredentialsResult, clientCredentialsGrant,
} from './client-credentials-grant.js'
export { type RevocationDeps, type Revocation, revokeToken, isClientToken } from './revocation.js'
export { type Introspection, type IntrospectionDeps, introspect } from './introspection.js'
export {
  type PasswordChangeRequest, type PasswordChangeDeps, changePassword, type BrowserPasswordChangeDeps, type BrowserPasswordChanged,
  changePasswordInBrowser,
} from './password-change.js'
export { DOCS_CLIENT_ID, DEMO_CLIENT_ID, ensureDocsClient, ensureDemoClient } from './built-in-clients.js'

// ---- Sign-in from apps (issue 9): authorization code + PKCE, browser sessions, OpenID Connect ----
export {
  REDIRECT_URI_MAX_CHARS, redirectUriProblem, matchRedirectUri, matchPostLogoutRedirectUri,
} from './redirect-uri.js'
export { CODE_CHALLENGE_METHODS, s256Challenge, verifierMatches } from './pkce.js'
export {
  type Prompt, type AuthorizationTarget, type AuthorizationRequest, resolveAuthorizationTarget, validateAuthorizationRequest,
} from './authorization-request.js'
export {
  type NextStep, type DecideOptions, type AuthorizationDeps, type IssueDeps, nextStep, authorize, authorizationErrorUrl,
} from './authorization.js'
export { AUTHORIZATION_CODE_SECONDS, hashAuthorizationCode, hasAuthorizationCodeShape, issueAuthorizationCode } from './authorization-code.js'
export {
  type CodeGrantRequest, type CodeGrantDeps, type CodeGrantResult, authorizationCodeGrant,
} from './authorization-code-grant.js'
export {
  type BrowserSessionPolicy, type BrowserSessionDeps, type SignedIn, type NewSignIn, hashSessionToken, startBrowserSession,
  browserSessionLive, findSignedIn, authTimeOf, endBrowserSession,
} from './browser-session.js'
export { consentNeeded, rememberConsent, type ConsentRevocation, revokeConsent } from './consent.js'
export { type Credentials, type CredentialDeps, verifyCredentials } from './credentials.js'
export { type IdTokenRequest, type IdTokenHint, type IdTokens, type IdTokenOptions, tokenHash, createIdTokens } from './id-token.js'
export { type UserInfo, userInfoClaims } from './userinfo.js'
export { type EndSessionParameters, type EndSessionRequest, resolveEndSession, postLogoutRedirectUrl } from './end-session.js'
export {
  IDENTITY_SCOPES, type IdentityScope, type ClientScope, isIdentityScope, isClientScope, scopeDescription,
} from './scopes.js'
export type {
  BrowserSessionRecord, BrowserSessionStore, AuthorizationCodeRecord, NewAuthorizationCode, CodeExchange, AuthorizationCodeStore,
  ConsentRecord, ConsentStore, SigningKeyPurpose, ClientChanges, ClientSignInField,
} from './ports.js'
export { DEFAULT_ID_TOKEN_ALGORITHM, SIGNING_KEY_PURPOSES } from './signing-keys.js'
export type { VerifyOptions } from './access-token.js'
export { type EndSessionsDeps } from './sessions.js'

// ---- The account page (issue 10): sign-ins to see and end, re-authentication for sensitive changes ----
export {
  type AccountSessionDeps, type SessionsEnded, listBrowserSessions, endOwnBrowserSession, endOtherBrowserSessions,
} from './account-sessions.js'
export { type ReauthenticationDeps, confirmPassword } from './reauthentication.js'

// ---- Mail (issue 10): the port the server's queue implements, and the words of each mail ----
export { type MailKind, type MailMessage, type Mailer, noMailer } from './mail.js'
export {
  type LinkMailValues, verifyEmailMail, resetPasswordMail, confirmEmailChangeMail, emailChangedNotice, passwordResetDoneNotice,
} from './mail-templates.js'

// ---- Mailed links (issue 10): single-use tokens, email verification, password reset, email change ----
export {
  type OneTimeTokenRequest, type OneTimeTokenDeps, ONE_TIME_TOKEN_SECONDS, hashOneTimeToken, hasOneTimeTokenShape, issueOneTimeToken,
  findLiveOneTimeToken, consumeOneTimeToken,
} from './one-time-token.js'
export { type MailLinkDeps, MAILED_LINK_PATHS, mailedLink } from './mailed-link.js'
export {
  type EmailVerificationPolicy, type EmailVerificationDeps, ACCOUNTS_PER_ADDRESS, sameAddress, sendEmailVerification,
  resendEmailVerification, pendingEmailVerification, verifyEmail, assertEmailShape, assertEmailForPolicy,
} from './email-verification.js'
export {
  type PasswordResetRequestDeps, type PasswordResetLinkDeps, type PasswordResetDeps, type PasswordResetRequest,
  RESET_ACCOUNTS_PER_ADDRESS, requestPasswordReset, passwordResetAccount, resetPasswordWithLink,
} from './password-reset.js'
export {
  type EmailChangeDeps, type PendingEmailChange, type EmailChanged, requestEmailChange, pendingEmailChange, confirmEmailChange,
} from './email-change.js'
export {
  type MailRequestKind, type MailRequestLimits, type MailRequestLimiter, MAIL_REQUEST_LIMITS, createMailRequestLimiter,
} from './mail-request-limiter.js'

// ---- Second factor (issue 10): TOTP (RFC 6238), recovery codes, the mfa token and the mfa-otp grant ----
export {
  TOTP_DIGITS, TOTP_PERIOD_SECONDS, TOTP_WINDOW, generateTotpSecret, totpUri, totpStep, looksLikeTotpCode, verifyTotp,
} from './totp.js'
export { RECOVERY_CODE_COUNT, generateRecoveryCodes, normalizeRecoveryCode, hashRecoveryCode } from './recovery-codes.js'
export {
  type MfaDeps, type MfaAccount, type SecondFactorMethod, type TotpStatus, amrFor, startTotpEnrolment, pendingTotpEnrolment,
  confirmTotpEnrolment, regenerateRecoveryCodes, removeTotp, totpStatus, hasSecondFactor, verifySecondFactor, resetSecondFactor,
} from './mfa.js'
export {
  type MfaChallengeVia, type MfaBinding, type MfaChallenge, type MfaChallengeDeps, type RedeemedMfaChallenge, mfaRequired, redeemMfaChallenge,
} from './mfa-challenge.js'
export { type MfaOtpGrantRequest, type MfaOtpGrantDeps, type MfaOtpGranted, MFA_OTP_GRANT_TYPE, mfaOtpGrant } from './mfa-otp-grant.js'
export type {
  TotpRecord, TotpStore, RecoveryCodeStore, OneTimeTokenPurpose, OneTimeTokenRecord, NewOneTimeToken, OneTimeTokenStore,
} from './ports.js'
// upstream sign-in (issue 11): identity providers
export {
  IDENTITY_PROVIDER_KINDS, PROVIDER_PRESETS, isPresetName, providerFromInput, addIdentityProvider, updateIdentityProvider, toPublicProvider, providerName,
  type ProviderInput, type ProviderPreset,
} from './identity-providers.js'
export type {
  IdentityProviderKind, IdentityProviderRecord, IdentityProviderChanges, IdentityProviderStore, FederatedIdentityRecord, FederatedIdentityStore,
  FederationStateRecord, FederationStateStore,
} from './ports.js'
export {
  NO_PASSWORD, ExistingAccountUnverified, hasPassword, resolveFederatedSignIn, linkIdentity, unlinkIdentity, usernameBase,
  type UpstreamIdentity, type FederatedSignIn, type FederationDeps,
} from './federation.js'
