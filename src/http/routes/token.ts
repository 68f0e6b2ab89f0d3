import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  AuthorizationCodeReused, InvalidRequest, MFA_OTP_GRANT_TYPE, MfaRequired, RefreshTokenReused, UnsupportedGrantType, authorizationCodeGrant,
  clientCredentialsGrant, countLoginError, isGrantType, mfaOtpGrant, passwordGrant, refreshGrant, systemClock, throttledLogin, type ClientRecord,
  type IdTokens, type TokenResponse as GrantResponse,
} from '../../core/index.js'
import { recordAudit } from '../audit.js'
import { requestClient } from '../client-auth.js'
import type { AppDeps } from '../deps.js'
import { loginLimiterFor } from '../limits.js'
import { recordLoginFailed, recordLoginSucceeded } from '../login-audit.js'
import { recordMfaFailed, recordRecoveryCodeUsed } from '../mfa-audit.js'
import { assertTokenFormValid } from '../oauth-params.js'
import { HTTPValidationError, TokenForm, TokenResponse } from '../schemas.js'
import { sessionDeps } from '../session-deps.js'
import { useTokenForm } from '../token-form.js'

/** RFC 6749 §5.1: token responses, and errors from the token endpoint, are never cached. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const

/** RFC 8707 §2: `resource` may be sent several times; the form parser gives one or many. */
function resourcesOf(form: TokenForm): string[] | undefined {
  const { resource } = form
  return resource === undefined ? undefined : typeof resource === 'string' ? [resource] : resource
}

/**
 * POST /token: the OAuth2 token endpoint, FastAPI's `login_for_access_token`, serving the
 * password grant (RFC 6749 §4.3; a missing `grant_type` means `password`, FastAPI's lax form),
 * the authorization code grant (§4.1.3, with PKCE), the refresh token grant with rotation (§6)
 * and the client credentials grant (§4.4).
 */
export const tokenRoutes: FastifyPluginAsyncTypebox<AppDeps & { idTokens: IdTokens }> = async (app, deps) => {
  const { store, hasher, tokens, config } = deps
  const clock = deps.clock ?? systemClock
  const sessions = sessionDeps(deps)
  await useTokenForm(app, { bodyLimit: config.bodyLimit })
  const loginLimiter = loginLimiterFor(deps, app.log)
  const loginAudit = { audit: store.audit, users: store.users, clock }
  const mfaAudit = { audit: store.audit, recoveryCodes: store.recoveryCodes, clock }
  /** Where second factors and mfa tokens live (issue 10): the password grant asks for a code when one is on. */
  const mfa = { totp: store.totp, recoveryCodes: store.recoveryCodes, oneTimeTokens: store.oneTimeTokens, users: store.users, clock }

  // Set before anything can fail, so 400/401/413/422 answers carry them as well as 200.
  app.addHook('onRequest', async (_request, reply) => { reply.headers(NO_STORE) })
  // RFC 6749 §5.2: the grant type is judged before its parameters (another grant has other fields).
  app.addHook('preValidation', async (request) => {
    const grantType = (request.body as Record<string, unknown>).grant_type
    if (grantType !== undefined && !(typeof grantType === 'string' && (isGrantType(grantType) || grantType === MFA_OTP_GRANT_TYPE))) throw new UnsupportedGrantType()
  })

  /** The password grant, behind the brute-force limits; with a client when one authenticated. */
  async function login(form: TokenForm, client: ClientRecord | null, request: FastifyRequest): Promise<GrantResponse> {
    const { username, password, scope } = form
    try {
      // Brute-force limits per username+address and per address, judged before any hashing.
      const response = await throttledLogin(loginLimiter, { username, ip: request.ip }, () =>
        passwordGrant({ username, password, scope, client }, {
          users: store.users, hasher, tokens, passwordMaxBytes: config.passwordMaxBytes, emailVerification: config.emailVerification, sessions, mfa,
        }))
      deps.metrics.loginSucceeded()
      deps.metrics.tokenIssued()
      await recordLoginSucceeded(request, loginAudit, { username, clientId: client?.id }, response.scope)
      return response
    } catch (err) {
      if (err instanceof MfaRequired) throw err                       // a right password, not yet a login: neither a success nor a failure
      countLoginError(deps.metrics, err)                              // failed / throttled, for /metrics
      await recordLoginFailed(request, loginAudit, { username, clientId: client?.id }, err) // the typed name and a reason code, never the password
      throw err
    }
  }

  /**
   * The password grant's second step (mfa_token + otp): the tokens the password grant would have
   * issued. A wrong code is a failed login of the account, under the same limits.
   */
  async function mfaOtp(form: TokenForm, client: ClientRecord | null, request: FastifyRequest): Promise<GrantResponse> {
    const clientId = client?.id ?? null
    try {
      const result = await mfaOtpGrant({ mfaToken: form.mfa_token, otp: form.otp, client, ip: request.ip }, {
        ...mfa, tokens, loginLimiter, sessions,
        onRefused: (user, err) => recordMfaFailed(request, mfaAudit, { user, clientId, via: 'token' }, err),
      })
      deps.metrics.loginSucceeded()
      deps.metrics.tokenIssued()
      await recordRecoveryCodeUsed(request, mfaAudit, { user: result.user, clientId, via: 'token' }, result.method)
      await recordLoginSucceeded(request, loginAudit, { username: result.user.username, clientId }, result.response.scope)
      return result.response
    } catch (err) {
      countLoginError(deps.metrics, err)
      throw err
    }
  }

  /** Rotation: the presented refresh token dies, a new pair is issued; a replay revokes the family. */
  async function refresh(form: TokenForm, client: ClientRecord | null, request: FastifyRequest): Promise<GrantResponse> {
    if (form.refresh_token === undefined) throw new InvalidRequest('Missing refresh_token parameter')
    try {
      const result = await refreshGrant(
        { refreshToken: form.refresh_token, scope: form.scope, resources: resourcesOf(form), client },
        { ...sessions, users: store.users, tokens, idTokens: deps.idTokens },
      )
      deps.metrics.tokenRefreshed()
      await recordAudit(store.audit, request, 'token.refreshed', { userId: result.userId, clientId: result.clientId, details: { scope: result.scopes } }, clock.now())
      return result.response
    } catch (err) {
      if (err instanceof RefreshTokenReused) {
        await recordAudit(store.audit, request, 'token.reuse_detected', { userId: err.userId, clientId: err.clientId, details: { family_id: err.familyId } }, clock.now())
      }
      throw err
    }
  }

  /** The code from /authorize, its PKCE verifier and redirect URI: a pair (and an id_token); a replay revokes it all. */
  async function authorizationCode(form: TokenForm, client: ClientRecord | null, request: FastifyRequest): Promise<GrantResponse> {
    try {
      const result = await authorizationCodeGrant(
        { code: form.code, redirectUri: form.redirect_uri, codeVerifier: form.code_verifier, resources: resourcesOf(form), client },
        { ...sessions, users: store.users, authorizationCodes: store.authorizationCodes, browserSessions: store.browserSessions, revokedTokens: store.revokedTokens, tokens, idTokens: deps.idTokens },
      )
      deps.metrics.tokenIssued()
      await recordAudit(store.audit, request, 'authorization_code.exchanged', { userId: result.userId, clientId: result.clientId, details: { scope: result.scopes } }, clock.now())
      return result.response
    } catch (err) {
      if (err instanceof AuthorizationCodeReused) {
        deps.metrics.tokenRevoked()
        await recordAudit(store.audit, request, 'authorization_code.reuse_detected', { userId: err.userId, clientId: err.clientId }, clock.now())
      }
      throw err
    }
  }

  /** A confidential client's own token (sub = client_id); no refresh token. */
  async function clientCredentials(form: TokenForm, client: ClientRecord | null, request: FastifyRequest): Promise<GrantResponse> {
    const { response, scopes } = clientCredentialsGrant({ scope: form.scope, resources: resourcesOf(form), client }, { tokens })
    deps.metrics.tokenIssued()
    await recordAudit(store.audit, request, 'client_credentials.issued', { clientId: client?.id ?? null, details: { scope: scopes } }, clock.now())
    return response
  }

  app.post('/token', {
    schema: {
      summary: 'Login For Access Token',
      description: 'OAuth2 token endpoint. Password grant: send `username` and `password` (and optionally `scope`). '
        + '`grant_type=authorization_code` with `code`, `redirect_uri` and `code_verifier` (PKCE) finishes a sign-in from /authorize; '
        + '`grant_type=refresh_token` with `refresh_token` rotates it; `grant_type=client_credentials` serves confidential clients. '
        + 'For an account with a second factor the password grant answers 403 `{"error": "mfa_required", "mfa_token": …, "expires_in": 300}`; '
        + 'then `grant_type=urn:tessera:params:oauth:grant-type:mfa-otp` with `mfa_token` and `otp` (an authenticator code or a recovery code) '
        + 'and the same client authentication gives the tokens. '
        + 'Clients authenticate with HTTP Basic or `client_id`/`client_secret` in the form; public clients send `client_id` alone.',
      consumes: ['application/x-www-form-urlencoded'],
      body: TokenForm,
      response: { 200: TokenResponse, 422: HTTPValidationError },
    },
    // The documented form is the password grant's; other grants are checked in assertTokenFormValid.
    attachValidation: true,
  }, async (request) => {
    const form = request.body
    const grantType = form.grant_type ?? 'password'
    assertTokenFormValid(request.validationError, grantType)            // password: FastAPI's 422
    const needsClient = config.requireClient || grantType === 'client_credentials' || grantType === 'authorization_code'
    const client = await requestClient(request, form, deps, { required: needsClient })
    if (grantType === 'authorization_code') return authorizationCode(form, client, request)
    if (grantType === 'refresh_token') return refresh(form, client, request)
    if (grantType === 'client_credentials') return clientCredentials(form, client, request)
    if (grantType === MFA_OTP_GRANT_TYPE) return mfaOtp(form, client, request)
    return login(form, client, request)
  })
}
