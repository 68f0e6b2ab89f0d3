import { createHmac, generateKeyPairSync, sign as rsaSign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createAccessTokens, type AccessTokenOptions } from '../../src/core/access-token.js'
import { fixedClock } from '../../src/core/clock.js'
import { InvalidToken } from '../../src/core/errors.js'

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0) // 1704110400 s
const NOW_S = NOW / 1000
const SECRET = 'a-test-secret-that-is-long-enough-0123456789'
const ISSUER = 'https://auth.example.test'

function setup(overrides: Partial<AccessTokenOptions> = {}) {
  const clock = fixedClock(NOW)
  const tokens = createAccessTokens({ secretKey: SECRET, issuer: ISSUER, expiresInSeconds: 1800, clock, ...overrides })
  return { clock, tokens }
}

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** A JWT built by hand the way PyJWT builds one: HS256 over the secret's UTF-8 bytes, typed as an access token (RFC 9068). */
function hs256(payload: Record<string, unknown>, secret = SECRET, header: Record<string, unknown> = { alg: 'HS256', typ: 'at+jwt' }): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${createHmac('sha256', Buffer.from(secret, 'utf8')).update(input).digest('base64url')}`
}

const CLAIMS = { iss: ISSUER, sub: 'user-1', iat: NOW_S, exp: NOW_S + 1800, jti: 'jti-1', scope: 'me items' }

function decodePart(token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] as string, 'base64url').toString('utf8'))
}

describe('issue', () => {
  it('signs HS256 with iss, sub, iat and exp from the injected clock, a jti and a space-separated scope', () => {
    const { tokens } = setup()
    const issued = tokens.issue('user-1', ['me', 'items'])
    expect(issued.expiresIn).toBe(1800)
    expect(decodePart(issued.token, 0)).toEqual({ alg: 'HS256', typ: 'at+jwt' }) // RFC 9068 §2.1; no kid in HS256 mode
    const payload = decodePart(issued.token, 1)
    expect(payload).toEqual({ iss: ISSUER, sub: 'user-1', iat: NOW_S, exp: NOW_S + 1800, jti: issued.claims.jti, scope: 'me items' })
    expect(issued.claims).toEqual({ iss: ISSUER, sub: 'user-1', iat: NOW_S, exp: NOW_S + 1800, jti: payload.jti, scope: ['me', 'items'] })
    expect(issued.claims.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('gives every token its own jti', () => {
    const { tokens } = setup()
    expect(tokens.issue('u', []).claims.jti).not.toBe(tokens.issue('u', []).claims.jti)
  })

  it('signs with the UTF-8 bytes of the key, as PyJWT does', () => {
    const { tokens } = setup({ secretKey: 'clé-secrète-ünïcödé-long-enough-0123' })
    const { token } = tokens.issue('u', ['me'])
    const [header, payload, signature] = token.split('.')
    const expected = createHmac('sha256', Buffer.from('clé-secrète-ünïcödé-long-enough-0123', 'utf8')).update(`${header}.${payload}`).digest('base64url')
    expect(signature).toBe(expected)
  })

  it('adds aud when an audience is configured', () => {
    const { tokens } = setup({ audience: 'tessera-api' })
    expect(decodePart(tokens.issue('u', []).token, 1).aud).toBe('tessera-api')
  })
})

describe('verify', () => {
  it('remembers a verified token, yet checks its time claims on every call', () => {
    const { tokens, clock } = setup()
    const issued = tokens.issue('user-1', ['me'])
    expect(tokens.verify(issued.token)).toEqual(issued.claims)
    expect(tokens.verify(issued.token)).toEqual(issued.claims) // the same answer from memory
    expect(tokens.verify(issued.token)).not.toBe(tokens.verify(issued.token)) // a fresh object each time
    clock.advance(1800_000 + 30_001)
    expect(() => tokens.verify(issued.token)).toThrow(InvalidToken)
    // A tampered copy is other bytes: verified (and refused) on its own.
    const [header, payload] = issued.token.split('.') as [string, string]
    expect(() => tokens.verify(`${header}.${payload}.${'A'.repeat(43)}`)).toThrow(InvalidToken)
  })

  it('keeps remembering within bounds when many distinct tokens arrive', () => {
    const { tokens } = setup()
    const issued = Array.from({ length: 1500 }, (_, i) => tokens.issue(`user-${i}`, ['me']))
    for (const t of issued) expect(tokens.verify(t.token).sub).toBe(t.claims.sub)
    for (const t of issued.slice(0, 10)) expect(tokens.verify(t.token)).toEqual(t.claims)
  })

  it('round-trips an issued token, parsing scope into a list', () => {
    const { tokens } = setup()
    const issued = tokens.issue('user-1', ['me', 'items'])
    expect(tokens.verify(issued.token)).toEqual(issued.claims)
  })

  it('verifies a token made by Python\'s PyJWT with typ at+jwt (committed fixture, see test/fixtures/pyjwt-hs256.json)', () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/pyjwt-hs256.json', import.meta.url), 'utf8'))
    const clock = fixedClock(fixture.claims.iat * 1000 + 60_000)
    const tokens = createAccessTokens({ secretKey: fixture.secretKey, issuer: fixture.claims.iss, expiresInSeconds: 1800, clock })
    expect(decodePart(fixture.token, 0)).toEqual({ alg: 'HS256', typ: 'at+jwt' })
    expect(tokens.verify(fixture.token)).toEqual({ ...fixture.claims, scope: ['me', 'items'] })
  })

  it('refuses the same claims from PyJWT with its default typ JWT, as the tutorial\'s app mints them (RFC 9068 §4)', () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/pyjwt-hs256.json', import.meta.url), 'utf8'))
    const clock = fixedClock(fixture.claims.iat * 1000 + 60_000)
    const tokens = createAccessTokens({ secretKey: fixture.secretKey, issuer: fixture.claims.iss, expiresInSeconds: 1800, clock })
    expect(decodePart(fixture.tokenTypJwt, 0)).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(() => tokens.verify(fixture.tokenTypJwt)).toThrow(InvalidToken)
  })

  it.each(['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/AT+JWT'])('accepts the header type %j (media types compare case-insensitively)', (typ) => {
    const { tokens } = setup()
    expect(tokens.verify(hs256(CLAIMS, SECRET, { alg: 'HS256', typ })).sub).toBe('user-1')
  })

  it.each([['JWT'], ['jwt'], ['application/jwt'], ['at+jwt '], ['x-at+jwt'], [''], [42], [null]])('rejects the header type %j', (typ) => {
    const { tokens } = setup()
    expect(() => tokens.verify(hs256(CLAIMS, SECRET, { alg: 'HS256', typ }))).toThrow(InvalidToken)
  })

  it('rejects a token without a header type', () => {
    const { tokens } = setup()
    expect(() => tokens.verify(hs256(CLAIMS, SECRET, { alg: 'HS256' }))).toThrow(InvalidToken)
  })

  it('rejects an HS256 token that names a kid: in HS256 mode no kid is ours', () => {
    const { tokens } = setup()
    expect(() => tokens.verify(hs256(CLAIMS, SECRET, { alg: 'HS256', typ: 'at+jwt', kid: 'k' }))).toThrow(InvalidToken)
    expect(() => tokens.verify(hs256(CLAIMS, SECRET, { alg: 'HS256', typ: 'at+jwt', kid: 7 }))).toThrow(InvalidToken)
  })

  it('verifies a token signed by hand with HMAC-SHA256 over the UTF-8 key', () => {
    const { tokens } = setup()
    expect(tokens.verify(hs256(CLAIMS))).toEqual({ ...CLAIMS, scope: ['me', 'items'] })
  })

  it('uses the injected clock: valid until exp plus 30 s of tolerance, invalid 1 ms later', () => {
    const { tokens, clock } = setup()
    const { token } = tokens.issue('u', [])
    clock.set((NOW_S + 1800 + 30) * 1000)
    expect(tokens.verify(token).sub).toBe('u')
    clock.advance(1)
    expect(() => tokens.verify(token)).toThrow(InvalidToken)
  })

  it('honours a configured tolerance', () => {
    const { tokens, clock } = setup({ clockToleranceSeconds: 0 })
    const { token } = tokens.issue('u', [])
    clock.set((NOW_S + 1800) * 1000 + 1)
    expect(() => tokens.verify(token)).toThrow(InvalidToken)
  })

  it('rejects a token issued in the future beyond the tolerance, accepts one within it', () => {
    const { tokens } = setup()
    expect(tokens.verify(hs256({ ...CLAIMS, iat: NOW_S + 30 })).iat).toBe(NOW_S + 30)
    expect(() => tokens.verify(hs256({ ...CLAIMS, iat: NOW_S + 31 }))).toThrow(InvalidToken)
  })

  it('rejects a token that is not yet valid (nbf) beyond the tolerance, or whose nbf is not a number', () => {
    const { tokens } = setup()
    expect(() => tokens.verify(hs256({ ...CLAIMS, nbf: NOW_S + 31 }))).toThrow(InvalidToken)
    expect(() => tokens.verify(hs256({ ...CLAIMS, nbf: String(NOW_S) }))).toThrow(InvalidToken)
    expect(tokens.verify(hs256({ ...CLAIMS, nbf: NOW_S + 30 })).sub).toBe('user-1')
  })

  it('rejects an expired token', () => {
    const { tokens } = setup()
    expect(() => tokens.verify(hs256({ ...CLAIMS, exp: NOW_S - 31 }))).toThrow(InvalidToken)
  })

  it('rejects a wrong issuer', () => {
    const { tokens } = setup()
    expect(() => tokens.verify(hs256({ ...CLAIMS, iss: 'https://evil.example' }))).toThrow(InvalidToken)
  })

  it.each(['iss', 'sub', 'exp', 'iat', 'jti', 'scope'])('rejects a token without %s', (claim) => {
    const { tokens } = setup()
    const { [claim as keyof typeof CLAIMS]: _, ...rest } = CLAIMS
    expect(() => tokens.verify(hs256(rest))).toThrow(InvalidToken)
  })

  it.each([
    ['sub', 42], ['sub', ''], ['jti', 7], ['scope', ['me']], ['iat', '1704110400'], ['exp', 'never'],
  ])('rejects a token whose %s is %j', (claim, value) => {
    const { tokens } = setup()
    expect(() => tokens.verify(hs256({ ...CLAIMS, [claim]: value }))).toThrow(InvalidToken)
  })

  it('requires aud when an audience is configured, and checks it', () => {
    const { tokens } = setup({ audience: 'tessera-api' })
    expect(() => tokens.verify(hs256(CLAIMS))).toThrow(InvalidToken)
    expect(() => tokens.verify(hs256({ ...CLAIMS, aud: 'other-api' }))).toThrow(InvalidToken)
    expect(tokens.verify(hs256({ ...CLAIMS, aud: 'tessera-api' })).sub).toBe('user-1')
  })

  it('rejects a tampered signature', () => {
    const { tokens } = setup()
    const token = hs256(CLAIMS)
    const last = token.at(-2) === 'A' ? 'B' : 'A'
    expect(() => tokens.verify(`${token.slice(0, -2)}${last}${token.slice(-1)}`)).toThrow(InvalidToken)
  })

  it('rejects a tampered payload under the original signature', () => {
    const { tokens } = setup()
    const [header, , signature] = hs256(CLAIMS).split('.')
    expect(() => tokens.verify(`${header}.${b64url({ ...CLAIMS, scope: 'me items admin' })}.${signature}`)).toThrow(InvalidToken)
  })

  it('rejects a token signed with another key', () => {
    const { tokens } = setup()
    expect(() => tokens.verify(hs256(CLAIMS, 'another-secret-that-is-long-enough-000'))).toThrow(InvalidToken)
  })

  it('rejects alg none, with or without a signature', () => {
    const { tokens } = setup()
    const unsigned = `${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(CLAIMS)}`
    expect(() => tokens.verify(`${unsigned}.`)).toThrow(InvalidToken)
    expect(() => tokens.verify(hs256(CLAIMS, SECRET, { alg: 'none', typ: 'at+jwt' }))).toThrow(InvalidToken)
  })

  it('rejects HS512 made with the same key: the algorithm is pinned, not read from the token', () => {
    const { tokens } = setup()
    const input = `${b64url({ alg: 'HS512', typ: 'at+jwt' })}.${b64url(CLAIMS)}`
    const token = `${input}.${createHmac('sha512', Buffer.from(SECRET, 'utf8')).update(input).digest('base64url')}`
    expect(() => tokens.verify(token)).toThrow(InvalidToken)
  })

  it('rejects RS256', () => {
    const { tokens } = setup()
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const input = `${b64url({ alg: 'RS256', typ: 'at+jwt' })}.${b64url(CLAIMS)}`
    expect(() => tokens.verify(`${input}.${rsaSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`)).toThrow(InvalidToken)
  })

  it.each([
    '', 'garbage', 'a.b.c', 'a.b', '.b.c', `${b64url('{"alg":')}.${b64url(CLAIMS)}.x`, `${b64url('[1]')}.${b64url(CLAIMS)}.x`,
    `${b64url('null')}.${b64url(CLAIMS)}.x`, `${'A'.repeat(2000)}.${b64url(CLAIMS)}.x`,
  ])('rejects the malformed token %j', (token) => {
    const { tokens } = setup()
    expect(() => tokens.verify(token)).toThrow(InvalidToken)
  })

  it('fails with the fixed message and no library text', () => {
    const { tokens } = setup()
    let caught: unknown
    try { tokens.verify(hs256({ ...CLAIMS, exp: NOW_S - 3600 })) } catch (err) { caught = err }
    expect(caught).toBeInstanceOf(InvalidToken)
    const err = caught as InvalidToken
    expect(err.message).toBe('Could not validate credentials')
    expect(err.description).toBe('The access token is invalid')
    expect(err.cause).toBeUndefined()
    expect(Object.keys(err).sort()).toEqual(['code', 'description', 'detail', 'name', 'requiredScopes', 'status'])
  })

  it('checks time claims against the injected clock however far it is from the real time', () => {
    const { tokens, clock } = setup()
    const { token } = tokens.issue('u', [])
    clock.set(Date.UTC(2000, 0, 1))
    expect(() => tokens.verify(token)).toThrow(InvalidToken) // issued "in the future"
    clock.set(NOW)
    expect(tokens.verify(token).sub).toBe('u')
  })
})

describe('createAccessTokens', () => {
  it('refuses an empty key and a non-positive lifetime', () => {
    expect(() => setup({ secretKey: '' })).toThrow(TypeError)
    expect(() => setup({ expiresInSeconds: 0 })).toThrow(TypeError)
  })
})
