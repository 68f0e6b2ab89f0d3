import { createPrivateKey, generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { SigningKeyRecord } from '../../src/core/ports.js'
import {
  EMPTY_KEY_SET, SIGNING_ALGORITHMS, buildKeySet, generateSigningKey, isSigningAlgorithm, jwkThumbprint,
} from '../../src/core/signing-keys.js'

const T = Date.UTC(2026, 0, 1)

// One key per algorithm for the whole file: RSA generation costs ~100 ms.
const KEYS = {
  EdDSA: generateSigningKey('EdDSA', { status: 'active', createdAt: T }),
  ES256: generateSigningKey('ES256', { status: 'verifying', createdAt: T + 1 }),
  RS256: generateSigningKey('RS256', { status: 'verifying', createdAt: T + 2 }),
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

function pkcs8(key: ReturnType<typeof generateKeyPairSync>['privateKey']): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string
}

describe('jwkThumbprint (RFC 7638)', () => {
  it('matches RFC 7638 §3.1\'s RSA example', () => {
    const jwk = {
      kty: 'RSA', e: 'AQAB', alg: 'RS256', kid: '2011-04-29',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
    }
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
  })

  it('matches RFC 8037 Appendix A.3\'s Ed25519 example, ignoring the private member', () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A' }
    expect(jwkThumbprint(jwk)).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k')
  })

  it('refuses a key type it does not know and a key without a required member', () => {
    expect(() => jwkThumbprint({ kty: 'oct', k: 'c2VjcmV0' })).toThrow(TypeError)
    expect(() => jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'abc' })).toThrow(TypeError)
  })
})

describe('generateSigningKey', () => {
  it.each([
    ['EdDSA', 'ed25519', ['kty', 'kid', 'alg', 'use', 'crv', 'x'], { crv: 'Ed25519' }],
    ['ES256', 'ec', ['kty', 'kid', 'alg', 'use', 'crv', 'x', 'y'], { crv: 'P-256' }],
    ['RS256', 'rsa', ['kty', 'kid', 'alg', 'use', 'e', 'n'], { e: 'AQAB' }],
  ] as const)('makes a %s key: PKCS#8 private key of type %s, public JWK only, kid = its thumbprint', (alg, type, members, fixed) => {
    const key = KEYS[alg]
    expect(key.algorithm).toBe(alg)
    expect(key.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    const privateKey = createPrivateKey(key.privateKeyPem)
    expect(privateKey.asymmetricKeyType).toBe(type)
    expect(Object.keys(key.publicJwk)).toEqual(members)
    expect(key.publicJwk).toMatchObject({ kid: key.kid, alg, use: 'sig', ...fixed })
    expect(key.kid).toBe(jwkThumbprint(key.publicJwk))
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
    for (const member of PRIVATE_MEMBERS) expect(key.publicJwk).not.toHaveProperty(member)
  })

  it('makes RSA keys of 2048 bits and P-256 EC keys', () => {
    expect(createPrivateKey(KEYS.RS256.privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048)
    expect(createPrivateKey(KEYS.ES256.privateKeyPem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
  })

  it('makes a new key each time, with the status and time given', () => {
    const other = generateSigningKey('EdDSA', { status: 'verifying', createdAt: 42 })
    expect(other.kid).not.toBe(KEYS.EdDSA.kid)
    expect(other).toMatchObject({ status: 'verifying', createdAt: 42 })
  })

  it('refuses an algorithm it does not sign with', () => {
    expect(() => generateSigningKey('HS256' as never, { status: 'active', createdAt: T })).toThrow(TypeError)
    expect(SIGNING_ALGORITHMS).toEqual(['EdDSA', 'ES256', 'RS256'])
    expect(['EdDSA', 'ES256', 'RS256', 'HS256', 'none', 'eddsa'].map(isSigningAlgorithm)).toEqual([true, true, true, false, false, false])
  })
})

describe('buildKeySet', () => {
  it('is empty with no keys, or only retired ones: HS256 mode', () => {
    expect(buildKeySet([])).toBe(EMPTY_KEY_SET)
    expect(buildKeySet([{ ...KEYS.EdDSA, status: 'retired' }])).toBe(EMPTY_KEY_SET)
    expect(EMPTY_KEY_SET.active).toBeNull()
    expect(EMPTY_KEY_SET.jwks).toEqual({ keys: [] })
    expect(EMPTY_KEY_SET.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
  })

  it('holds the active key for signing and every active or verifying key for verifying, never a retired one', () => {
    const retired = generateSigningKey('EdDSA', { status: 'retired', createdAt: T + 3 })
    const set = buildKeySet([KEYS.RS256, retired, KEYS.EdDSA, KEYS.ES256])
    expect(set.active).toMatchObject({ kid: KEYS.EdDSA.kid, algorithm: 'EdDSA', status: 'active', privateKeyPem: KEYS.EdDSA.privateKeyPem })
    // Active first, then verifying keys newest first.
    expect([...set.byKid.keys()]).toEqual([KEYS.EdDSA.kid, KEYS.RS256.kid, KEYS.ES256.kid])
    expect(set.byKid.has(retired.kid)).toBe(false)
    expect(set.byKid.get(KEYS.ES256.kid)).toMatchObject({ algorithm: 'ES256', status: 'verifying' })
    expect(set.byKid.get(KEYS.ES256.kid)).not.toHaveProperty('privateKeyPem')
    expect(set.byKid.get(KEYS.ES256.kid)?.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/)
  })

  it('publishes the public JWKs of exactly those keys, with kid, alg and use, and no private member', () => {
    const set = buildKeySet([KEYS.EdDSA, KEYS.ES256, KEYS.RS256])
    expect(set.jwks.keys).toEqual([KEYS.EdDSA.publicJwk, KEYS.RS256.publicJwk, KEYS.ES256.publicJwk])
    const json = JSON.stringify(set.jwks)
    for (const member of PRIVATE_MEMBERS) expect(json).not.toContain(`"${member}":`)
  })

  it('derives what it publishes from the private key, not from the stored JWK', () => {
    const polluted: SigningKeyRecord = { ...KEYS.EdDSA, publicJwk: { ...KEYS.EdDSA.publicJwk, d: 'leaked', x: 'wrong' } }
    expect(buildKeySet([polluted]).jwks.keys).toEqual([KEYS.EdDSA.publicJwk])
  })

  it('is frozen: a set is shared by every request', () => {
    const set = buildKeySet([KEYS.EdDSA])
    expect(Object.isFrozen(set.jwks) && Object.isFrozen(set.jwks.keys) && Object.isFrozen(set.jwks.keys[0])).toBe(true)
    expect(Object.isFrozen(EMPTY_KEY_SET.jwks.keys)).toBe(true)
  })

  it('gives a set a strong ETag that follows its content', () => {
    const a = buildKeySet([KEYS.EdDSA])
    expect(buildKeySet([{ ...KEYS.EdDSA }]).etag).toBe(a.etag)
    expect(buildKeySet([KEYS.EdDSA, KEYS.ES256]).etag).not.toBe(a.etag)
    expect(a.etag).not.toBe(EMPTY_KEY_SET.etag)
  })

  it('refuses two active keys', () => {
    expect(() => buildKeySet([KEYS.EdDSA, { ...KEYS.ES256, status: 'active' }])).toThrow('signing keys: 2 access-token keys are active, expected at most one')
  })

  it.each([
    ['an EdDSA record holding a P-256 key', { ...KEYS.ES256, algorithm: 'EdDSA' }, 'EdDSA needs an Ed25519 key'],
    ['an ES256 record holding an RSA key', { ...KEYS.RS256, algorithm: 'ES256' }, 'ES256 needs a P-256 key'],
    ['an RS256 record holding an Ed25519 key', { ...KEYS.EdDSA, algorithm: 'RS256' }, 'RS256 needs an RSA key of at least 2048 bits'],
    ['an RS256 record holding a 1024-bit key', { ...KEYS.RS256, privateKeyPem: pkcs8(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey) }, 'RS256 needs an RSA key of at least 2048 bits'],
    ['an ES256 record holding a P-384 key', { ...KEYS.ES256, privateKeyPem: pkcs8(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey) }, 'ES256 needs a P-256 key'],
    ['an HS256 record', { ...KEYS.EdDSA, algorithm: 'HS256' }, 'unsupported algorithm "HS256"'],
    ['a status it does not know', { ...KEYS.EdDSA, status: 'paused' }, 'unknown status "paused"'],
    ['a kid that is not the key\'s thumbprint', { ...KEYS.EdDSA, kid: KEYS.ES256.kid }, 'the kid is not the thumbprint of the key (RFC 7638)'],
    ['a private key that does not parse', { ...KEYS.EdDSA, privateKeyPem: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n' }, 'the stored private key cannot be read'],
  ])('refuses %s, naming the kid', (_, record, why) => {
    const kid = (record as SigningKeyRecord).kid
    expect(() => buildKeySet([record as SigningKeyRecord])).toThrow(`signing key ${kid}: ${why}`)
  })
})
