import { randomUUID } from 'node:crypto'
import { createSigner, createVerifier } from 'fast-jwt'
import { epochSeconds, type Clock } from './clock.js'
import { InvalidToken } from './errors.js'
import { formatScope, parseScope } from './scopes.js'

/** The claims of a verified access token, `scope` already split (RFC 9068 §2.2.3). */
export interface AccessClaims { iss: string; sub: string; exp: number; iat: number; jti: string; scope: string[] }

export interface IssuedAccessToken { token: string; expiresIn: number; claims: AccessClaims }

export interface AccessTokenOptions {
  /** Used as its UTF-8 bytes, as PyJWT does, so tokens interoperate with the tutorial's app. */
  secretKey: string
  issuer: string
  expiresInSeconds: number
  clock: Clock
  /** When set, tokens carry `aud` and verification requires it (RFC 8725 §3.9). */
  audience?: string
  /** Allowed skew between clocks for `exp`/`nbf`/`iat` (default 30 s). */
  clockToleranceSeconds?: number
}

export interface AccessTokens {
  issue(subject: string, scopes: readonly string[]): IssuedAccessToken
  /** Throws `InvalidToken` (with no detail of why) for every failure. */
  verify(token: string): AccessClaims
}

/** RFC 8725 §3.1: the one algorithm we accept is fixed, never read from the token. */
const ALGORITHM = 'HS256'
const REQUIRED_CLAIMS = ['iss', 'sub', 'exp', 'iat', 'jti', 'scope'] as const

type Verify = (token: string) => Record<string, unknown>

export function createAccessTokens(options: AccessTokenOptions): AccessTokens {
  const { secretKey, issuer, expiresInSeconds, clock, audience, clockToleranceSeconds = 30 } = options
  if (typeof secretKey !== 'string' || secretKey === '') throw new TypeError('createAccessTokens: secretKey must be a non-empty string')
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1) throw new TypeError('createAccessTokens: expiresInSeconds must be a positive integer')
  if (!(clockToleranceSeconds >= 0)) throw new TypeError('createAccessTokens: clockToleranceSeconds must be >= 0')

  const key = Buffer.from(secretKey, 'utf8')
  const toleranceMs = clockToleranceSeconds * 1000
  // iat and exp are put in the payload from our clock, so the signer never reads Date.now().
  const sign = createSigner({ key, algorithm: ALGORITHM })
  const verifierOptions = {
    key,
    algorithms: [ALGORITHM] as typeof ALGORITHM[],
    allowedIss: issuer,
    ...(audience === undefined ? {} : { allowedAud: audience }),
    requiredClaims: audience === undefined ? [...REQUIRED_CLAIMS] : [...REQUIRED_CLAIMS, 'aud'],
    clockTolerance: toleranceMs,
  }
  // fast-jwt fixes `clockTimestamp` when the verifier is built, so one is built per distinct
  // clock reading; under load many verifications share a millisecond and reuse it.
  let cached: { at: number; verify: Verify } | undefined
  function verifierAt(now: number): Verify {
    // fast-jwt treats a timestamp of 0 as "unset" and would silently fall back to Date.now().
    if (!(now > 0)) throw new TypeError('createAccessTokens: clock.now() must be a positive epoch-milliseconds value')
    if (cached?.at !== now) cached = { at: now, verify: createVerifier({ ...verifierOptions, clockTimestamp: now }) }
    return cached.verify
  }

  return {
    issue(subject, scopes) {
      const iat = epochSeconds(clock)
      const claims: AccessClaims = {
        iss: issuer, sub: subject, iat, exp: iat + expiresInSeconds, jti: randomUUID(), scope: [...scopes],
      }
      const payload = { ...claims, scope: formatScope(claims.scope), ...(audience === undefined ? {} : { aud: audience }) }
      return { token: sign(payload), expiresIn: expiresInSeconds, claims }
    },

    verify(token) {
      const now = clock.now()
      const verify = verifierAt(now)
      let payload: Record<string, unknown>
      try {
        payload = verify(token) // signature and alg first, then exp/nbf/iss/aud and required claims
      } catch {
        throw new InvalidToken() // never the library's message: it may describe the token
      }
      return claimsOf(payload, now, toleranceMs)
    },
  }
}

/** Types fast-jwt does not check (it validates only the claims it has a rule for). */
function claimsOf(payload: Record<string, unknown>, nowMs: number, toleranceMs: number): AccessClaims {
  const { iss, sub, exp, iat, jti, scope } = payload
  if (typeof iss !== 'string' || typeof sub !== 'string' || sub === '' || typeof jti !== 'string' || typeof scope !== 'string') {
    throw new InvalidToken()
  }
  if (typeof exp !== 'number' || typeof iat !== 'number' || !Number.isFinite(iat)) throw new InvalidToken()
  // A token "issued" in the future comes from a skewed or forged issuer (RFC 7519 §4.1.6).
  if (iat * 1000 > nowMs + toleranceMs) throw new InvalidToken()
  return { iss, sub, exp, iat, jti, scope: parseScope(scope) }
}
