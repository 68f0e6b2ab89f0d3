import { randomUUID } from 'node:crypto'
import { createSigner, createVerifier } from 'fast-jwt'
import { epochSeconds, type Clock } from './clock.js'
import { InvalidToken } from './errors.js'
import { formatScope, parseScope } from './scopes.js'
import { fixedSigningKeys, type SigningKeys } from './signing-key-ring.js'
import { EMPTY_KEY_SET, type KeySet } from './signing-keys.js'

/** The claims of a verified access token, `scope` already split (RFC 9068 §2.2.3). */
export interface AccessClaims {
  iss: string; sub: string; exp: number; iat: number; jti: string; scope: string[]
  /** RFC 9068 §2.2: the client the token was issued to, when one authenticated. */
  client_id?: string
  /** RFC 9068 §2.2, RFC 8707: the resource servers the token is for (a single `aud` string is read as one entry). */
  aud?: string[]
}

export interface IssueOptions {
  clientId?: string | undefined
  /**
   * The subject's tokens-not-before (epoch seconds). `iat` is never earlier than it, so a token
   * issued in the same second as a logout-all is not mistaken for one issued before it.
   */
  notBefore?: number | null | undefined
  /** RFC 8707 resources the client asked for; absent or empty: the default audience. */
  audience?: readonly string[] | undefined
}

export interface VerifyOptions {
  /**
   * Accept whatever `aud` the token names (introspection and revocation answer for every
   * resource server); by default a token with an `aud` must name this server's audience.
   */
  anyAudience?: boolean
}

export interface IssuedAccessToken { token: string; expiresIn: number; claims: AccessClaims }

export interface AccessTokenOptions {
  /** Used as its UTF-8 bytes, as PyJWT does, so tokens interoperate with the tutorial's app. */
  secretKey: string
  issuer: string
  expiresInSeconds: number
  clock: Clock
  /**
   * The default `aud` (RFC 9068 §2.2, RFC 8725 §3.9): tokens carry it unless the caller names
   * resources, and verification requires a token's `aud` to include it.
   */
  audience?: string
  /**
   * Whether a token issued without a client still carries the default `aud` and whether
   * verification requires one (default true). Tessera's server says false: the tutorial's
   * client-less password grant keeps minting what a FastAPI app decodes with
   * `jwt.decode(token, key, algorithms=["HS256"])`, which PyJWT refuses once an unexpected `aud` is there.
   */
  audienceWithoutClient?: boolean
  /** Allowed skew between clocks for `exp`/`nbf`/`iat` (default 30 s). */
  clockToleranceSeconds?: number
  /**
   * Asymmetric keys (see signing-keys.ts). While one is active, new tokens are signed with it
   * and HS256 tokens are refused; absent, or with no active key, Tessera signs HS256.
   */
  signingKeys?: SigningKeys
}

export interface AccessTokens {
  issue(subject: string, scopes: readonly string[], options?: IssueOptions): IssuedAccessToken
  /** Throws `InvalidToken` (with no detail of why) for every failure. */
  verify(token: string, options?: VerifyOptions): AccessClaims
}

/** RFC 9068 §2.1: the header type of a JWT access token; any other `typ` is refused (§4). */
export const ACCESS_TOKEN_TYP = 'at+jwt'
const REQUIRED_CLAIMS = ['iss', 'sub', 'exp', 'iat', 'jti', 'scope'] as const
/** Tokens a key set's verifiers remember as verified (see `verified` in Compiled). */
const VERIFIED_TOKENS_CACHED = 1000
/** Distinct JOSE headers remembered with their kid: a key set has a handful (one per key and algorithm). */
const HEADERS_CACHED = 64
/** A JOSE header is tiny; a longer first segment is not worth decoding to look for a kid. */
const MAX_HEADER_CHARS = 1024

type Sign = (payload: Record<string, unknown>) => string
type Verify = (token: string) => Record<string, unknown>

/** The signers and verifiers of one key set, built once per set (parsing keys is not per request). */
interface Compiled {
  set: KeySet
  sign: Sign
  /** One verifier per kid, each pinned to that key's algorithm (RFC 8725 §3.1). */
  byKid: ReadonlyMap<string, Verify>
  /** Tokens without a kid: HS256 with the secret key, only while no asymmetric key is active. */
  withoutKid: Verify | null
  /**
   * Tokens these verifiers accepted, by the whole token, with the payload they returned. What the
   * verifiers check never changes for the same bytes and the same keys (alg, signature, typ, iss,
   * aud, required claims), and a client sends one token many times: remembering saves the
   * decoding and the signature check (an HMAC, or ~15x that for an asymmetric key). The time
   * claims are still checked on every call (claimsOf); a new key set starts empty; refusals are
   * not remembered. Oldest first out.
   */
  verified: Map<string, Record<string, unknown>>
}

export function createAccessTokens(options: AccessTokenOptions): AccessTokens {
  const { secretKey, issuer, expiresInSeconds, clock, audience, clockToleranceSeconds = 30, audienceWithoutClient = true } = options
  if (typeof secretKey !== 'string' || secretKey === '') throw new TypeError('createAccessTokens: secretKey must be a non-empty string')
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1) throw new TypeError('createAccessTokens: expiresInSeconds must be a positive integer')
  if (!(clockToleranceSeconds >= 0)) throw new TypeError('createAccessTokens: clockToleranceSeconds must be >= 0')
  const keys = options.signingKeys ?? fixedSigningKeys(EMPTY_KEY_SET)

  const secret = Buffer.from(secretKey, 'utf8')
  const toleranceMs = clockToleranceSeconds * 1000
  // Time claims are checked in claimsOf against the injected clock: fast-jwt would fix the time
  // when a verifier is built, and rebuilding one re-parses its key. So each verifier is built
  // once per key and checks what never changes: alg, signature, typ, iss, required claims. The
  // audience is checked in claimsOf too: introspection accepts every audience, requests only ours.
  const common = {
    checkTyp: ACCESS_TOKEN_TYP,
    allowedIss: issuer,
    requiredClaims: [...REQUIRED_CLAIMS],
    ignoreExpiration: true,
    ignoreNotBefore: true,
  }
  const audiencePolicy: AudiencePolicy = { audience, requiredWithoutClient: audienceWithoutClient }
  // iat and exp are put in the payload from our clock, so the signers never read Date.now().
  const hs256 = {
    sign: createSigner({ key: secret, algorithm: 'HS256', header: { alg: 'HS256', typ: ACCESS_TOKEN_TYP } }) as Sign,
    verify: createVerifier({ ...common, key: secret, algorithms: ['HS256'] }) as Verify,
  }

  let compiled: Compiled | undefined
  function compile(set: KeySet): Compiled {
    if (compiled?.set === set) return compiled
    const byKid = new Map<string, Verify>()
    for (const key of set.byKid.values()) {
      const verify = createVerifier({ ...common, key: key.publicKeyPem, algorithms: [key.algorithm] })
      byKid.set(key.kid, verify as Verify)
    }
    const active = set.active
    compiled = {
      set,
      sign: active === null
        ? hs256.sign
        : createSigner({ key: active.privateKeyPem, algorithm: active.algorithm, kid: active.kid, header: { alg: active.algorithm, typ: ACCESS_TOKEN_TYP } }) as Sign,
      byKid,
      // Once a key is active, resource servers verify through the JWKS, which cannot publish the
      // secret: an HS256 token would be valid here and nowhere else, so it is valid nowhere.
      withoutKid: active === null ? hs256.verify : null,
      verified: new Map(),
    }
    return compiled
  }

  function verifierFor(compiled: Compiled, token: string): Verify | null {
    const { byKid, withoutKid } = compiled
    const kid = kidOf(token)
    if (kid === undefined) return withoutKid
    const verify = byKid.get(kid)
    if (verify === undefined) keys.unknownKid(kid) // maybe rotated by another process: reload soon
    return verify ?? null
  }

  /** alg (pinned per key) and signature first, then typ, iss, aud, required claims; remembered per token. */
  function verifiedPayload(token: string): Record<string, unknown> {
    const compiled = compile(keys.current())
    const verify = verifierFor(compiled, token) // also refuses what the current keys no longer allow
    if (verify === null) throw new InvalidToken()
    const known = compiled.verified.get(token)
    if (known !== undefined) return known
    let payload: Record<string, unknown>
    try {
      payload = verify(token)
    } catch {
      throw new InvalidToken() // never the library's message: it may describe the token
    }
    if (compiled.verified.size >= VERIFIED_TOKENS_CACHED) compiled.verified.delete(compiled.verified.keys().next().value as string)
    compiled.verified.set(token, payload)
    return payload
  }

  return {
    issue(subject, scopes, issueOptions = {}) {
      const iat = Math.max(epochSeconds(clock), issueOptions.notBefore ?? 0)
      const aud = audienceOf(issueOptions, audiencePolicy)
      const claims: AccessClaims = {
        iss: issuer, sub: subject, iat, exp: iat + expiresInSeconds, jti: randomUUID(), scope: [...scopes],
        ...(issueOptions.clientId === undefined ? {} : { client_id: issueOptions.clientId }),
        ...(aud === undefined ? {} : { aud }),
      }
      // One audience is written as a string (RFC 7519 §4.1.3 allows both; verifiers expect it).
      const payload = { ...claims, scope: formatScope(claims.scope), ...(aud === undefined ? {} : { aud: aud.length === 1 ? aud[0] : aud }) }
      return { token: compile(keys.current()).sign(payload), expiresIn: expiresInSeconds, claims }
    },

    verify(token, verifyOptions = {}) {
      const claims = claimsOf(verifiedPayload(token), clock.now(), toleranceMs) // time claims: on every call
      if (verifyOptions.anyAudience !== true) assertAudience(claims, audiencePolicy)
      return claims
    },
  }
}

interface AudiencePolicy { audience: string | undefined; requiredWithoutClient: boolean }

/** The `aud` a new token gets: the resources asked for, else the default; none without a client when so configured. */
function audienceOf(options: IssueOptions, policy: AudiencePolicy): string[] | undefined {
  if (options.audience !== undefined && options.audience.length > 0) return [...options.audience]
  if (policy.audience === undefined) return undefined
  if (options.clientId === undefined && !policy.requiredWithoutClient) return undefined
  return [policy.audience]
}

/**
 * RFC 9068 §4 and RFC 8725 §3.9: a token for another resource server is not valid here, even
 * though it is ours. A token without `aud` passes only where tokens may be issued without one.
 */
function assertAudience(claims: AccessClaims, policy: AudiencePolicy): void {
  if (policy.audience === undefined) return
  if (claims.aud === undefined) {
    if (policy.requiredWithoutClient || claims.client_id !== undefined) throw new InvalidToken()
    return
  }
  if (!claims.aud.includes(policy.audience)) throw new InvalidToken()
}

/**
 * The `kid` of the token's header, read only to choose a verifier (which decodes and checks the
 * whole token itself): undefined when there is none. A header that is not a JSON object, or a
 * kid that is not a string, is invalid.
 */
function kidOf(token: string): string | undefined {
  const end = typeof token === 'string' ? token.indexOf('.') : -1
  if (end < 1 || end > MAX_HEADER_CHARS) throw new InvalidToken()
  const segment = token.slice(0, end)
  // Every token a key signs has the same header: decode each distinct one once.
  const known = kidsByHeader.get(segment)
  if (known !== undefined) return known.kid
  const kid = decodeKid(segment)
  if (kidsByHeader.size >= HEADERS_CACHED) kidsByHeader.clear()
  kidsByHeader.set(segment, { kid })
  return kid
}

/** Header segment → its kid (undefined: none). Only well-formed headers are remembered. */
const kidsByHeader = new Map<string, { kid: string | undefined }>()

function decodeKid(segment: string): string | undefined {
  let header: unknown
  try {
    header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  } catch {
    throw new InvalidToken()
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new InvalidToken()
  const { kid } = header as { kid?: unknown }
  if (kid === undefined) return undefined
  if (typeof kid !== 'string') throw new InvalidToken()
  return kid
}

/** Time claims, and the types fast-jwt does not check (it validates only the claims it has a rule for). */
function claimsOf(payload: Record<string, unknown>, nowMs: number, toleranceMs: number): AccessClaims {
  const { iss, sub, exp, iat, nbf, jti, scope, client_id: clientId, aud } = payload
  if (typeof iss !== 'string' || typeof sub !== 'string' || sub === '' || typeof jti !== 'string' || typeof scope !== 'string') {
    throw new InvalidToken()
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp) || typeof iat !== 'number' || !Number.isFinite(iat)) throw new InvalidToken()
  if (nowMs > exp * 1000 + toleranceMs) throw new InvalidToken()                 // expired (RFC 7519 §4.1.4)
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf) || nowMs < nbf * 1000 - toleranceMs)) {
    throw new InvalidToken()                                                      // not yet valid (§4.1.5)
  }
  // A token "issued" in the future comes from a skewed or forged issuer (RFC 7519 §4.1.6).
  if (iat * 1000 > nowMs + toleranceMs) throw new InvalidToken()
  if (clientId !== undefined && typeof clientId !== 'string') throw new InvalidToken()
  const audience = audienceClaim(aud)
  return {
    iss, sub, exp, iat, jti, scope: parseScope(scope),
    ...(clientId === undefined ? {} : { client_id: clientId }),
    ...(audience === undefined ? {} : { aud: audience }),
  }
}

/** RFC 7519 §4.1.3: a string or an array of strings; anything else makes the token invalid. */
function audienceClaim(aud: unknown): string[] | undefined {
  if (aud === undefined) return undefined
  if (typeof aud === 'string') return [aud]
  if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string')) return aud as string[]
  throw new InvalidToken()
}
