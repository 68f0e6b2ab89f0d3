import { describe, expect, it } from 'vitest'
import {
  AuthError, InvalidCredentials, InvalidGrant, InvalidScope, ServiceUnavailable, ValidationFailed, countLoginError, noMetrics, type Metrics,
} from '../../src/core/index.js'

/** A Metrics that remembers which methods were called, in order. */
function recording(): Metrics & { calls: string[] } {
  const calls: string[] = []
  const record = (name: string) => () => { calls.push(name) }
  return {
    calls,
    loginSucceeded: record('loginSucceeded'), loginFailed: record('loginFailed'), loginThrottled: record('loginThrottled'),
    tokenIssued: record('tokenIssued'), tokenRefreshed: record('tokenRefreshed'), tokenRevoked: record('tokenRevoked'),
    hashAdmitted: record('hashAdmitted'), mailSent: record('mailSent'), mailFailed: record('mailFailed'),
  }
}

class RateLimited extends AuthError {
  readonly status = 429
}

describe('countLoginError', () => {
  it('counts wrong credentials and an inactive user (invalid_grant) as failed', () => {
    const metrics = recording()
    countLoginError(metrics, new InvalidCredentials())
    countLoginError(metrics, new InvalidGrant('Inactive user'))
    expect(metrics.calls).toEqual(['loginFailed', 'loginFailed'])
  })

  it('counts any 429 as throttled', () => {
    const metrics = recording()
    countLoginError(metrics, new RateLimited('Too many requests'))
    expect(metrics.calls).toEqual(['loginThrottled'])
  })

  it('does not count what was no verdict on the credentials', () => {
    const metrics = recording()
    for (const err of [
      new ValidationFailed([]), new InvalidScope('bad scope'), new ServiceUnavailable(1), new Error('database down'), 'a string',
    ]) countLoginError(metrics, err)
    expect(metrics.calls).toEqual([])
  })
})

describe('noMetrics', () => {
  it('accepts every call and does nothing', () => {
    expect(() => {
      noMetrics.loginSucceeded(); noMetrics.loginFailed(); noMetrics.loginThrottled()
      noMetrics.tokenIssued(); noMetrics.tokenRefreshed(); noMetrics.tokenRevoked(); noMetrics.hashAdmitted(0.5)
    }).not.toThrow()
    expect(Object.isFrozen(noMetrics)).toBe(true)
  })
})
