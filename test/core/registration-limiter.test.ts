import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/core/clock.js'
import { TooManyRequests } from '../../src/core/errors.js'
import { createRegistrationLimiter } from '../../src/core/registration-limiter.js'
import { MemoryThrottleStore } from '../../src/storage/memory-throttle-store.js'

function setup(perHour: number) {
  const clock = fixedClock(Date.UTC(2026, 0, 1))
  const store = new MemoryThrottleStore({ clock })
  const limiter = createRegistrationLimiter(perHour, store)
  const register = (ip = '203.0.113.7') => limiter.admit(ip).then(
    () => 'ok',
    (err: unknown) => (err instanceof TooManyRequests ? `${err.status} ${err.retryAfterSeconds} ${err.detail}` : Promise.reject(err)),
  )
  return { clock, store, register }
}

describe('registration limit per address', () => {
  it('allows the hour\'s quota, then refuses for an hour', async () => {
    const { register, clock } = setup(3)
    expect([await register(), await register(), await register()]).toEqual(['ok', 'ok', 'ok'])
    expect(await register()).toBe('429 3600 Too many registrations from this address, retry later')
    clock.advance(1_800_000)
    expect(await register()).toBe('429 1800 Too many registrations from this address, retry later')
    clock.advance(1_800_000)
    expect(await register()).toBe('ok')
  })

  it('does not grow the wait for repeat offenders', async () => {
    const { register, clock } = setup(1)
    for (let i = 0; i < 4; i++) {
      expect(await register()).toBe('ok')
      expect(await register()).toBe('429 3600 Too many registrations from this address, retry later')
      clock.advance(3_600_000)
    }
  })

  it('counts each address (an IPv6 /64) on its own', async () => {
    const { register } = setup(1)
    expect(await register('2001:db8::1')).toBe('ok')
    expect(await register('2001:db8::2')).toBe('429 3600 Too many registrations from this address, retry later')
    expect(await register('192.0.2.1')).toBe('ok')
  })

  it('is off at 0', async () => {
    const { register, store } = setup(0)
    for (let i = 0; i < 100; i++) expect(await register()).toBe('ok')
    expect(store.size).toBe(0)
  })
})
