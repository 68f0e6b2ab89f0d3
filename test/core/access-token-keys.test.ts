import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify, type JsonWebKey, type KeyObject } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createAccessTokens } from '../../src/core/access-token.js'
import { fixedClock } from '../../src/core/clock.js'
import { InvalidToken } from '../../src/core/errors.js'
import type { SigningAlgorithm, SigningKeyRecord } from '../../src/core/ports.js'
import { fixedSigningKeys, type SigningKeys } from '../../src/core/signing-key-ring.js'
import { buildKeySet, generateSigningKey, type KeySet, type PublicJwk } from '../../src/core/signing-keys.js'

// Access tokens signed with asymmetric keys: the kid picks the key, the key fixes the algorithm.

const NOW = Date.UTC(2026, 0, 1)
const NOW_S = NOW / 1000
const SECRET = 'a-test-secret-that-is-long-enough-0123456789'
const ISSUER = 'https://auth.example.test'
const CLAIMS = { iss: ISSUER, sub: 'user-1', iat: NOW_S, exp: NOW_S + 1800, jti: 'jti-1', scope: 'me items' }

const KEYS = {
  EdDSA: generateSigningKey('EdDSA', { status: 'active', createdAt: NOW }),
  ES256: generateSigningKey('ES256', { status: 'active', createdAt: NOW }),
  RS256: generateSigningKey('RS256', { status: 'active', createdAt: NOW }),
}

/** Keys whose set a test can swap, recording the unknown kids it is told about. */
function switchable(initial: KeySet) {
  let set = initial
  const unknown: string[] = []
  const keys: SigningKeys = { current: () => set, unknownKid: (kid) => { unknown.push(kid) } }
  return { keys, unknown, use(next: KeySet) { set = next } }
}

function setup(records: SigningKeyRecord[]) {
  const clock = fixedClock(NOW)
  const ring = switchable(buildKeySet(records))
  const tokens = createAccessTokens({ secretKey: SECRET, issuer: ISSUER, expiresInSeconds: 1800, clock, signingKeys: ring.keys })
  return { clock, ring, tokens }
}

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

function part(token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] as string, 'base64url').toString('utf8'))
}

/** JOSE signatures as RFC 7518 §3 defines them, made with node:crypto alone. */
function joseSign(alg: string, input: string, keyOrPem: KeyObject | string): string {
  const data = Buffer.from(input)
  const key = typeof keyOrPem === 'string' ? createPrivateKey(keyOrPem) : keyOrPem
  if (alg === 'EdDSA') return cryptoSign(null, data, key).toString('base64url')
  if (alg === 'ES256') return cryptoSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')
  return cryptoSign('sha256', data, key).toString('base64url')
}

function jwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject | string): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${joseSign(String(header.alg), input, key)}`
}

function hmac(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string | Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

/** How a resource server verifies with only the published JWK: node:crypto, no Tessera code. */
function verifyWithJwk(token: string, jwk: PublicJwk): boolean {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const key = createPublicKey({ key: jwk as unknown as JsonWebKey, format: 'jwk' })
  const data = Buffer.from(`${header}.${payload}`)
  const sig = Buffer.from(signature, 'base64url')
  if (jwk.alg === 'EdDSA') return cryptoVerify(null, data, key, sig)
  if (jwk.alg === 'ES256') return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig)
  return cryptoVerify('sha256', data, key, sig)
}

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('%s', (alg) => {
  const record = KEYS[alg]

  it('signs with the active key: header alg, typ at+jwt and kid; verifies it back', () => {
    const { tokens } = setup([record])
    const issued = tokens.issue('user-1', ['me', 'items'], { clientId: 'cli' })
    expect(part(issued.token, 0)).toEqual({ alg, typ: 'at+jwt', kid: record.kid })
    expect(part(issued.token, 1)).toEqual({ ...issued.claims, scope: 'me items' })
    expect(tokens.verify(issued.token)).toEqual(issued.claims)
  })

  it('makes tokens a resource server verifies with the published JWK and node:crypto alone', () => {
    const { tokens } = setup([record])
    const { token } = tokens.issue('user-1', ['me'])
    const jwk = buildKeySet([record]).jwks.keys[0] as PublicJwk
    expect(verifyWithJwk(token, jwk)).toBe(true)
    expect(verifyWithJwk(`${token.slice(0, -4)}AAAA`, jwk)).toBe(false)
  })

  it('verifies a token signed elsewhere with the key (by kid), and refuses one signed by another key of the same type', () => {
    const { tokens } = setup([record])
    expect(tokens.verify(jwt({ alg, typ: 'at+jwt', kid: record.kid }, CLAIMS, record.privateKeyPem)).sub).toBe('user-1')
    const impostor = generateSigningKey(alg, { status: 'active', createdAt: NOW })
    expect(() => tokens.verify(jwt({ alg, typ: 'at+jwt', kid: record.kid }, CLAIMS, impostor.privateKeyPem))).toThrow(InvalidToken)
  })

  it('refuses a token with any other typ, or none', () => {
    const { tokens } = setup([record])
    for (const typ of ['JWT', 'jwt', 'application/jwt', undefined]) {
      expect(() => tokens.verify(jwt({ alg, typ, kid: record.kid }, CLAIMS, record.privateKeyPem)), String(typ)).toThrow(InvalidToken)
    }
    expect(tokens.verify(jwt({ alg, typ: 'application/AT+JWT', kid: record.kid }, CLAIMS, record.privateKeyPem)).sub).toBe('user-1')
  })

  it('checks the claims as in HS256 mode: issuer, expiry with 30 s of tolerance', () => {
    const { tokens, clock } = setup([record])
    expect(() => tokens.verify(jwt({ alg, typ: 'at+jwt', kid: record.kid }, { ...CLAIMS, iss: 'https://evil.example' }, record.privateKeyPem))).toThrow(InvalidToken)
    const { token } = tokens.issue('u', [])
    clock.set((NOW_S + 1800 + 30) * 1000)
    expect(tokens.verify(token).sub).toBe('u')
    clock.advance(1)
    expect(() => tokens.verify(token)).toThrow(InvalidToken)
  })
})

describe('algorithm confusion is impossible', () => {
  const publicPem = createPublicKey(KEYS.EdDSA.privateKeyPem).export({ type: 'spki', format: 'pem' }) as string
  const jwk = buildKeySet([KEYS.EdDSA]).jwks.keys[0] as PublicJwk

  it.each([
    ['the public key PEM', publicPem],
    ['the public key PEM, trimmed', publicPem.trim()],
    ['the published JWK', JSON.stringify(jwk)],
    ['the raw public key bytes', Buffer.from(jwk.x as string, 'base64url')],
    ['the JWKS document', JSON.stringify({ keys: [jwk] })],
  ])('refuses an HS256 token "signed" with %s as the HMAC secret, with or without the kid', (_, secret) => {
    const { tokens } = setup([KEYS.EdDSA])
    expect(() => tokens.verify(hmac({ alg: 'HS256', typ: 'at+jwt', kid: KEYS.EdDSA.kid }, CLAIMS, secret))).toThrow(InvalidToken)
    expect(() => tokens.verify(hmac({ alg: 'HS256', typ: 'at+jwt' }, CLAIMS, secret))).toThrow(InvalidToken)
  })

  it('refuses a token whose alg is not the one its kid\'s key is bound to, even when that signature is valid', () => {
    const { tokens } = setup([KEYS.EdDSA, { ...KEYS.ES256, status: 'verifying' }])
    // Signed correctly with the ES256 key, but claiming the EdDSA key's kid.
    expect(() => tokens.verify(jwt({ alg: 'ES256', typ: 'at+jwt', kid: KEYS.EdDSA.kid }, CLAIMS, KEYS.ES256.privateKeyPem))).toThrow(InvalidToken)
    // And the other way round.
    expect(() => tokens.verify(jwt({ alg: 'EdDSA', typ: 'at+jwt', kid: KEYS.ES256.kid }, CLAIMS, KEYS.EdDSA.privateKeyPem))).toThrow(InvalidToken)
  })

  it('refuses an attacker\'s own key and algorithm under a kid we know (RS256 for an EdDSA kid, PS256, ES384)', () => {
    const { tokens } = setup([KEYS.EdDSA])
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    expect(() => tokens.verify(jwt({ alg: 'RS256', typ: 'at+jwt', kid: KEYS.EdDSA.kid }, CLAIMS, rsa))).toThrow(InvalidToken)
    expect(() => tokens.verify(jwt({ alg: 'PS256', typ: 'at+jwt', kid: KEYS.EdDSA.kid }, CLAIMS, rsa))).toThrow(InvalidToken)
  })

  it('refuses alg none, with a known kid or without one', () => {
    const { tokens } = setup([KEYS.EdDSA])
    for (const header of [{ alg: 'none', typ: 'at+jwt', kid: KEYS.EdDSA.kid }, { alg: 'none', typ: 'at+jwt' }]) {
      expect(() => tokens.verify(`${b64url(header)}.${b64url(CLAIMS)}.`)).toThrow(InvalidToken)
    }
  })

  it('refuses a kid no key has, and reports it so the keys can be reloaded', () => {
    const { tokens, ring } = setup([KEYS.EdDSA])
    const other = generateSigningKey('EdDSA', { status: 'active', createdAt: NOW })
    expect(() => tokens.verify(jwt({ alg: 'EdDSA', typ: 'at+jwt', kid: other.kid }, CLAIMS, other.privateKeyPem))).toThrow(InvalidToken)
    expect(ring.unknown).toEqual([other.kid])
  })

  it('refuses a kid that is not a string', () => {
    const { tokens } = setup([KEYS.EdDSA])
    expect(() => tokens.verify(jwt({ alg: 'EdDSA', typ: 'at+jwt', kid: [KEYS.EdDSA.kid] }, CLAIMS, KEYS.EdDSA.privateKeyPem))).toThrow(InvalidToken)
  })
})

describe('modes and rotation', () => {
  it('once a key is active, HS256 tokens are refused, even ones Tessera issued before', () => {
    const { tokens, ring } = setup([])
    const before = tokens.issue('user-1', ['me'])
    expect(part(before.token, 0)).toEqual({ alg: 'HS256', typ: 'at+jwt' })
    expect(tokens.verify(before.token).sub).toBe('user-1')
    ring.use(buildKeySet([KEYS.EdDSA]))
    expect(() => tokens.verify(before.token)).toThrow(InvalidToken)
    expect(() => tokens.verify(hmac({ alg: 'HS256', typ: 'at+jwt' }, CLAIMS, SECRET))).toThrow(InvalidToken)
    expect(part(tokens.issue('user-1', ['me']).token, 0)).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: KEYS.EdDSA.kid })
  })

  it('rotation: new tokens carry the new kid; tokens of the previous key keep verifying until it is retired', () => {
    const { tokens, ring } = setup([KEYS.EdDSA])
    const old = tokens.issue('user-1', ['me'])
    ring.use(buildKeySet([{ ...KEYS.EdDSA, status: 'verifying' }, KEYS.ES256]))
    const fresh = tokens.issue('user-1', ['me'])
    expect(part(fresh.token, 0)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: KEYS.ES256.kid })
    expect(tokens.verify(old.token)).toEqual(old.claims)
    expect(tokens.verify(fresh.token)).toEqual(fresh.claims)
    ring.use(buildKeySet([{ ...KEYS.EdDSA, status: 'retired' }, KEYS.ES256]))
    expect(() => tokens.verify(old.token)).toThrow(InvalidToken)
    expect(tokens.verify(fresh.token)).toEqual(fresh.claims)
  })

  it('with no active key, HS256 signs and verifies, and keys still verifying verify their tokens', () => {
    const { tokens, ring } = setup([KEYS.RS256])
    const signed = tokens.issue('user-1', ['me'])
    ring.use(buildKeySet([{ ...KEYS.RS256, status: 'verifying' }]))
    expect(tokens.verify(signed.token)).toEqual(signed.claims)
    const hs = tokens.issue('user-1', ['me'])
    expect(part(hs.token, 0)).toEqual({ alg: 'HS256', typ: 'at+jwt' })
    expect(tokens.verify(hs.token)).toEqual(hs.claims)
  })

  it('a fixed key set works as a library would use it, without a store', () => {
    const tokens = createAccessTokens({
      secretKey: SECRET, issuer: ISSUER, expiresInSeconds: 60, clock: fixedClock(NOW), signingKeys: fixedSigningKeys(buildKeySet([KEYS.RS256])),
    })
    const { token, claims } = tokens.issue('svc', [])
    expect(tokens.verify(token)).toEqual(claims)
  })

  it.each(['EdDSA', 'ES256', 'RS256'] as SigningAlgorithm[])('never puts key material in a %s token', (alg) => {
    const { tokens } = setup([KEYS[alg]])
    const { token } = tokens.issue('user-1', ['me'])
    expect(Object.keys(part(token, 0)).sort()).toEqual(['alg', 'kid', 'typ'])
  })
})
