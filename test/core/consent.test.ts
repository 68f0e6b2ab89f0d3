import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/core/clock.js'
import { consentNeeded, rememberConsent } from '../../src/core/consent.js'
import { inMemoryConsents } from './in-memory-sign-in.js'

const NOW = Date.UTC(2026, 0, 1)
const THIRD_PARTY = { firstParty: false }
const FIRST_PARTY = { firstParty: true }

describe('consentNeeded', () => {
  it('asks when nothing was allowed before', () => {
    expect(consentNeeded(THIRD_PARTY, ['openid'], null, [])).toBe(true)
  })

  it('does not ask when what was allowed covers the request, in any order', () => {
    expect(consentNeeded(THIRD_PARTY, ['openid', 'profile'], { scopes: ['profile', 'openid', 'email'] }, [])).toBe(false)
    expect(consentNeeded(THIRD_PARTY, ['openid'], { scopes: ['openid'] }, [])).toBe(false)
  })

  it('asks when the app asks for anything beyond what was allowed', () => {
    expect(consentNeeded(THIRD_PARTY, ['openid', 'email'], { scopes: ['openid', 'profile'] }, [])).toBe(true)
  })

  it('does not ask for an empty request (nothing to allow)', () => {
    expect(consentNeeded(THIRD_PARTY, [], null, [])).toBe(false)
  })

  it('never asks for a first-party client', () => {
    expect(consentNeeded(FIRST_PARTY, ['openid', 'email', 'offline_access'], null, [])).toBe(false)
    expect(consentNeeded(FIRST_PARTY, ['openid'], null, ['login'])).toBe(false)
  })

  it('prompt=consent asks anyway, first-party or not (OIDC Core §3.1.2.1)', () => {
    expect(consentNeeded(THIRD_PARTY, ['openid'], { scopes: ['openid'] }, ['consent'])).toBe(true)
    expect(consentNeeded(FIRST_PARTY, ['openid'], null, ['login', 'consent'])).toBe(true)
  })
})

describe('rememberConsent', () => {
  it('remembers the scopes per user and client, at the clock\'s time', async () => {
    const consents = inMemoryConsents()
    const clock = fixedClock(NOW)
    expect(await rememberConsent('u1', 'app', ['openid', 'profile'], { consents, clock })).toMatchObject({
      userId: 'u1', clientId: 'app', scopes: ['openid', 'profile'], createdAt: NOW, updatedAt: NOW,
    })
    expect(await consents.find('u1', 'other-app')).toBeNull()
    expect(await consents.find('u2', 'app')).toBeNull()
  })

  it('adds to what was allowed before, so a later, smaller request is not asked again', async () => {
    const consents = inMemoryConsents()
    const clock = fixedClock(NOW)
    await rememberConsent('u1', 'app', ['openid', 'profile'], { consents, clock })
    clock.advance(1000)
    const record = await rememberConsent('u1', 'app', ['email'], { consents, clock })
    expect([...record.scopes].sort()).toEqual(['email', 'openid', 'profile'])
    expect(record).toMatchObject({ createdAt: NOW, updatedAt: NOW + 1000 })
    expect(consentNeeded(THIRD_PARTY, ['profile'], await consents.find('u1', 'app'), [])).toBe(false)
    expect(consentNeeded(THIRD_PARTY, ['profile', 'offline_access'], await consents.find('u1', 'app'), [])).toBe(true)
  })
})
