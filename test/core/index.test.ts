import { describe, expect, it } from 'vitest'
// The relative path, not the `tessera` alias: tsc has no mapping for the package's own name.
import * as tessera from '../../src/core/index.js'

describe('the public API (tessera)', () => {
  it('exports exactly the core\'s named runtime values', () => {
    expect(Object.keys(tessera).sort()).toEqual([
      'ARGON2ID_PARAMS', 'AuthError', 'Conflict', 'DEFAULT_USER_SCOPES', 'Forbidden', 'HashAdmission', 'InactiveUser',
      'InsufficientScope', 'InvalidCredentials', 'InvalidGrant', 'InvalidRequest', 'InvalidScope', 'InvalidToken',
      'MethodNotAllowed', 'NotAuthenticated', 'NotFound', 'PASSWORD_MIN_CHARS', 'PayloadTooLarge', 'SCOPES', 'ServiceUnavailable',
      'TUTORIAL_SECRET_KEY', 'USERNAME_MAX', 'USERNAME_MIN', 'UnsupportedGrantType', 'UnsupportedMediaType', 'ValidationFailed',
      'assertPasswordAcceptable', 'assertPasswordWithinLimit', 'assertScopes', 'assertUsableSecretKey', 'authenticate',
      'createAccessTokens', 'createPasswordHasher', 'epochSeconds', 'extractBearerToken', 'fixedClock', 'formatScope',
      'grantScopes', 'isScope', 'normalizeUsername', 'parseScope', 'passwordGrant', 'registerUser', 'resolveSecretKey',
      'seedDemo', 'systemClock', 'toErrorResponse', 'toPublicItem', 'toPublicUser',
      // signing keys (issue 3)
      'ACCESS_TOKEN_TYP', 'DEFAULT_SIGNING_ALGORITHM', 'EMPTY_KEY_SET', 'RSA_MIN_BITS', 'SIGNING_ALGORITHMS', 'addSigningKey',
      'buildKeySet', 'fixedSigningKeys', 'generateSigningKey', 'isSigningAlgorithm', 'jwkThumbprint', 'listSigningKeys',
      'openSigningKeyRing', 'retireSigningKey', 'rotateSigningKey', 'summarizeSigningKey',
      'noMetrics', 'countLoginError',
      // brute-force limits (issue 4)
      'TooManyRequests', 'TooManyLoginFailures', 'lockoutFor', 'throttleKey', 'retryAfterSeconds', 'failOpen', 'clientNetwork',
      'MAX_LOCKOUT_SECONDS', 'LOCKOUT_MEMORY_SECONDS', 'createLoginLimiter', 'throttledLogin', 'createRegistrationLimiter',
      // sessions and clients (issue 3)
      'RefreshTokenReused', 'InvalidClient', 'UnauthorizedClient', 'IncorrectPassword', 'CLIENT_CHALLENGE', 'tokenResponse',
      'REFRESH_TOKEN_BYTES', 'generateRefreshToken', 'hashRefreshToken', 'hasRefreshTokenShape', 'mintRefreshToken', 'refreshTokenExpiry',
      'refreshTokenState', 'mayRefresh', 'startSession', 'tokensNotBeforeAt', 'endAllSessions', 'refreshGrant', 'GRANT_TYPES',
      'CLIENT_TYPES', 'DEFAULT_CLIENT_GRANT_TYPES', 'isGrantType', 'generateClientId', 'generateClientSecret', 'hashClientSecret',
      'clientSecretMatches', 'clientAllows', 'registerClient', 'rotateClientSecret', 'CLIENT_AUTH_METHODS', 'readClientCredentials',
      'authenticateClient', 'clientCredentialsGrant', 'revokeToken', 'isClientToken', 'introspect', 'changePassword',
      // admin API and audit log (issue 3)
      'AUDIT_EVENTS', 'toPublicAuditEntry', 'PRIVILEGED_SCOPES', 'isPrivilegedScope',
      'findUserOrNotFound', 'updateUser', 'resetPassword', 'deleteUser',
      // sign-in from apps: authorization code + PKCE, browser sessions, OpenID Connect (issue 9)
      'InvalidTarget', 'InvalidAuthorizationRequest', 'AuthorizationRedirectError', 'AuthorizationCodeReused',
      'REDIRECT_URI_MAX_CHARS', 'redirectUriProblem', 'matchRedirectUri', 'matchPostLogoutRedirectUri',
      'CODE_CHALLENGE_METHODS', 's256Challenge', 'verifierMatches', 'resolveAuthorizationTarget', 'validateAuthorizationRequest',
      'nextStep', 'authorize', 'authorizationErrorUrl', 'AUTHORIZATION_CODE_SECONDS', 'hashAuthorizationCode', 'hasAuthorizationCodeShape',
      'issueAuthorizationCode', 'authorizationCodeGrant', 'hashSessionToken', 'startBrowserSession', 'browserSessionLive', 'findSignedIn',
      'authTimeOf', 'endBrowserSession', 'consentNeeded', 'rememberConsent', 'verifyCredentials', 'tokenHash', 'createIdTokens',
      'userInfoClaims', 'resolveEndSession', 'postLogoutRedirectUrl', 'IDENTITY_SCOPES', 'isIdentityScope', 'isClientScope',
      'scopeDescription', 'DEFAULT_ID_TOKEN_ALGORITHM', 'SIGNING_KEY_PURPOSES', 'ensureIdTokenKey', 'updateClient',
      'CODE_FLOW_GRANT_TYPES', 'CLIENT_URI_LIST_MAX', 'DOCS_CLIENT_ID', 'DEMO_CLIENT_ID', 'ensureDocsClient', 'ensureDemoClient',
      // the account page (issue 10)
      'revokeConsent', 'changePasswordInBrowser', 'listBrowserSessions', 'endOwnBrowserSession', 'endOtherBrowserSessions', 'confirmPassword',
      // mail (issue 10): the mailer port and the templates
      'noMailer', 'verifyEmailMail', 'resetPasswordMail', 'confirmEmailChangeMail', 'emailChangedNotice', 'passwordResetDoneNotice',
      // mailed links (issue 10): verification, password reset, email change
      'InvalidLink', 'ONE_TIME_TOKEN_SECONDS', 'hashOneTimeToken', 'hasOneTimeTokenShape', 'issueOneTimeToken', 'findLiveOneTimeToken',
      'consumeOneTimeToken', 'MAILED_LINK_PATHS', 'mailedLink', 'ACCOUNTS_PER_ADDRESS', 'sameAddress', 'sendEmailVerification',
      'resendEmailVerification', 'pendingEmailVerification', 'verifyEmail', 'assertEmailShape', 'assertEmailForPolicy', 'RESET_ACCOUNTS_PER_ADDRESS',
      'requestPasswordReset', 'passwordResetAccount', 'resetPasswordWithLink', 'requestEmailChange', 'pendingEmailChange',
      'confirmEmailChange', 'MAIL_REQUEST_LIMITS', 'createMailRequestLimiter',
      // the second factor (issue 10): TOTP, recovery codes, the mfa token and the mfa-otp grant
      'TOTP_DIGITS', 'TOTP_PERIOD_SECONDS', 'TOTP_WINDOW', 'generateTotpSecret', 'totpUri', 'totpStep', 'looksLikeTotpCode', 'verifyTotp',
      'RECOVERY_CODE_COUNT', 'generateRecoveryCodes', 'normalizeRecoveryCode', 'hashRecoveryCode', 'amrFor', 'startTotpEnrolment',
      'pendingTotpEnrolment', 'confirmTotpEnrolment', 'regenerateRecoveryCodes', 'removeTotp', 'totpStatus', 'hasSecondFactor',
      'verifySecondFactor', 'resetSecondFactor', 'mfaRequired', 'redeemMfaChallenge', 'MFA_OTP_GRANT_TYPE', 'mfaOtpGrant', 'issueUserTokens',
      'EmailNotVerified', 'MfaRequired', 'InvalidOtp', 'normalizeEmail',
      // upstream sign-in (issue 11)
      'IDENTITY_PROVIDER_KINDS', 'PROVIDER_PRESETS', 'isPresetName', 'providerFromInput', 'addIdentityProvider', 'updateIdentityProvider', 'toPublicProvider',
      'NO_PASSWORD', 'ExistingAccountUnverified', 'hasPassword', 'resolveFederatedSignIn', 'linkIdentity', 'unlinkIdentity', 'usernameBase', 'providerName',
    ].sort())
  })

  it('works end to end through the public names: log in, then authenticate', async () => {
    const clock = tessera.fixedClock(Date.UTC(2024, 0, 1))
    const tokens = tessera.createAccessTokens({ secretKey: 'x'.repeat(32), issuer: 'https://auth.example.test', expiresInSeconds: 60, clock })
    const hasher = tessera.createPasswordHasher({
      admission: new tessera.HashAdmission({ concurrency: 1, queueLimit: 1 }), params: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    })
    const user: tessera.UserRecord = {
      id: 'u-1', username: 'johndoe', email: null, emailVerified: false, fullName: null, passwordHash: await hasher.hash('secret'), disabled: false,
      scopes: ['me'], tokensNotBefore: null, createdAt: new Date(0), updatedAt: new Date(0),
    }
    const users = { findById: async (id: string) => (id === user.id ? user : null), findByUsername: async () => user } as unknown as tessera.UserStore
    const { access_token } = await tessera.passwordGrant({ username: 'johndoe', password: 'secret' }, { users, hasher, tokens, passwordMaxBytes: 1024 })
    const { claims } = await tessera.authenticate(`Bearer ${access_token}`, ['me'], { tokens, users })
    expect(claims.sub).toBe('u-1')
    expect(tessera.toPublicUser(user)).toEqual({ id: 'u-1', username: 'johndoe', email: null, email_verified: false, full_name: null, disabled: false })
  })
})
