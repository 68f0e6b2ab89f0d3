import { describe, expect, it } from 'vitest'
import {
  generateRefreshToken, hasRefreshTokenShape, hashRefreshToken, mintRefreshToken, refreshTokenExpiry, refreshTokenState,
} from '../../src/core/refresh-token.js'
import { tokensNotBeforeAt } from '../../src/core/sessions.js'

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0, 250)
const DAY = 86_400_000
const POLICY = { idleSeconds: 14 * 86400, absoluteSeconds: 90 * 86400 }
const BINDING = { userId: 'u1', clientId: null, scopes: ['me'] }

describe('refresh tokens', () => {
  it('are 256 random bits in base64url, hashed with SHA-256 (hex)', () => {
    const token = generateRefreshToken()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(token, 'base64url')).toHaveLength(32)
    expect(generateRefreshToken()).not.toBe(token)
    expect(hashRefreshToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })

  it('are told apart from JWTs by shape alone', () => {
    expect(hasRefreshTokenShape(generateRefreshToken())).toBe(true)
    expect(hasRefreshTokenShape('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln')).toBe(false)
    expect(hasRefreshTokenShape('A'.repeat(42))).toBe(false)
    expect(hasRefreshTokenShape(`${'A'.repeat(42)}=`)).toBe(false)
  })

  it('a login starts a family: idle and absolute ends from now', () => {
    const { token, record } = mintRefreshToken(BINDING, POLICY, NOW)
    expect(record).toEqual({
      id: expect.any(String), familyId: expect.any(String), tokenHash: hashRefreshToken(token), userId: 'u1', clientId: null,
      scopes: ['me'], createdAt: NOW, expiresAt: NOW + 90 * DAY, idleExpiresAt: NOW + 14 * DAY,
      // The code flow's fields: a password-grant login has none of them.
      authTime: null, audience: [], browserSessionId: null,
    })
    expect(record.familyId).not.toBe(record.id)
  })

  it('a rotation continues the family: the absolute end never moves, the idle end never passes it', () => {
    const first = mintRefreshToken(BINDING, POLICY, NOW).record
    const later = mintRefreshToken(BINDING, POLICY, NOW + 85 * DAY, { family: first }).record
    expect(later).toMatchObject({ familyId: first.familyId, expiresAt: first.expiresAt, idleExpiresAt: first.expiresAt })
  })

  it('is never created before the user\'s tokens-not-before (same second as a logout-all)', () => {
    const notBefore = tokensNotBeforeAt(NOW)
    expect(notBefore).toBe(Math.floor(NOW / 1000) + 1)
    const { record } = mintRefreshToken(BINDING, POLICY, NOW, { notBefore })
    expect(record.createdAt).toBe(notBefore * 1000)
    expect(record.createdAt).toBeGreaterThan(NOW)
  })

  it('states: revoked wins over rotated; expired at the earlier of the two ends', () => {
    const { record } = mintRefreshToken(BINDING, POLICY, NOW)
    const live = { ...record, rotatedAt: null, revokedAt: null }
    expect(refreshTokenExpiry(live)).toBe(NOW + 14 * DAY)
    expect(refreshTokenState(live, NOW + 14 * DAY - 1)).toBe('live')
    expect(refreshTokenState(live, NOW + 14 * DAY)).toBe('expired')
    expect(refreshTokenState({ ...live, rotatedAt: NOW }, NOW)).toBe('rotated')
    expect(refreshTokenState({ ...live, rotatedAt: NOW, revokedAt: NOW }, NOW)).toBe('revoked')
  })
})
