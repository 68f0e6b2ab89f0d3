import { describe, expect, it } from 'vitest'
import { CODE_CHALLENGE_METHODS, s256Challenge, verifierMatches } from '../../src/core/pkce.js'

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'

describe('s256Challenge (RFC 7636 §4.2)', () => {
  it('computes the RFC 7636 Appendix B example', () => {
    expect(s256Challenge(VERIFIER)).toBe(CHALLENGE)
  })

  it('is always 43 base64url characters, unpadded', () => {
    for (const verifier of ['a'.repeat(43), 'Z'.repeat(128), '-._~'.repeat(11)]) {
      expect(s256Challenge(verifier)).toMatch(/^[A-Za-z0-9_-]{43}$/)
    }
  })
})

describe('verifierMatches (RFC 7636 §4.6)', () => {
  it('accepts the verifier the challenge was made from', () => {
    expect(verifierMatches(VERIFIER, CHALLENGE)).toBe(true)
  })

  it('refuses any other verifier, however close', () => {
    expect(verifierMatches(`${VERIFIER.slice(0, -1)}j`, CHALLENGE)).toBe(false)
    expect(verifierMatches(VERIFIER.toLowerCase(), CHALLENGE)).toBe(false)
    expect(verifierMatches(`${VERIFIER}a`, CHALLENGE)).toBe(false)
  })

  it('accepts verifiers of 43 and 128 characters, and every unreserved character (§4.1)', () => {
    for (const verifier of ['a'.repeat(43), 'b'.repeat(128), `${'-._~'.repeat(11)}`, `AZaz09-._~${'x'.repeat(33)}`]) {
      expect(verifierMatches(verifier, s256Challenge(verifier))).toBe(true)
    }
  })

  it('refuses a verifier of 42 or 129 characters even when its challenge matches', () => {
    // The challenge is computed from the very verifier: only the length rule can refuse it.
    for (const verifier of ['a'.repeat(42), 'a'.repeat(129), '']) {
      expect(verifierMatches(verifier, s256Challenge(verifier))).toBe(false)
    }
  })

  it.each(['+', '/', '=', ' ', '%', 'é', '\n'])('refuses a verifier containing %j even when its challenge matches', (char) => {
    const verifier = `${'a'.repeat(42)}${char}`
    expect(verifierMatches(verifier, s256Challenge(verifier))).toBe(false)
  })

  it('supports S256 only: a `plain` challenge (the verifier itself) never matches (RFC 9700 §2.1.1)', () => {
    expect(CODE_CHALLENGE_METHODS).toEqual(['S256'])
    expect(verifierMatches(VERIFIER, VERIFIER)).toBe(false)
  })

  it('refuses a malformed challenge without throwing (the constant-time compare needs equal lengths)', () => {
    expect(verifierMatches(VERIFIER, '')).toBe(false)
    expect(verifierMatches(VERIFIER, CHALLENGE.slice(0, 10))).toBe(false)
    expect(verifierMatches(VERIFIER, `${CHALLENGE}=`)).toBe(false)                       // padded
    expect(verifierMatches(VERIFIER, `${CHALLENGE}${CHALLENGE}`)).toBe(false)
    expect(verifierMatches(VERIFIER, CHALLENGE.replace('-', '+'))).toBe(false)                // base64, not base64url
    expect(verifierMatches(VERIFIER, Buffer.from(CHALLENGE, 'base64url').toString('hex'))).toBe(false)
  })

  it('refuses a verifier that is not a string', () => {
    expect(verifierMatches(undefined as unknown as string, CHALLENGE)).toBe(false)
    expect(verifierMatches(['a'.repeat(43)] as unknown as string, s256Challenge('a'.repeat(43)))).toBe(false)
  })
})
