import { describe, expect, it } from 'vitest'
import type { UserRecord } from '../../src/core/user.js'
import { userInfoClaims } from '../../src/core/userinfo.js'

const USER: UserRecord = {
  id: '7a1f1c9e-0000-4000-8000-000000000001', username: 'johndoe', email: 'johndoe@example.com', emailVerified: false, fullName: 'John Doe',
  passwordHash: '$argon2id$secret', disabled: false, scopes: ['me', 'items'], tokensNotBefore: null,
  createdAt: new Date('2024-01-01T00:00:00Z'), updatedAt: new Date('2024-06-01T12:34:56.789Z'),
}

describe('userInfoClaims (OIDC Core §5.3.2, §5.4)', () => {
  it('openid alone: only sub, the user\'s immutable id', () => {
    expect(userInfoClaims(USER, ['openid'])).toEqual({ sub: USER.id })
    expect(userInfoClaims(USER, ['openid', 'me', 'items', 'offline_access'])).toEqual({ sub: USER.id })
  })

  it('profile: name, preferred_username and updated_at in epoch seconds', () => {
    expect(userInfoClaims(USER, ['openid', 'profile'])).toEqual({
      sub: USER.id, name: 'John Doe', preferred_username: 'johndoe', updated_at: Math.floor(Date.UTC(2024, 5, 1, 12, 34, 56) / 1000),
    })
  })

  it('email: the address, and whether its owner verified it', () => {
    expect(userInfoClaims(USER, ['openid', 'email'])).toEqual({ sub: USER.id, email: 'johndoe@example.com', email_verified: false })
    expect(userInfoClaims({ ...USER, emailVerified: true }, ['openid', 'email'])).toEqual({ sub: USER.id, email: 'johndoe@example.com', email_verified: true })
  })

  it('both scopes: every claim', () => {
    expect(Object.keys(userInfoClaims(USER, ['openid', 'profile', 'email'])).sort())
      .toEqual(['email', 'email_verified', 'name', 'preferred_username', 'sub', 'updated_at'])
  })

  it('leaves out a claim with no value rather than sending null (§5.3.2)', () => {
    const bare = { ...USER, fullName: null, email: null }
    expect(userInfoClaims(bare, ['openid', 'profile', 'email']))
      .toEqual({ sub: USER.id, preferred_username: 'johndoe', updated_at: expect.any(Number) })
    const empty = { ...USER, fullName: '', email: '' }
    expect(userInfoClaims(empty, ['openid', 'profile', 'email'])).not.toHaveProperty('name')
    expect(userInfoClaims(empty, ['openid', 'profile', 'email'])).not.toHaveProperty('email_verified')
  })

  it('never shows what is not a claim: the password hash, scopes, disabled', () => {
    const text = JSON.stringify(userInfoClaims(USER, ['openid', 'profile', 'email']))
    expect(text).not.toContain('argon2')
    expect(text).not.toContain('disabled')
  })
})
