import { createHash } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/core/clock.js'
import { createIdTokens, tokenHash, type IdTokenOptions } from '../../src/core/id-token.js'
import { ensureIdTokenKey } from '../../src/core/key-rotation.js'
import type { SigningAlgorithm, SigningKeyRecord } from '../../src/core/ports.js'
import { fixedSigningKeys } from '../../src/core/signing-key-ring.js'
import { buildKeySet, EMPTY_KEY_SET, generateSigningKey, type KeySet } from '../../src/core/signing-keys.js'
import { inMemorySigningKeys } from './in-memory-signing-keys.js'
import { inMemorySettings } from './in-memory-stores.js'

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0, 500)      // half a second in: iat is whole seconds
const IAT = Math.floor(NOW / 1000)
const ISSUER = 'https://auth.example.test'
const ALGORITHMS: SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA']
const client = (alg: SigningAlgorithm = 'RS256') => ({ id: 'app', idTokenSignedResponseAlg: alg })

let keys: Record<SigningAlgorithm, SigningKeyRecord>
let accessKey: SigningKeyRecord
let set: KeySet

beforeAll(() => {
  const idTokenKey = (alg: SigningAlgorithm) => generateSigningKey(alg, { status: 'active', createdAt: NOW, purpose: 'id_token' })
  keys = Object.fromEntries(ALGORITHMS.map((alg) => [alg, idTokenKey(alg)])) as typeof keys
  accessKey = generateSigningKey('EdDSA', { status: 'active', createdAt: NOW, purpose: 'access_token' })
  set = buildKeySet([...Object.values(keys), accessKey])
})

function idTokens(overrides: Partial<IdTokenOptions> = {}) {
  const clock = fixedClock(NOW)
  const provideSigner = async (): Promise<KeySet> => { throw new Error('no key should be needed') }
  const options: IdTokenOptions = { issuer: ISSUER, expiresInSeconds: 600, clock, keys: fixedSigningKeys(set), provideSigner, ...overrides }
  return { clock, idTokens: createIdTokens(options) }
}

function payloadOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>
}

/** A JWT signed by hand with `key`, as somebody else (or a forger) would make it. */
function signed(key: SigningKeyRecord, payload: Record<string, unknown>, options: { kid?: string | null } = {}): string {
  const kid = options.kid === undefined ? key.kid : options.kid ?? undefined
  const header = { alg: key.algorithm, typ: 'JWT' }
  const sign = createSigner({ key: key.privateKeyPem, algorithm: key.algorithm, ...(kid === undefined ? {} : { kid }), header })
  return sign(payload) as string
}

const HINT_CLAIMS = { iss: ISSUER, sub: 'user-1', aud: 'app', iat: IAT, exp: IAT + 600 }

describe('createIdTokens', () => {
  it('refuses a lifetime that is not a positive whole number of seconds', () => {
    for (const expiresInSeconds of [0, -1, 1.5, Number.NaN]) expect(() => idTokens({ expiresInSeconds })).toThrow(TypeError)
  })
})

describe('issue: the claims (OIDC Core §2, §3.1.3.6)', () => {
  it('says who signed in, for whom, when, and until when', async () => {
    const { idTokens: tokens } = idTokens()
    const jwt = await tokens.issue({
      subject: 'user-1', client: client(), authTime: IAT - 300, nonce: 'n-0S6', amr: ['pwd'], sessionId: 'session-1',
      accessToken: 'access-token-value',
    })
    expect(payloadOf(jwt)).toEqual({
      iss: ISSUER, sub: 'user-1', aud: 'app', azp: 'app', iat: IAT, exp: IAT + 600, auth_time: IAT - 300,
      nonce: 'n-0S6', at_hash: tokenHash('access-token-value', 'RS256'), amr: ['pwd'], sid: 'session-1',
    })
  })

  it('leaves out nonce, at_hash, amr and sid when there are none (a refreshed id_token has no nonce, §12.2)', async () => {
    const { idTokens: tokens } = idTokens()
    for (const extra of [{}, { nonce: null, amr: [], sessionId: null }]) {
      const claims = payloadOf(await tokens.issue({ subject: 'user-1', client: client(), authTime: 1, ...extra }))
      expect(Object.keys(claims).sort()).toEqual(['aud', 'auth_time', 'azp', 'exp', 'iat', 'iss', 'sub'])
    }
  })

  it('keeps an empty-string nonce: it is what the app sent', async () => {
    const { idTokens: tokens } = idTokens()
    expect(payloadOf(await tokens.issue({ subject: 'u', client: client(), authTime: 1, nonce: '' }))).toHaveProperty('nonce', '')
  })

  it('takes iat from the injected clock', async () => {
    const { idTokens: tokens, clock } = idTokens()
    clock.advance(3_600_000)
    const claims = payloadOf(await tokens.issue({ subject: 'u', client: client(), authTime: 1 }))
    expect(claims.iat).toBe(IAT + 3600)
    expect(claims.exp).toBe(IAT + 4200)
  })
})

describe('issue: signed with the client\'s registered algorithm, verifiable from the JWKS', () => {
  it.each(ALGORITHMS)('%s: header alg, typ JWT and the id_token key\'s kid; the signature verifies with its public JWK', async (alg) => {
    const { idTokens: tokens } = idTokens()
    const jwt = await tokens.issue({ subject: 'user-1', client: client(alg), authTime: 1 })
    expect(decodeProtectedHeader(jwt)).toEqual({ alg, typ: 'JWT', kid: keys[alg].kid })
    const published = set.jwks.keys.find((k) => k.kid === keys[alg].kid)
    expect(published).toBeDefined()
    const { payload } = await jwtVerify(jwt, await importJWK({ ...published }, alg), { issuer: ISSUER, audience: 'app', currentDate: new Date(NOW) })
    expect(payload.sub).toBe('user-1')
  })

  it('never signs an id_token with the access-token key', async () => {
    const { idTokens: tokens } = idTokens()
    const issued = await Promise.all(ALGORITHMS.map((alg) => tokens.issue({ subject: 'u', client: client(alg), authTime: 1 })))
    const kids = issued.map((jwt) => decodeProtectedHeader(jwt).kid)
    expect(kids).not.toContain(accessKey.kid)
  })

  it('asks provideSigner for a key of an algorithm nobody signs with yet, and uses it', async () => {
    const store = inMemorySigningKeys([keys.RS256])
    const deps = { keys: store, settings: inMemorySettings(), clock: fixedClock(NOW) }
    let current = buildKeySet(await store.list())
    const asked: SigningAlgorithm[] = []
    const { idTokens: tokens } = idTokens({
      keys: { current: () => current, unknownKid: () => undefined },
      async provideSigner(alg) {
        asked.push(alg)
        await ensureIdTokenKey(alg, deps)
        current = buildKeySet(await store.list())
        return current
      },
    })
    const jwt = await tokens.issue({ subject: 'u', client: client('ES256'), authTime: 1 })
    const es256 = store.records.find((r) => r.algorithm === 'ES256' && r.purpose === 'id_token' && r.status === 'active')
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'ES256', kid: es256?.kid })
    await tokens.issue({ subject: 'u', client: client('ES256'), authTime: 1 })
    await tokens.issue({ subject: 'u', client: client('RS256'), authTime: 1 })
    expect(asked).toEqual(['ES256'])                           // once: afterwards the key is in the set
  })

  it('fails when no key of the algorithm exists and none could be made', async () => {
    const { idTokens: tokens } = idTokens({ keys: fixedSigningKeys(EMPTY_KEY_SET), provideSigner: async () => EMPTY_KEY_SET })
    await expect(tokens.issue({ subject: 'u', client: client(), authTime: 1 })).rejects.toThrow(/no RS256 key signs id_tokens/)
  })
})

describe('tokenHash: at_hash (OIDC Core §3.1.3.6)', () => {
  const left = (alg: 'sha256' | 'sha512', value: string) => {
    const digest = createHash(alg).update(value, 'ascii').digest()
    return digest.subarray(0, digest.length / 2).toString('base64url')
  }

  it('is the left half of SHA-256 for RS256 and ES256 (22 characters)', () => {
    expect(tokenHash('an-access-token', 'RS256')).toBe(left('sha256', 'an-access-token'))
    expect(tokenHash('an-access-token', 'ES256')).toBe(left('sha256', 'an-access-token'))
    expect(tokenHash('an-access-token', 'RS256')).toHaveLength(22)
  })

  it('is the left half of SHA-512 for EdDSA with Ed25519 (43 characters), as oauth4webapi and openid-client check it', () => {
    expect(tokenHash('an-access-token', 'EdDSA')).toBe(left('sha512', 'an-access-token'))
    expect(tokenHash('an-access-token', 'EdDSA')).toHaveLength(43)
  })

  it.each(ALGORITHMS)('%s: the id_token\'s at_hash is that of the access token issued with it', async (alg) => {
    const { idTokens: tokens } = idTokens()
    const claims = payloadOf(await tokens.issue({ subject: 'u', client: client(alg), authTime: 1, accessToken: 'eyJhbGciOi.the-access.token' }))
    expect(claims.at_hash).toBe(tokenHash('eyJhbGciOi.the-access.token', alg))
    expect(claims.at_hash).not.toBe(tokenHash('eyJhbGciOi.the-access.tokem', alg))
  })
})

describe('verifyHint (RP-Initiated Logout §2)', () => {
  it.each(ALGORITHMS)('%s: accepts an id_token it issued and tells sub, aud and sid', async (alg) => {
    const { idTokens: tokens } = idTokens()
    const jwt = await tokens.issue({ subject: 'user-1', client: client(alg), authTime: 1, sessionId: 'session-1' })
    expect(tokens.verifyHint(jwt)).toEqual({ sub: 'user-1', aud: ['app'], sid: 'session-1' })
  })

  it('accepts an expired hint, as §2 asks', async () => {
    const { idTokens: tokens, clock } = idTokens()
    const jwt = await tokens.issue({ subject: 'user-1', client: client(), authTime: 1 })
    clock.advance(30 * 86_400_000)
    expect(tokens.verifyHint(jwt)).toEqual({ sub: 'user-1', aud: ['app'], sid: null })
  })

  it('accepts a hint signed by a key that no longer signs but still verifies (after a rotation)', async () => {
    const { idTokens: tokens } = idTokens()
    const jwt = await tokens.issue({ subject: 'user-1', client: client('ES256'), authTime: 1 })
    const rotated = buildKeySet([{ ...keys.ES256, status: 'verifying' }, keys.RS256])
    expect(idTokens({ keys: fixedSigningKeys(rotated) }).idTokens.verifyHint(jwt)).toMatchObject({ sub: 'user-1' })
    const retired = buildKeySet([{ ...keys.ES256, status: 'retired' }, keys.RS256])
    expect(idTokens({ keys: fixedSigningKeys(retired) }).idTokens.verifyHint(jwt)).toBeNull()
  })

  it('reads an audience array', () => {
    const { idTokens: tokens } = idTokens()
    expect(tokens.verifyHint(signed(keys.RS256, { ...HINT_CLAIMS, aud: ['app', 'other'] })))
      .toEqual({ sub: 'user-1', aud: ['app', 'other'], sid: null })
  })

  it('refuses a bad signature', async () => {
    const { idTokens: tokens } = idTokens()
    const jwt = await tokens.issue({ subject: 'user-1', client: client(), authTime: 1 })
    const [header, payload, signature] = jwt.split('.') as [string, string, string]
    const forged = Buffer.from(JSON.stringify({ ...payloadOf(jwt), sub: 'admin' })).toString('base64url')
    expect(tokens.verifyHint(`${header}.${forged}.${signature}`)).toBeNull()
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`
    expect(tokens.verifyHint(`${header}.${payload}.${flipped}`)).toBeNull()
    expect(tokens.verifyHint(`${header}.${payload}.`)).toBeNull()
    expect(tokens.verifyHint(jwt)).not.toBeNull()                       // the control: untouched, it passes
  })

  it('refuses an id_token of another issuer, even one signed with our key', async () => {
    const { idTokens: tokens } = idTokens()
    const elsewhere = idTokens({ issuer: 'https://other.example.test' }).idTokens
    expect(tokens.verifyHint(await elsewhere.issue({ subject: 'user-1', client: client(), authTime: 1 }))).toBeNull()
    expect(tokens.verifyHint(signed(keys.RS256, { ...HINT_CLAIMS, iss: `${ISSUER}/` }))).toBeNull()
    expect(tokens.verifyHint(signed(keys.RS256, HINT_CLAIMS))).not.toBeNull()
  })

  it('refuses a token whose alg is not its key\'s (RFC 8725 §3.1): HS256 keyed with the public key, none', () => {
    const { idTokens: tokens } = idTokens()
    const publicPem = set.idTokenKeys.get(keys.RS256.kid)?.publicKeyPem as string
    const confused = createSigner({ key: publicPem, algorithm: 'HS256', kid: keys.RS256.kid })(HINT_CLAIMS) as string
    expect(JSON.parse(Buffer.from(confused.split('.')[0] as string, 'base64url').toString())).toMatchObject({ alg: 'HS256', kid: keys.RS256.kid })
    expect(tokens.verifyHint(confused)).toBeNull()
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const none = `${encode({ alg: 'none', kid: keys.RS256.kid })}.${encode(HINT_CLAIMS)}.`
    expect(tokens.verifyHint(none)).toBeNull()
    // Another of our id_token keys' kid on an RS256 signature: the key named decides the algorithm.
    expect(tokens.verifyHint(signed(keys.RS256, HINT_CLAIMS, { kid: keys.ES256.kid }))).toBeNull()
  })

  it('refuses a token signed by a key that is not one of our id_token keys: an access-token key, a stranger\'s', () => {
    const { idTokens: tokens } = idTokens()
    expect(tokens.verifyHint(signed(accessKey, HINT_CLAIMS))).toBeNull()
    const stranger = generateSigningKey('EdDSA', { status: 'active', createdAt: NOW, purpose: 'id_token' })
    expect(tokens.verifyHint(signed(stranger, HINT_CLAIMS))).toBeNull()
    // Without a kid there is no key to try.
    expect(tokens.verifyHint(signed(keys.RS256, HINT_CLAIMS, { kid: null }))).toBeNull()
  })

  it('refuses a genuine token without sub or aud, or with an empty or non-string audience', () => {
    const { idTokens: tokens } = idTokens()
    const { sub: _sub, ...withoutSub } = HINT_CLAIMS
    const { aud: _aud, ...withoutAud } = HINT_CLAIMS
    expect(tokens.verifyHint(signed(keys.RS256, withoutSub))).toBeNull()
    expect(tokens.verifyHint(signed(keys.RS256, withoutAud))).toBeNull()
    expect(tokens.verifyHint(signed(keys.RS256, { ...HINT_CLAIMS, aud: [] }))).toBeNull()
    expect(tokens.verifyHint(signed(keys.RS256, { ...HINT_CLAIMS, aud: ['app', 7] }))).toBeNull()
    expect(tokens.verifyHint(signed(keys.RS256, { ...HINT_CLAIMS, sub: 42 }))).toBeNull()
  })

  it.each([
    ['empty', ''],
    ['not a JWT', 'not-a-jwt'],
    ['a header that is not JSON', 'bm90IGpzb24.e30.'],
    ['a JSON header that is not an object', `${Buffer.from('"x"').toString('base64url')}.e30.`],
    ['a leading dot', '.e30.'],
    ['over 8 KiB', `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k' })).toString('base64url')}.${'a'.repeat(8200)}.x`],
  ])('refuses %s without throwing', (_, token) => {
    expect(idTokens().idTokens.verifyHint(token)).toBeNull()
  })
})
