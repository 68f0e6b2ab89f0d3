import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/core/clock.js'
import { failOpen, lockoutFor, retryAfterSeconds, throttleKey, type ThrottleRule, type ThrottleStore } from '../../src/core/throttle.js'

const RULE: ThrottleRule = { limit: 5, windowMs: 900_000, lockoutMs: 900_000, maxLockoutMs: 86_400_000, memoryMs: 86_400_000 }

describe('lockoutFor', () => {
  it('doubles with each lock in a row, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((level) => lockoutFor(RULE, level) / 1000))
      .toEqual([900, 1800, 3600, 7200, 14_400, 28_800, 57_600, 86_400, 86_400])
  })
})

describe('throttleKey', () => {
  it('hashes its parts, so no username or address is stored in clear', () => {
    const key = throttleKey('login', 'johndoe', '203.0.113.7')
    expect(key).toMatch(/^login:[A-Za-z0-9_-]{43}$/)
    expect(key).not.toContain('johndoe')
    expect(key).not.toContain('203.0.113')
  })

  it('is stable, and tells parts apart however they are split', () => {
    expect(throttleKey('login', 'a', 'b')).toBe(throttleKey('login', 'a', 'b'))
    expect(throttleKey('login', 'ab', 'c')).not.toBe(throttleKey('login', 'a', 'bc'))
    expect(throttleKey('login', 'a')).not.toBe(throttleKey('login-ip', 'a'))
  })
})

describe('retryAfterSeconds', () => {
  it('rounds up to whole seconds, at least 1', () => {
    expect([1, 999, 1000, 1001, 900_000].map(retryAfterSeconds)).toEqual([1, 1, 1, 2, 900])
  })
})

describe('failOpen', () => {
  function flaky() {
    const calls: string[] = []
    let down = false
    const store: ThrottleStore = {
      async attempt(key) { calls.push(`attempt ${key}`); if (down) throw new Error('connect ECONNREFUSED'); return 7 },
      async refund(key) { calls.push(`refund ${key}`); if (down) throw new Error('connect ECONNREFUSED') },
      async reset(key) { calls.push(`reset ${key}`); if (down) throw new Error('connect ECONNREFUSED') },
    }
    return { backend: store, calls, setDown: (value: boolean) => { down = value } }
  }

  function setup() {
    const clock = fixedClock(0)
    const events: string[] = []
    const { backend, calls, setDown } = flaky()
    const store = failOpen(backend, {
      clock, pauseMs: 1000,
      onUnavailable: (err) => events.push(`unavailable: ${(err as Error).message}`),
      onRecovered: () => events.push('recovered'),
    })
    return { clock, events, store, calls, setDown }
  }

  it('passes answers through while the store works', async () => {
    const { store, events } = setup()
    expect(await store.attempt('k', RULE)).toBe(7)
    await store.refund('k')
    await store.reset('k')
    expect(events).toEqual([])
  })

  it('allows attempts when the store fails, reports once, and leaves the store alone for the pause', async () => {
    const { store, events, calls, setDown, clock } = setup()
    setDown(true)
    expect(await store.attempt('k', RULE)).toBe(0)
    await expect(store.refund('k')).resolves.toBeUndefined()
    await expect(store.reset('k')).resolves.toBeUndefined()
    expect(await store.attempt('k', RULE)).toBe(0)
    expect(calls).toEqual(['attempt k'])                       // one failing call, then paused
    clock.advance(1000)
    expect(await store.attempt('k', RULE)).toBe(0)              // asks again after the pause, still down
    expect(calls).toEqual(['attempt k', 'attempt k'])
    expect(events).toEqual(['unavailable: connect ECONNREFUSED'])
  })

  it('reports the recovery once the store answers again', async () => {
    const { store, events, setDown, clock } = setup()
    setDown(true)
    await store.attempt('k', RULE)
    setDown(false)
    clock.advance(1000)
    expect(await store.attempt('k', RULE)).toBe(7)
    expect(await store.attempt('k', RULE)).toBe(7)
    expect(events).toEqual(['unavailable: connect ECONNREFUSED', 'recovered'])
  })
})
