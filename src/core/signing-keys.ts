import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import type { SigningAlgorithm, SigningKeyPurpose, SigningKeyRecord, SigningKeyStatus } from './ports.js'

/** The asymmetric algorithms Tessera signs with; EdDSA (Ed25519) is the recommended one. */
export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const satisfies readonly SigningAlgorithm[]
export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = 'EdDSA'

/** OpenID Connect Core §3.1.3.7: id_tokens are RS256 unless the client registered another algorithm. */
export const DEFAULT_ID_TOKEN_ALGORITHM: SigningAlgorithm = 'RS256'

export const SIGNING_KEY_PURPOSES = ['access_token', 'id_token'] as const satisfies readonly SigningKeyPurpose[]

/** RFC 7518 §3.3: RS256 keys of at least 2048 bits. */
export const RSA_MIN_BITS = 2048

export function isSigningAlgorithm(value: string): value is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly string[]).includes(value)
}

/**
 * A public key as published at /.well-known/jwks.json (RFC 7517 §4): the key type's public
 * members and nothing else, plus `kid`, the one `alg` it may be used with, and `use: "sig"`.
 */
export interface PublicJwk {
  kty: 'OKP' | 'EC' | 'RSA'
  kid: string
  alg: SigningAlgorithm
  use: 'sig'
  crv?: string
  x?: string
  y?: string
  n?: string
  e?: string
}

/**
 * The required public members of each key type, in lexicographic order: both the RFC 7638 §3.2
 * thumbprint input and the only members ever copied into a published JWK (never `d`, `p`, ...).
 */
const PUBLIC_MEMBERS = {
  OKP: ['crv', 'kty', 'x'], // RFC 8037 §2
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
} as const

/** Each algorithm is bound to exactly one key type (RFC 8725 §3.1): the kty its JWK must have. */
const KEY_TYPE: Record<SigningAlgorithm, keyof typeof PUBLIC_MEMBERS> = { EdDSA: 'OKP', ES256: 'EC', RS256: 'RSA' }

/** RFC 7638: SHA-256 over the required members, sorted, no whitespace; base64url. */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string {
  const kty = jwk.kty
  if (kty !== 'OKP' && kty !== 'EC' && kty !== 'RSA') throw new TypeError('jwkThumbprint: unsupported kty')
  const members: Record<string, string> = {}
  for (const name of PUBLIC_MEMBERS[kty]) {
    const value = jwk[name]
    if (typeof value !== 'string' || value === '') throw new TypeError(`jwkThumbprint: ${kty} key without ${name}`)
    members[name] = value
  }
  // Insertion order is the sorted order above, so JSON.stringify writes RFC 7638's exact input.
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url')
}

/** Why `key` cannot be used with `algorithm`, or null when it can. */
function keyMismatch(algorithm: SigningAlgorithm, key: KeyObject): string | null {
  const details = key.asymmetricKeyDetails ?? {}
  switch (algorithm) {
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519' ? null : 'EdDSA needs an Ed25519 key'
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1' ? null : 'ES256 needs a P-256 key'
    case 'RS256':
      return key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= RSA_MIN_BITS
        ? null : `RS256 needs an RSA key of at least ${RSA_MIN_BITS} bits`
  }
}

/** The published form of a public key: only its public members, with kid, alg and use. */
function publicJwkOf(publicKey: KeyObject, algorithm: SigningAlgorithm): PublicJwk {
  const exported = publicKey.export({ format: 'jwk' }) as Record<string, unknown>
  const kty = KEY_TYPE[algorithm]
  const members: Record<string, unknown> = {}
  for (const name of PUBLIC_MEMBERS[kty]) members[name] = exported[name]
  return { kty, kid: jwkThumbprint(members), alg: algorithm, use: 'sig', ...(members as Omit<PublicJwk, 'kty' | 'kid' | 'alg' | 'use'>) }
}

function generateKeyPair(algorithm: SigningAlgorithm): KeyObject {
  switch (algorithm) {
    case 'EdDSA': return generateKeyPairSync('ed25519').privateKey
    case 'ES256': return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    case 'RS256': return generateKeyPairSync('rsa', { modulusLength: RSA_MIN_BITS }).privateKey
  }
}

/**
 * A new key pair for `algorithm`, as the store keeps it: PKCS#8 private key, public JWK, kid = its
 * thumbprint. `purpose` defaults to access tokens.
 */
export function generateSigningKey(
  algorithm: SigningAlgorithm, options: { status: SigningKeyStatus; createdAt: number; purpose?: SigningKeyPurpose },
): SigningKeyRecord {
  if (!isSigningAlgorithm(algorithm)) throw new TypeError(`generateSigningKey: unsupported algorithm ${String(algorithm)}`)
  const privateKey = generateKeyPair(algorithm)
  const publicJwk = publicJwkOf(createPublicKey(privateKey), algorithm)
  return {
    kid: publicJwk.kid,
    algorithm,
    purpose: options.purpose ?? 'access_token',
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicJwk: { ...publicJwk },
    status: options.status,
    createdAt: options.createdAt,
  }
}

/** A key that verifies tokens: what fast-jwt needs (SPKI PEM) and what JWKS publishes. */
export interface VerificationKey {
  kid: string
  algorithm: SigningAlgorithm
  purpose: SigningKeyPurpose
  status: 'active' | 'verifying'
  createdAt: number
  publicKeyPem: string
  jwk: PublicJwk
}

/** The key new tokens are signed with. */
export interface ActiveSigningKey extends VerificationKey {
  status: 'active'
  privateKeyPem: string
}

/** The keys in force at one moment, immutable: a reload builds a new set. */
export interface KeySet {
  /** Signs new access tokens; null means HS256 mode (access tokens signed with the secret key). */
  readonly active: ActiveSigningKey | null
  /** Active and verifying access-token keys by kid: retired keys are absent, so their tokens fail. */
  readonly byKid: ReadonlyMap<string, VerificationKey>
  /** The active id_token key of each algorithm (OIDC: a client gets the algorithm it registered). */
  readonly idTokenSigners: ReadonlyMap<SigningAlgorithm, ActiveSigningKey>
  /** Active and verifying id_token keys by kid: what an id_token_hint is checked against. */
  readonly idTokenKeys: ReadonlyMap<string, VerificationKey>
  /** The JWKS document (RFC 7517 §5) of every live key, both purposes, and a strong ETag that changes whenever it does. */
  readonly jwks: { readonly keys: PublicJwk[] }
  readonly etag: string
}

function keySet(active: ActiveSigningKey | null, keys: VerificationKey[]): KeySet {
  const access = keys.filter((k) => k.purpose === 'access_token')
  const idToken = keys.filter((k) => k.purpose === 'id_token')
  // Frozen: one set is shared by every request until the next reload. Access-token keys first.
  const jwks = Object.freeze({ keys: Object.freeze([...access, ...idToken].map((k) => Object.freeze(k.jwk))) as PublicJwk[] })
  const etag = `"${createHash('sha256').update(JSON.stringify(jwks)).digest('base64url').slice(0, 27)}"`
  const signers = idToken.filter((k): k is ActiveSigningKey => k.status === 'active')
  return {
    active,
    byKid: new Map(access.map((k) => [k.kid, k])),
    idTokenSigners: new Map(signers.map((k) => [k.algorithm, k])),
    idTokenKeys: new Map(idToken.map((k) => [k.kid, k])),
    jwks,
    etag,
  }
}

/** HS256 mode and no id_token keys: nothing to publish, nothing to verify by kid. */
export const EMPTY_KEY_SET: KeySet = keySet(null, [])

/**
 * Checks every stored key before trusting it: the private key parses, its type is the one its
 * algorithm is bound to, and its kid is the thumbprint of its public key, so a record edited
 * in the database cannot pair a key with another algorithm or publish a wrong kid. Everything
 * published is derived from the private key, never copied from the stored JWK.
 */
function loadKey(record: SigningKeyRecord): VerificationKey | ActiveSigningKey {
  const problem = (why: string) => new Error(`signing key ${record.kid}: ${why}`)
  if (!isSigningAlgorithm(record.algorithm)) throw problem(`unsupported algorithm ${JSON.stringify(record.algorithm)}`)
  if (record.status !== 'active' && record.status !== 'verifying') throw problem(`unknown status ${JSON.stringify(record.status)}`)
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(record.privateKeyPem)
  } catch {
    throw problem('the stored private key cannot be read')
  }
  const mismatch = keyMismatch(record.algorithm, privateKey)
  if (mismatch !== null) throw problem(mismatch)
  const publicKey = createPublicKey(privateKey)
  const jwk = publicJwkOf(publicKey, record.algorithm)
  if (jwk.kid !== record.kid) throw problem('the kid is not the thumbprint of the key (RFC 7638)')
  const purpose = record.purpose ?? 'access_token'
  if (!(SIGNING_KEY_PURPOSES as readonly string[]).includes(purpose)) throw problem(`unknown purpose ${JSON.stringify(purpose)}`)
  const common = {
    kid: record.kid, algorithm: record.algorithm, purpose, createdAt: record.createdAt,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string, jwk,
  }
  return record.status === 'active'
    ? { ...common, status: 'active', privateKeyPem: record.privateKeyPem }
    : { ...common, status: 'verifying' }
}

/** Builds the set from stored records: active keys first, then verifying keys, newest first. */
export function buildKeySet(records: readonly SigningKeyRecord[]): KeySet {
  const live = records
    .filter((r) => r.status !== 'retired') // retired keys are never even parsed
    .sort((a, b) => Number(b.status === 'active') - Number(a.status === 'active') || b.createdAt - a.createdAt || a.kid.localeCompare(b.kid))
  if (live.length === 0) return EMPTY_KEY_SET
  const keys = live.map(loadKey)
  const active = keys.filter((k): k is ActiveSigningKey => k.status === 'active' && k.purpose === 'access_token')
  if (active.length > 1) throw new Error(`signing keys: ${active.length} access-token keys are active, expected at most one`)
  for (const algorithm of SIGNING_ALGORITHMS) {
    const signers = keys.filter((k) => k.status === 'active' && k.purpose === 'id_token' && k.algorithm === algorithm)
    if (signers.length > 1) throw new Error(`signing keys: ${signers.length} ${algorithm} id_token keys are active, expected at most one`)
  }
  return keySet(active[0] ?? null, keys)
}
