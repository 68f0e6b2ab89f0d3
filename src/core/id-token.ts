import { createHash } from 'node:crypto'
import { createSigner, createVerifier } from 'fast-jwt'
import { epochSeconds, type Clock } from './clock.js'
import type { ClientRecord, SigningAlgorithm } from './ports.js'
import type { SigningKeys } from './signing-key-ring.js'
import type { ActiveSigningKey, KeySet, VerificationKey } from './signing-keys.js'

/*
 * OpenID Connect id_tokens (OIDC Core §2, §3.1.3.6): what the app learns about the sign-in. They
 * are signed with an asymmetric id_token key of the client's registered algorithm (RS256 unless
 * it asked for ES256 or EdDSA), never with the HS256 secret: the app verifies them with
 * /.well-known/jwks.json, and a secret cannot be published.
 */

/** What an id_token says about one sign-in for one client. */
export interface IdTokenRequest {
  /** The user's immutable id: the same `sub` as in access tokens and /userinfo. */
  subject: string
  client: Pick<ClientRecord, 'id' | 'idTokenSignedResponseAlg'>
  /** When the user signed in, epoch seconds (OIDC Core §2 auth_time). */
  authTime: number
  /** Echoed from the authorization request (§3.1.2.1); absent on refresh (§12.2). */
  nonce?: string | null | undefined
  /** RFC 8176 methods, e.g. ['pwd']. */
  amr?: readonly string[] | undefined
  /** The browser session's id (OIDC Front-Channel Logout §2 `sid`). */
  sessionId?: string | null | undefined
  /** The access token issued alongside, for at_hash (§3.1.3.6). */
  accessToken?: string | undefined
}

/** What an id_token_hint tells, once Tessera has checked it signed it. */
export interface IdTokenHint {
  sub: string
  /** The client(s) it was issued to. */
  aud: string[]
  sid: string | null
}

export interface IdTokens {
  issue(request: IdTokenRequest): Promise<string>
  /**
   * An id_token Tessera issued (signature with one of its id_token keys, `iss`), expired or not:
   * RP-Initiated Logout §2 asks OPs to accept expired hints. Null for anything else.
   */
  verifyHint(token: string): IdTokenHint | null
}

export interface IdTokenOptions {
  issuer: string
  expiresInSeconds: number
  clock: Clock
  keys: SigningKeys
  /**
   * Called when no key of `algorithm` signs id_tokens yet (a client registered ES256 a moment ago):
   * makes one exist and returns the key set in force afterwards.
   */
  provideSigner(algorithm: SigningAlgorithm): Promise<KeySet>
}

type Sign = (payload: Record<string, unknown>) => string
type Verify = (token: string) => Record<string, unknown>

/** OIDC Core §3.1.3.6: the hash of the JWS algorithm; for Ed25519 that is SHA-512 (as oauth4webapi and openid-client compute it). */
const HASH_OF: Record<SigningAlgorithm, 'sha256' | 'sha512'> = { RS256: 'sha256', ES256: 'sha256', EdDSA: 'sha512' }

/** at_hash / c_hash: base64url of the left half of the hash of the token's ASCII octets. */
export function tokenHash(token: string, algorithm: SigningAlgorithm): string {
  const digest = createHash(HASH_OF[algorithm]).update(token, 'ascii').digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}

export function createIdTokens(options: IdTokenOptions): IdTokens {
  const { issuer, expiresInSeconds, clock, keys } = options
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1) throw new TypeError('createIdTokens: expiresInSeconds must be a positive integer')
  // Keys never change in place (kid = thumbprint): one signer or verifier per key object, parsed once.
  const signers = new WeakMap<ActiveSigningKey, Sign>()
  const verifiers = new WeakMap<VerificationKey, Verify>()

  function signerFor(key: ActiveSigningKey): Sign {
    let sign = signers.get(key)
    if (sign === undefined) {
      sign = createSigner({ key: key.privateKeyPem, algorithm: key.algorithm, kid: key.kid, header: { alg: key.algorithm, typ: 'JWT' } }) as Sign
      signers.set(key, sign)
    }
    return sign
  }

  function verifierFor(key: VerificationKey): Verify {
    let verify = verifiers.get(key)
    if (verify === undefined) {
      verify = createVerifier({
        key: key.publicKeyPem, algorithms: [key.algorithm], allowedIss: issuer, requiredClaims: ['iss', 'sub', 'aud'],
        ignoreExpiration: true, ignoreNotBefore: true,
      }) as Verify
      verifiers.set(key, verify)
    }
    return verify
  }

  async function keyFor(algorithm: SigningAlgorithm): Promise<ActiveSigningKey> {
    const key = keys.current().idTokenSigners.get(algorithm) ?? (await options.provideSigner(algorithm)).idTokenSigners.get(algorithm)
    if (key === undefined) throw new Error(`no ${algorithm} key signs id_tokens, and none could be made`)
    return key
  }

  return {
    async issue(request) {
      const algorithm = request.client.idTokenSignedResponseAlg
      const key = await keyFor(algorithm)
      const iat = epochSeconds(clock)
      const payload = {
        iss: issuer,
        sub: request.subject,
        aud: request.client.id,
        exp: iat + expiresInSeconds,
        iat,
        auth_time: request.authTime,
        ...(request.nonce == null ? {} : { nonce: request.nonce }),
        azp: request.client.id,                                 // §2: the party it was issued to
        ...(request.accessToken === undefined ? {} : { at_hash: tokenHash(request.accessToken, algorithm) }),
        ...(request.amr === undefined || request.amr.length === 0 ? {} : { amr: [...request.amr] }),
        ...(request.sessionId == null ? {} : { sid: request.sessionId }),
      }
      return signerFor(key)(payload)
    },

    verifyHint(token) {
      const key = hintKey(token, keys.current())
      if (key === null) return null
      let payload: Record<string, unknown>
      try {
        payload = verifierFor(key)(token)
      } catch {
        return null
      }
      const { sub, aud, sid } = payload
      const audience = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? aud as string[] : null
      if (typeof sub !== 'string' || audience === null || audience.length === 0) return null
      return { sub, aud: audience, sid: typeof sid === 'string' ? sid : null }
    },
  }
}

/** The id_token key named by the token's `kid`; null for a malformed token or a kid that is not one of ours. */
function hintKey(token: string, set: KeySet): VerificationKey | null {
  if (typeof token !== 'string' || token.length > 8192) return null
  const end = token.indexOf('.')
  if (end < 1) return null
  let header: unknown
  try {
    header = JSON.parse(Buffer.from(token.slice(0, end), 'base64url').toString('utf8'))
  } catch {
    return null
  }
  const kid = typeof header === 'object' && header !== null ? (header as { kid?: unknown }).kid : undefined
  return typeof kid === 'string' ? set.idTokenKeys.get(kid) ?? null : null
}
