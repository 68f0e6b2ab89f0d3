import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { RECOVERY_CODE_COUNT, generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from '../../src/core/recovery-codes.js'

describe('generateRecoveryCodes', () => {
  it('makes 10 distinct codes of 80 bits, as four groups of four lower-case base32 characters', () => {
    const codes = generateRecoveryCodes()
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT)
    expect(RECOVERY_CODE_COUNT).toBe(10)
    expect(new Set(codes).size).toBe(10)
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/)
  })

  it('uses the whole alphabet (the bits are not biased to a few characters)', () => {
    const seen = new Set(Array.from({ length: 40 }, () => generateRecoveryCodes()).flat().join('').replace(/-/g, ''))
    expect(seen.size).toBe(32)
  })
})

describe('normalizeRecoveryCode and hashRecoveryCode', () => {
  it('reads a code however it is typed or pasted: any case, dashes or spaces or neither', () => {
    const [code] = generateRecoveryCodes(1) as [string]
    const plain = code.replace(/-/g, '')
    for (const typed of [code, code.toUpperCase(), plain, code.replace(/-/g, ' '), ` ${code} `]) expect(normalizeRecoveryCode(typed), typed).toBe(plain)
  })

  it('refuses what cannot be a code, so it is never looked up', () => {
    for (const input of ['', '123456', 'abcd-efgh-ijkl', 'abcd-efgh-ijkl-mnop-q', 'abcd-efgh-ijkl-mn0p', 'abcd-efgh-ijkl-mn1p']) {
      expect(normalizeRecoveryCode(input), input).toBeNull()
    }
  })

  it('stores SHA-256 hex of the normalised code, never the code', () => {
    const hash = hashRecoveryCode('abcdefghijklmnop')
    expect(hash).toBe(createHash('sha256').update('abcdefghijklmnop').digest('hex'))
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
  })
})
