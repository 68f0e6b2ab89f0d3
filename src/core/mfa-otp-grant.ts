import type { AccessTokens } from './access-token.js'
import { clientAllows } from './client.js'
import { InvalidGrant, InvalidRequest, UnauthorizedClient } from './errors.js'
import { throttledLogin, type LoginLimiter } from './login-limiter.js'
import { verifySecondFactor, type MfaDeps, type SecondFactorMethod } from './mfa.js'
import { redeemMfaChallenge, type MfaChallengeDeps } from './mfa-challenge.js'
import { issueUserTokens, withinClientScopes } from './password-grant.js'
import type { ClientRecord } from './ports.js'
import { grantScopes, parseScope, type Scope } from './scopes.js'
import type { SessionDeps } from './sessions.js'
import type { TokenResponse } from './token-response.js'
import type { UserRecord } from './user.js'

/**
 * The second half of a password grant for an account with a second factor (Auth0's
 * `http://auth0.com/oauth/grant-type/mfa-otp`, under Tessera's own URN): the `mfa_token` from the
 * 403 mfa_required answer plus `otp` — a code from the authenticator app or a recovery code.
 */
export const MFA_OTP_GRANT_TYPE = 'urn:tessera:params:oauth:grant-type:mfa-otp'

export interface MfaOtpGrantRequest {
  mfaToken?: string | undefined
  otp?: string | undefined
  /** The authenticated client: the same one (or none, the same way) as at the password step. */
  client: ClientRecord | null
  /** The caller's address: the code guesses count against the login limits of the account and address. */
  ip: string
}

export interface MfaOtpGrantDeps extends MfaChallengeDeps, Pick<MfaDeps, 'totp' | 'recoveryCodes'> {
  tokens: AccessTokens
  loginLimiter: LoginLimiter
  sessions?: SessionDeps | undefined
  /** Told of a refused code once the account is known (the audit log's mfa.challenge_failed); the refusal stands. */
  onRefused?: ((user: UserRecord, err: unknown) => Promise<void>) | undefined
}

export interface MfaOtpGranted {
  response: TokenResponse
  user: UserRecord
  scopes: Scope[]
  method: SecondFactorMethod
}

const MFA_TOKEN_MAX = 128
const OTP_MAX = 64

/**
 * mfa_token + otp → tokens, one step a line: the client may use the password grant → the token
 * is spent (bound to this client) → the code is checked under the login limits (a wrong code is
 * a failed login, as a wrong password is) → the scope asked for at the password step, narrowed
 * by what the account and client may have now → the same tokens the password grant issues.
 */
export async function mfaOtpGrant(request: MfaOtpGrantRequest, deps: MfaOtpGrantDeps): Promise<MfaOtpGranted> {
  const { mfaToken, otp, client } = request
  if (mfaToken === undefined) throw new InvalidRequest('Missing mfa_token parameter')
  if (otp === undefined) throw new InvalidRequest('Missing otp parameter')
  if (mfaToken.length > MFA_TOKEN_MAX || otp.length > OTP_MAX) throw new InvalidGrant('Invalid or expired mfa_token')
  if (client !== null && !clientAllows(client, 'password')) throw new UnauthorizedClient()
  const redeemed = await redeemMfaChallenge(mfaToken, { via: 'token', clientId: client?.id ?? null }, deps)
  if (redeemed === null) throw new InvalidGrant('Invalid or expired mfa_token')      // unknown, spent, expired, another client's
  const { user } = redeemed
  let method: SecondFactorMethod
  try {
    method = await throttledLogin(deps.loginLimiter, { username: user.username, ip: request.ip, secondFactorOf: user.id }, () => verifySecondFactor(user.id, otp, deps))
  } catch (err) {
    await deps.onRefused?.(user, err)
    throw err
  }
  const scopes = withinClientScopes(grantScopes(parseScope(redeemed.scope ?? undefined), user.scopes), client)
  return { response: await issueUserTokens(user, scopes, client, deps), user, scopes, method }
}
