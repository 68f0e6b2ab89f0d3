import { Secret, TOTP, URI } from 'otpauth'
import { describe, expect, it } from 'vitest'
import { generateTotpSecret, looksLikeTotpCode, totpStep, totpUri, verifyTotp } from '../../src/core/totp.js'

// RFC 6238 as authenticator apps compute it: the codes here come from otpauth in the test, the
// way an app on a phone would compute them from the same secret.

const NOW = Date.UTC(2026, 0, 1, 12, 0, 10)                       // 10 s into a 30 s step
const STEP = Math.floor(NOW / 1000 / 30)

function codeAt(secret: string, timestamp: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp })
}

describe('generateTotpSecret', () => {
  it('is 160 random bits in base32, different every time', () => {
    const secrets = new Set(Array.from({ length: 50 }, generateTotpSecret))
    expect(secrets.size).toBe(50)
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Z2-7]{32}$/)
      expect(Secret.fromBase32(secret).bytes.length).toBe(20)
    }
  })
})

describe('totpUri', () => {
  it('names the service and the account, with the parameters the apps read (SHA1, 6 digits, 30 s)', () => {
    const secret = generateTotpSecret()
    const uri = totpUri({ secret, issuer: 'Tessera', label: 'johndoe' })
    expect(uri).toMatch(/^otpauth:\/\/totp\/Tessera:johndoe\?/)
    const parsed = URI.parse(uri) as TOTP
    expect(parsed).toBeInstanceOf(TOTP)
    expect({ issuer: parsed.issuer, label: parsed.label, algorithm: parsed.algorithm, digits: parsed.digits, period: parsed.period, secret: parsed.secret.base32 })
      .toEqual({ issuer: 'Tessera', label: 'johndoe', algorithm: 'SHA1', digits: 6, period: 30, secret })
  })

  it('escapes a product name and username that are not URI-safe', () => {
    const uri = totpUri({ secret: generateTotpSecret(), issuer: 'Acme & Co', label: 'jöhn doe' })
    const parsed = URI.parse(uri) as TOTP
    expect([parsed.issuer, parsed.label]).toEqual(['Acme & Co', 'jöhn doe'])
  })
})

describe('verifyTotp', () => {
  const secret = generateTotpSecret()

  it('accepts the current code and names its time step', () => {
    expect(totpStep(NOW)).toBe(STEP)
    expect(verifyTotp(secret, codeAt(secret, NOW), NOW)).toBe(STEP)
  })

  it('accepts the code of one step before and after (a phone clock a little off), with that step', () => {
    expect(verifyTotp(secret, codeAt(secret, NOW - 30_000), NOW)).toBe(STEP - 1)
    expect(verifyTotp(secret, codeAt(secret, NOW + 30_000), NOW)).toBe(STEP + 1)
  })

  it('refuses codes two steps away, and another secret\'s code', () => {
    expect(verifyTotp(secret, codeAt(secret, NOW - 60_000), NOW)).toBeNull()
    expect(verifyTotp(secret, codeAt(secret, NOW + 60_000), NOW)).toBeNull()
    const other = generateTotpSecret()
    const code = codeAt(other, NOW)
    if (code !== codeAt(secret, NOW) && code !== codeAt(secret, NOW - 30_000) && code !== codeAt(secret, NOW + 30_000)) {
      expect(verifyTotp(secret, code, NOW)).toBeNull()
    }
  })

  it('takes the code as people type it (a space in the middle, around it), nothing else', () => {
    const code = codeAt(secret, NOW)
    expect(verifyTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, NOW)).toBe(STEP)
    expect(verifyTotp(secret, ` ${code} `, NOW)).toBe(STEP)
    for (const input of ['', '12345', '1234567', `${code}0`, 'abcdef', `${code.slice(0, 3)}-${code.slice(3)}`]) {
      expect(verifyTotp(secret, input, NOW), input).toBeNull()
    }
    expect(looksLikeTotpCode('123 456')).toBe(true)
    expect(looksLikeTotpCode('abcd-efgh-ijkl-mnop')).toBe(false)
  })
})
